package org.dl4jpe.zoo.resnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.layers.BatchNorm;
import org.dl4jpe.layers.HeNormalFanOutInit;
import org.dl4jpe.zoo.Zoo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The mini ResNet-PE as a whole: one BatchNorm convention (the stem's running statistics follow PyTorch's
 * recurrence; training-mode inference moves no running statistic anywhere) and torchvision's initialization (stem
 * convolution He normal fan-out, head weight and bias U(±1/√fan_in)).
 */
class ResNetTrainingSemanticsTest {
    private static int threads;

    @BeforeAll
    static void oneThread() {
        threads = Nd4j.getEnvironment().maxThreads();
        Nd4j.getEnvironment().setMaxThreads(1);
    }

    @AfterAll
    static void restore() {
        Nd4j.getEnvironment().setMaxThreads(threads);
    }

    /** Input size of the tests: the mini ResNet at 12×12 (stages at 12, 6, 3) keeps them fast; nothing depends on 28. */
    private static final int HW = 12;

    /** resnet_pe_mini_28 as the zoo builds it, on {@link #HW}² inputs. */
    private static ComputationGraph model() {
        org.dl4jpe.zoo.RegisteredModel m = Zoo.get("resnet_pe_mini_28");
        return m.create(m.options(o -> o.withInputShape(HW, HW, 1)));
    }

    private static DataSet batch(long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 1, HW, HW);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 4, 10);
        for (int i = 0; i < 4; i++) {
            y.putScalar(i, (int) ((seed + i) % 10), 1.0);
        }
        return new DataSet(x, y);
    }

    @Test
    void trainingModeInferenceMovesNoRunningStatistic() {
        ComputationGraph net = model();
        net.fit(batch(1));
        INDArray probe = batch(2).getFeatures();
        INDArray before = net.outputSingle(false, probe).dup();
        INDArray params = net.params().dup();
        DataSet other = batch(3);
        net.output(true, other.getFeatures());
        net.feedForward(other.getFeatures(), true);
        net.score(other, true);
        assertEquals(params, net.params(), "parameters after output/feedForward/score in training mode");
        assertEquals(before, net.outputSingle(false, probe), "inference output after training-mode inference");
    }

    /** The stem's BatchNorm after 3 steps: PyTorch's recurrence from the stem convolution's outputs, by hand. */
    @Test
    void stemRunningStatisticsFollowPyTorchAfterThreeSteps() {
        ComputationGraph net = model();
        assertTrue(net.getLayer("stem_bn").conf().getLayer() instanceof BatchNorm, "the stem uses our BatchNorm");
        int channels = 32;
        double[] mean = new double[channels];
        double[] var = new double[channels];
        java.util.Arrays.fill(var, 1.0);
        for (int t = 0; t < 3; t++) {
            DataSet d = batch(10 + t);
            Map<String, INDArray> acts = net.feedForward(d.getFeatures(), true);
            INDArray z = acts.get("stem_conv").castTo(DataType.DOUBLE);
            for (int c = 0; c < channels; c++) {
                double[] v = z.get(NDArrayIndex.all(), NDArrayIndex.point(c))
                        .dup()
                        .data()
                        .asDouble();
                double mu = 0;
                for (double e : v) {
                    mu += e / v.length;
                }
                double ss = 0;
                for (double e : v) {
                    ss += (e - mu) * (e - mu);
                }
                mean[c] = 0.9 * mean[c] + 0.1 * mu;
                var[c] = 0.9 * var[c] + 0.1 * ss / (v.length - 1);
            }
            net.fit(d);
        }
        INDArray m = net.getParam("stem_bn_" + BatchNorm.MEAN).castTo(DataType.DOUBLE);
        INDArray v = net.getParam("stem_bn_" + BatchNorm.VAR).castTo(DataType.DOUBLE);
        for (int c = 0; c < channels; c++) {
            // float32 network: agreement to float rounding of the statistics
            assertEquals(mean[c], m.getDouble(c), 1e-5 * (1 + Math.abs(mean[c])), "running mean, channel " + c);
            assertEquals(var[c], v.getDouble(c), 1e-5 * (1 + var[c]), "running variance, channel " + c);
        }
        assertNotEquals(0.0, m.amaxNumber().doubleValue(), "the running mean moved");
    }

    /** Stem He normal fan-out (std √(2/(32·3·3)), within 5 standard errors), head U(±1/√256) weight and bias. */
    @Test
    void initializationIsTorchvisions() {
        ComputationGraph net = model();
        INDArray stem = net.getParam("stem_conv_W");
        double sigma = HeNormalFanOutInit.std(new long[] {32, 1, 3, 3});
        double n = stem.length();
        assertTrue(
                Math.abs(stem.stdNumber().doubleValue() / sigma - 1) < 5 / Math.sqrt(2 * n),
                "stem std " + stem.stdNumber() + " vs " + sigma);
        double bound = 1.0 / Math.sqrt(256);
        for (String p : new String[] {"head_W", "head_b"}) {
            INDArray w = net.getParam(p);
            assertTrue(w.amaxNumber().doubleValue() <= bound, p + " within ±1/sqrt(fan_in)");
            // uniform on ±b: std b/√3; the sample variance's relative standard error is √((κ − 1)/n) with the
            // uniform's kurtosis κ = 1.8, so the std's is half that; 5 standard errors
            double sd = w.stdNumber().doubleValue();
            double expected = bound / Math.sqrt(3);
            assertTrue(
                    Math.abs(sd / expected - 1) < 5 * Math.sqrt(0.8 / w.length()) / 2,
                    p + " std " + sd + " vs uniform " + expected);
        }
        assertTrue(
                Zoo.get("resnet_pe_mini_28").description().contains("He normal fan-out"),
                "the description states the initialization");
    }
}
