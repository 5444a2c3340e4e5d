package org.dl4jpe.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Statistical tolerances: for n independent draws the sample mean has standard error σ/√n and the sample standard
 * deviation (approximately) σ/√(2n). Each bound below is about 5 standard errors, so a correct sampler fails with
 * probability below 1e-6 per check, while the mistakes these checks exist for (clamping instead of truncating, bounds
 * relative to std, a wrong scale) move the statistic by tens of standard errors. Seeds are fixed, so runs repeat.
 */
class TruncatedNormalInitTest {
    private static final int N = 200_000;

    private static INDArray draw(IWeightInit init, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray a = Nd4j.create(DataType.DOUBLE, 400, 500);
        return init.init(400, 500, a.shape(), 'c', a);
    }

    /** ViT's trunc_normal_(std=.02): bounds ±2 absolute, 100 std out, so effectively N(0, 0.02²). */
    @Test
    void vitInitHasStdPointZeroTwo() {
        INDArray w = draw(TruncatedNormalInit.of(0.02), 1);
        assertEquals(N, w.length());
        // std: standard error 0.02/√(4e5) = 3.2e-5, bound 1.6e-4 (5 s.e.); mean: standard error 4.5e-5, bound 2.2e-4
        assertEquals(0.02, w.stdNumber().doubleValue(), 1.6e-4, "sample std");
        assertEquals(0.0, w.meanNumber().doubleValue(), 2.2e-4, "sample mean");
        // untruncated: 4.550% of N(0, σ²) lies beyond 2σ (binomial s.e. 0.047 points; bound 0.25 points), and the
        // largest of 2e5 draws sits near 4.5σ (a cut at mean ± 2·std, DL4J's convention, would stop at 2σ)
        double[] v = w.reshape(-1).toDoubleVector();
        double fraction =
                java.util.Arrays.stream(v).filter(x -> Math.abs(x) > 0.04).count() / (double) N;
        assertEquals(0.0455, fraction, 0.0025, "fraction beyond 2σ");
        double largest = w.amaxNumber().doubleValue() / 0.02;
        assertTrue(largest > 3.5 && largest < 6.5, "largest |x|/σ " + largest);
    }

    /**
     * timm's defaults on std 1: N(0, 1) cut at [-2, 2]. Every value inside; the truncated std is
     * √(1 - 4φ(2)/(Φ(2) - Φ(-2))) = 0.879626 (Python, math.erf). Clamping N(0, 1) instead would give ≈ 0.92 with 4.6%
     * of the values exactly at ±2.
     */
    @Test
    void standardNormalIsTruncatedAtTwo() {
        INDArray w = draw(TruncatedNormalInit.of(1.0), 2);
        assertTrue(w.amaxNumber().doubleValue() <= 2.0, "max |x| " + w.amaxNumber());
        // s.e. of the std of a truncated normal ≈ σ_t/√(2n) = 0.0014; bound 0.007
        assertEquals(0.879626, w.stdNumber().doubleValue(), 0.007, "truncated std");
        // near the bounds a truncated normal has density φ(2)/(Φ(2) - Φ(-2)) = 0.0566, so ≈ 23 of 2e5 values lie
        // within 0.001 of ±2 (Poisson s.d. ≈ 5); clamping would put ≈ 9,100 there
        long atBound = java.util.Arrays.stream(w.reshape(-1).toDoubleVector())
                .filter(x -> Math.abs(x) >= 1.999)
                .count();
        assertTrue(atBound < 60, atBound + " values within 0.001 of ±2");
    }

    /**
     * Asymmetric bounds around a shifted mean: N(1, 0.5²) on [0.8, 3.0]. α = -0.4, β = 4; truncated mean
     * 1.2808528 and std 0.3387130 (Python, math.erf).
     */
    @Test
    void meanAndAbsoluteBoundsAreHonoured() {
        INDArray w = draw(TruncatedNormalInit.of(1.0, 0.5, 0.8, 3.0), 3);
        assertTrue(
                w.minNumber().doubleValue() >= 0.8 && w.maxNumber().doubleValue() <= 3.0,
                "range [" + w.minNumber() + ", " + w.maxNumber() + "]");
        // s.e. of the mean 0.339/√(2e5) = 7.6e-4, bound 3.8e-3; of the std ≈ 5.4e-4, bound 2.7e-3
        assertEquals(1.2808528, w.meanNumber().doubleValue(), 3.8e-3, "truncated mean");
        assertEquals(0.3387130, w.stdNumber().doubleValue(), 2.7e-3, "truncated std");
    }

    @Test
    void fillsTheViewInPlaceAndFollowsTheNd4jSeed() {
        INDArray whole = Nd4j.zeros(DataType.DOUBLE, 1, 30);
        INDArray view = whole.get(NDArrayIndex.point(0), NDArrayIndex.interval(10, 22));
        Nd4j.getRandom().setSeed(7);
        INDArray shaped = TruncatedNormalInit.of(0.02).init(3, 4, new long[] {3, 4}, 'c', view);
        assertEquals("[3, 4]", java.util.Arrays.toString(shaped.shape()));
        assertEquals(
                0.0,
                whole.get(NDArrayIndex.point(0), NDArrayIndex.interval(0, 10))
                        .amaxNumber()
                        .doubleValue());
        assertEquals(
                0.0,
                whole.get(NDArrayIndex.point(0), NDArrayIndex.interval(22, 30))
                        .amaxNumber()
                        .doubleValue());
        assertTrue(view.amaxNumber().doubleValue() > 0, "view filled");
        assertEquals(view.reshape(3, 4), shaped);

        INDArray again = Nd4j.zeros(DataType.DOUBLE, 12);
        Nd4j.getRandom().setSeed(7);
        TruncatedNormalInit.of(0.02).init(3, 4, new long[] {3, 4}, 'c', again);
        assertEquals(view.reshape(12), again, "same seed, same values");
    }

    /** DL4J serializes IWeightInit polymorphically (class name + fields); a network config must round-trip. */
    @Test
    void networkConfigurationRoundTripsThroughJson() {
        TruncatedNormalInit init = TruncatedNormalInit.of(0.5, 0.25, -1.0, 1.5);
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .weightInit(TruncatedNormalInit.of(0.02))
                .list()
                .layer(new DenseLayer.Builder().nOut(5).weightInit(init).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .nOut(2)
                        .build())
                .setInputType(InputType.feedForward(4))
                .build();
        String json = conf.toJson();
        assertTrue(json.contains("\"@class\" : \"org.dl4jpe.layers.TruncatedNormalInit\""), json);
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(json);
        assertEquals(conf, back);
        org.deeplearning4j.nn.conf.layers.BaseLayer dense =
                (org.deeplearning4j.nn.conf.layers.BaseLayer) back.getConf(0).getLayer();
        assertEquals(init, dense.getWeightInitFn());
        assertEquals(
                TruncatedNormalInit.of(0.02),
                ((org.deeplearning4j.nn.conf.layers.BaseLayer) back.getConf(1).getLayer()).getWeightInitFn());
        // and the restored configuration initializes with it
        MultiLayerNetwork net = new MultiLayerNetwork(back);
        net.init();
        INDArray w = net.getParam("0_W");
        assertTrue(w.minNumber().doubleValue() >= -1.0 && w.maxNumber().doubleValue() <= 1.5, w.toString());
    }

    @Test
    void equalsAndHashCodeCompareAllFourFields() {
        assertEquals(TruncatedNormalInit.of(0.02), TruncatedNormalInit.of(0, 0.02, -2, 2));
        assertEquals(
                TruncatedNormalInit.of(0.02).hashCode(),
                TruncatedNormalInit.of(0, 0.02, -2, 2).hashCode());
        assertNotEquals(TruncatedNormalInit.of(0.02), TruncatedNormalInit.of(0.03));
        assertNotEquals(TruncatedNormalInit.of(0.02), TruncatedNormalInit.of(0.1, 0.02, -2, 2));
        assertNotEquals(TruncatedNormalInit.of(0.02), TruncatedNormalInit.of(0, 0.02, -1, 2));
        assertNotEquals(TruncatedNormalInit.of(0.02), TruncatedNormalInit.of(0, 0.02, -2, 1));
        assertEquals(
                "TruncatedNormalInit(mean=0.0, std=0.02, a=-2.0, b=2.0)",
                TruncatedNormalInit.of(0.02).toString());
    }

    @Test
    void rejectsBadValuesWithClearMessages() {
        assertEquals(
                "TruncatedNormalInit: std 0.0 must be positive and finite",
                assertThrows(IllegalArgumentException.class, () -> TruncatedNormalInit.of(0.0))
                        .getMessage());
        assertEquals(
                "TruncatedNormalInit: lower bound a 1.0 must be less than upper bound b -1.0",
                assertThrows(IllegalArgumentException.class, () -> TruncatedNormalInit.of(0, 1, 1, -1))
                        .getMessage());
        assertEquals(
                "TruncatedNormalInit: mean NaN must be finite",
                assertThrows(IllegalArgumentException.class, () -> TruncatedNormalInit.of(Double.NaN, 1, -2, 2))
                        .getMessage());
        assertEquals(
                "TruncatedNormalInit: [a, b] = [50.0, 60.0] holds no probability mass of N(0.0, 1.0²) in "
                        + "double precision",
                assertThrows(IllegalArgumentException.class, () -> TruncatedNormalInit.of(0, 1, 50, 60))
                        .getMessage());
    }
}
