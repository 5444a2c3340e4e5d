package org.dl4jpe.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4jpe.layers.testkit.LayerTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * BatchNorm: the layer test kit for both engines; the direct engine equals the SameDiff reference and DL4J's
 * BatchNormalization (outputs, gradients); the running statistics follow PyTorch's recurrence computed by hand and
 * move only when a training step is taken. Double precision, C 3, 4×5 images, batch 4.
 */
@ExtendWith(SingleThreadedNd4j.class)
class BatchNormTest {
    private static final int C = 3;
    private static final int N = 4;
    private static final int H = 4;
    private static final int W = 5;
    private static final InputType TYPE = InputType.convolutional(H, W, C);

    private static INDArray input(long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.DOUBLE, N, C, H, W).muli(1.7).addi(0.6);
    }

    private static INDArray labels(long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.rand(DataType.DOUBLE, N, C, H, W);
    }

    private static BatchNorm layer(Engine engine, double momentum) {
        return BatchNorm.builder().engine(engine).momentum(momentum).build();
    }

    /** layer → MSE loss. */
    private static MultiLayerNetwork net(org.deeplearning4j.nn.conf.layers.Layer layer, IUpdater updater) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(LayerTestKit.SEED)
                .dataType(DataType.DOUBLE)
                .updater(updater)
                .trainingWorkspaceMode(WorkspaceMode.ENABLED)
                .list()
                .layer(layer)
                .layer(new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY)
                        .build())
                .setInputType(TYPE)
                .build();
        MultiLayerNetwork n = new MultiLayerNetwork(conf);
        n.init();
        return n;
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void standardChecks(Engine engine) throws Exception {
        LayerTestKit.assertStandardChecks(layer(engine, 0.1), TYPE, input(1), null, new long[] {N, C, H, W});
    }

    /** Random γ, β and running statistics, so that nothing is compared at 0 or 1. */
    private static void randomize(MultiLayerNetwork net, long seed) {
        Nd4j.getRandom().setSeed(seed);
        net.setParam("0_" + BatchNorm.GAMMA, Nd4j.rand(DataType.DOUBLE, C).addi(0.5));
        net.setParam("0_" + BatchNorm.BETA, Nd4j.randn(DataType.DOUBLE, C));
        net.setParam("0_" + BatchNorm.MEAN, Nd4j.randn(DataType.DOUBLE, C).muli(0.3));
        net.setParam("0_" + BatchNorm.VAR, Nd4j.rand(DataType.DOUBLE, C).addi(0.5));
    }

    /** Outputs in both modes, the gradients of γ, β and the input, and the running statistics after SGD steps. */
    @Test
    void directEngineEqualsSameDiffEngine() {
        MultiLayerNetwork direct = net(layer(Engine.DIRECT, 0.1), new Sgd(0.1));
        MultiLayerNetwork reference = net(layer(Engine.SAMEDIFF, 0.1), new Sgd(0.1));
        randomize(direct, 2);
        reference.setParams(direct.params());
        INDArray x = input(3);
        SharedBottleneckStageTest.assertClose(reference.output(x, false), direct.output(x, false), "inference");
        SharedBottleneckStageTest.assertClose(reference.output(x, true), direct.output(x, true), "training output");
        INDArray y = labels(4);
        for (MultiLayerNetwork n : List.of(direct, reference)) {
            n.setInput(x);
            n.setLabels(y);
            n.computeGradientAndScore();
        }
        for (String p : List.of(BatchNorm.GAMMA, BatchNorm.BETA)) {
            SharedBottleneckStageTest.assertClose(
                    reference.gradient().getGradientFor("0_" + p),
                    direct.gradient().getGradientFor("0_" + p),
                    "gradient of " + p);
        }
        SharedBottleneckStageTest.assertClose(
                inputGradient(reference, x, y), inputGradient(direct, x, y), "input gradient");
        for (int t = 0; t < 3; t++) {
            direct.fit(input(10 + t), labels(20 + t));
            reference.fit(input(10 + t), labels(20 + t));
        }
        SharedBottleneckStageTest.assertClose(
                reference.params(), direct.params(), "parameters and running" + " statistics after 3 SGD steps");
    }

    private static INDArray inputGradient(MultiLayerNetwork net, INDArray x, INDArray y) {
        net.setInput(x);
        net.setLabels(y);
        return net.calculateGradients(x, y, null, null).getSecond();
    }

    /** Equal to DL4J's BatchNormalization (decay 1 − momentum) in both modes and in every gradient. */
    @Test
    void equalsDl4jBatchNormalization() {
        MultiLayerNetwork ours = net(layer(Engine.DIRECT, 0.1), new NoOp());
        MultiLayerNetwork dl4j = net(
                new BatchNormalization.Builder()
                        .decay(0.9)
                        .eps(1e-5)
                        .useLogStd(false)
                        .build(),
                new NoOp());
        randomize(ours, 5);
        dl4j.setParam("0_gamma", ours.getParam("0_" + BatchNorm.GAMMA).reshape(1, C));
        dl4j.setParam("0_beta", ours.getParam("0_" + BatchNorm.BETA).reshape(1, C));
        dl4j.setParam("0_mean", ours.getParam("0_" + BatchNorm.MEAN).reshape(1, C));
        dl4j.setParam("0_var", ours.getParam("0_" + BatchNorm.VAR).reshape(1, C));
        INDArray x = input(6);
        INDArray y = labels(7);
        SharedBottleneckStageTest.assertClose(dl4j.output(x, false), ours.output(x, false), "inference");
        SharedBottleneckStageTest.assertClose(dl4j.output(x, true), ours.output(x, true), "training output");
        org.nd4j.common.primitives.Pair<Gradient, INDArray> d = dl4j.calculateGradients(x, y, null, null);
        org.nd4j.common.primitives.Pair<Gradient, INDArray> o = ours.calculateGradients(x, y, null, null);
        SharedBottleneckStageTest.assertClose(
                d.getFirst().getGradientFor("0_gamma").reshape(C),
                o.getFirst().getGradientFor("0_" + BatchNorm.GAMMA).reshape(C),
                "d gamma");
        SharedBottleneckStageTest.assertClose(
                d.getFirst().getGradientFor("0_beta").reshape(C),
                o.getFirst().getGradientFor("0_" + BatchNorm.BETA).reshape(C),
                "d beta");
        SharedBottleneckStageTest.assertClose(d.getSecond(), o.getSecond(), "input gradient");
    }

    /**
     * After 3 training steps the running statistics are PyTorch's recurrence, computed here by hand from the
     * batches: {@code r ← (1 − m)·r + m·b}, with the batch mean and the unbiased batch variance (n − 1 divisor)
     * over N, H, W, starting from mean 0 and variance 1. Both engines; momentum 0.1 and 0.3.
     */
    @ParameterizedTest
    @EnumSource(Engine.class)
    void runningStatisticsFollowPyTorchRecurrenceAfterThreeSteps(Engine engine) {
        for (double momentum : new double[] {0.1, 0.3}) {
            MultiLayerNetwork net = net(layer(engine, momentum), new Adam(0.05));
            double[] mean = new double[C];
            double[] var = {1, 1, 1};
            for (int t = 0; t < 3; t++) {
                INDArray x = input(30 + t);
                pytorchStep(mean, var, x, momentum);
                net.fit(x, labels(40 + t));
            }
            SharedBottleneckStageTest.assertClose(
                    Nd4j.createFromArray(mean),
                    net.getParam("0_" + BatchNorm.MEAN),
                    engine + " momentum " + momentum + ": running mean");
            SharedBottleneckStageTest.assertClose(
                    Nd4j.createFromArray(var),
                    net.getParam("0_" + BatchNorm.VAR),
                    engine + " momentum " + momentum + ": running variance (unbiased, PyTorch)");
        }
    }

    /**
     * One step of PyTorch's running-statistics recurrence, by hand in double: for each channel c of {@code z}
     * (NCHW), {@code mean[c] ← (1 − m)·mean[c] + m·μ}, {@code var[c] ← (1 − m)·var[c] + m·Σ(z − μ)²/(n − 1)} over
     * the n values of the channel.
     */
    static void pytorchStep(double[] mean, double[] var, INDArray z, double momentum) {
        for (int c = 0; c < z.size(1); c++) {
            double[] v = z.get(
                            org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(c))
                    .dup()
                    .castTo(DataType.DOUBLE)
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
            mean[c] = (1 - momentum) * mean[c] + momentum * mu;
            var[c] = (1 - momentum) * var[c] + momentum * ss / (v.length - 1);
        }
    }

    /**
     * output(x, true), feedForward(x, true) and score(ds, true) leave the running statistics and the later
     * inference output exactly where they were; a training step moves them (so the test can tell).
     */
    @ParameterizedTest
    @EnumSource(Engine.class)
    void trainingModeInferenceLeavesRunningStatistics(Engine engine) {
        MultiLayerNetwork net = net(layer(engine, 0.1), new Sgd(0.1));
        INDArray probe = input(50);
        INDArray before = net.output(probe, false).dup();
        INDArray stats = net.params().dup();
        INDArray x = input(51);
        net.output(x, true);
        net.feedForward(x, true);
        net.score(new DataSet(x, labels(52)), true);
        assertEquals(stats, net.params(), engine + ": parameters after training-mode inference");
        assertEquals(before, net.output(probe, false), engine + ": inference output after training-mode inference");
        net.fit(x, labels(52));
        assertNotEquals(
                stats.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(2 * C, 4 * C)),
                net.params().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(2 * C, 4 * C)),
                engine + ": a training step moves the running statistics");
    }

    /** γ and β are biases (no weight decay), the running statistics are state (no updater, no regularization). */
    @Test
    void gammaBetaAreNotWeightsAndStatisticsAreState() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .updater(new Adam(0.1))
                .weightDecay(0.5)
                .list()
                .layer(BatchNorm.builder().build())
                .layer(new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY)
                        .build())
                .setInputType(TYPE)
                .build();
        BatchNorm bn = (BatchNorm) conf.getConf(0).getLayer();
        bn.getLayerParams();
        for (String p : List.of(BatchNorm.GAMMA, BatchNorm.BETA, BatchNorm.MEAN, BatchNorm.VAR)) {
            assertTrue(bn.getRegularizationByParam(p).isEmpty(), p + " has no weight decay");
        }
        assertTrue(bn.getUpdaterByParam(BatchNorm.MEAN) instanceof NoOp, "running mean: no updater");
        assertTrue(bn.getUpdaterByParam(BatchNorm.VAR) instanceof NoOp, "running variance: no updater");
        assertTrue(bn.getUpdaterByParam(BatchNorm.GAMMA) instanceof Adam, "gamma is trained");
        assertEquals(2 * C, bn.numTrainableParams(), "trainable: gamma and beta");
    }
}
