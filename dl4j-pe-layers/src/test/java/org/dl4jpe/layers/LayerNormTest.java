package org.dl4jpe.layers;

import static org.dl4jpe.layers.TiedFeedForwardTest.assertClose;
import static org.dl4jpe.layers.TiedFeedForwardTest.rootMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4jpe.layers.testkit.LayerTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

@ExtendWith(SingleThreadedNd4j.class)
class LayerNormTest {
    private static final int D = 4;

    @Test
    void standardChecksOnSequencesWithPadding() throws Exception {
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, D, 5);
        INDArray mask = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}});
        LayerTestKit.assertStandardChecks(
                LayerNorm.builder(D).build(), InputType.recurrent(D, 5), x, mask, new long[] {2, D, 5});
    }

    @Test
    void standardChecksOnFeedForwardInput() throws Exception {
        Nd4j.getRandom().setSeed(2);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 3, D);
        LayerTestKit.assertStandardChecks(
                LayerNorm.builder(D).build(), InputType.feedForward(D), x, null, new long[] {3, D});
    }

    @Test
    void parameterCountIsTwoPerFeatureAndInitIsIdentity() {
        assertEquals(2 * D, LayerNorm.builder(D).build().numTrainableParams());
        assertEquals(768, LayerNorm.builder(384).build().numTrainableParams());
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.recurrent(D, 3), DataType.DOUBLE, LayerNorm.builder(D).build());
        assertEquals(Nd4j.ones(DataType.DOUBLE, D), net.getParam("0_gamma"), "gamma starts at 1");
        assertEquals(Nd4j.zeros(DataType.DOUBLE, D), net.getParam("0_beta"), "beta starts at 0");
        assertEquals(1e-6, LayerNorm.builder(D).build().getEps(), "default eps (timm ViT)");
    }

    /**
     * By hand: x = [1, 3], gamma = [2, 0.5], beta = [0.1, -0.1]. mean 2, biased variance 1, so
     * y = [-1, 1] / √(1 + eps) · gamma + beta = [-2/√(1 + 1e-6) + 0.1, 0.5/√(1 + 1e-6) − 0.1]; with eps 0.1 the
     * divisor is √1.1.
     */
    @Test
    void tinyCaseComputedByHand() {
        for (double eps : new double[] {1e-6, 0.1}) {
            MultiLayerNetwork net = LayerTestKit.mln(
                    InputType.feedForward(2),
                    DataType.DOUBLE,
                    LayerNorm.builder(2).eps(eps).build());
            net.setParam("0_gamma", Nd4j.createFromArray(2, 0.5));
            net.setParam("0_beta", Nd4j.createFromArray(0.1, -0.1));
            INDArray y = net.feedForwardToLayer(0, Nd4j.createFromArray(new double[][] {{1, 3}}), false)
                    .get(1);
            double s = Math.sqrt(1 + eps);
            assertClose(Nd4j.createFromArray(new double[][] {{-2 / s + 0.1, 0.5 / s - 0.1}}), y, "eps " + eps);
        }
    }

    /** Sequence input [N, D, T]: each token normalized over its D features, computed here with plain ND4J ops. */
    @Test
    void matchesPlainNd4jPerToken() {
        Nd4j.getRandom().setSeed(3);
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.recurrent(D, 5), DataType.DOUBLE, LayerNorm.builder(D).build());
        INDArray gamma = Nd4j.randn(DataType.DOUBLE, D);
        INDArray beta = Nd4j.randn(DataType.DOUBLE, D);
        net.setParam("0_gamma", gamma);
        net.setParam("0_beta", beta);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, D, 5).muli(3).addi(1);
        INDArray y = net.feedForwardToLayer(0, x, false).get(1);
        INDArray expected = Nd4j.create(DataType.DOUBLE, 2, D, 5);
        for (int n = 0; n < 2; n++) {
            for (int t = 0; t < 5; t++) {
                double[] v = new double[D];
                double mean = 0;
                for (int i = 0; i < D; i++) {
                    v[i] = x.getDouble(n, i, t);
                    mean += v[i] / D;
                }
                double var = 0;
                for (int i = 0; i < D; i++) {
                    var += (v[i] - mean) * (v[i] - mean) / D;
                }
                for (int i = 0; i < D; i++) {
                    expected.putScalar(
                            new int[] {n, i, t},
                            (v[i] - mean) / Math.sqrt(var + 1e-6) * gamma.getDouble(i) + beta.getDouble(i));
                }
            }
        }
        assertClose(expected, y, "layer norm");
    }

    @Test
    void maskPassesThroughUnchanged() {
        INDArray mask = Nd4j.createFromArray(new double[][] {{1, 1, 0}});
        assertSame(
                mask,
                LayerNorm.builder(D)
                        .build()
                        .feedForwardMaskArray(mask, MaskState.Active, 1)
                        .getFirst());
    }

    @Test
    void builderRejectsBadValuesWithClearMessages() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> LayerNorm.builder(0).build());
        assertEquals("LayerNorm: dim 0 must be positive", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> LayerNorm.builder(8).eps(0).build());
        assertEquals("LayerNorm: eps 0.0 must be positive and finite", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> LayerNorm.builder(8).name("ln").eps(-1).build());
        assertEquals("LayerNorm 'ln': eps -1.0 must be positive and finite", e.getMessage());
    }

    @Test
    void wrongInputWidthNamesLayerAndBothShapes() {
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.recurrent(D, 3),
                DataType.FLOAT,
                LayerNorm.builder(D).name("norm1").build());
        Exception e = assertThrows(Exception.class, () -> net.output(Nd4j.rand(DataType.FLOAT, 2, D + 2, 3)));
        String msg = rootMessage(e);
        assertTrue(msg.contains("LayerNorm 'norm1'") && msg.contains("[N, 4, T]") && msg.contains("[2, 6, 3]"), msg);
        e = assertThrows(
                IllegalArgumentException.class,
                () -> LayerTestKit.mln(
                        InputType.recurrent(8, 3),
                        DataType.FLOAT,
                        LayerNorm.builder(D).build()));
        assertTrue(e.getMessage().contains("input has 8 features but dim is 4"), e.getMessage());
    }

    @Test
    void trainingPrintsNothingToStandardOutput() throws Exception {
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.recurrent(D, 3), DataType.FLOAT, LayerNorm.builder(D).build());
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, D, 3);
        INDArray y = LayerTestKit.labelsFor(net, x);
        String out = LayerTestKit.stdoutOf(() -> {
            net.fit(x, y);
            net.fit(x, y);
        });
        assertEquals("", out);
        assertFalse(net.params().isNaN().any());
    }
}
