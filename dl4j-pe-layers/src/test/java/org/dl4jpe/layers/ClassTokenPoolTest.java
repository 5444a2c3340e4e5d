package org.dl4jpe.layers;

import static org.dl4jpe.layers.TiedFeedForwardTest.assertClose;
import static org.dl4jpe.layers.TiedFeedForwardTest.rootMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.dl4jpe.layers.ClassTokenPool.Mode;
import org.dl4jpe.layers.testkit.LayerTestKit;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class ClassTokenPoolTest {
    private static final int D = 4;
    private static final int T = 5;
    private static final LayerWorkspaceMgr WS = LayerWorkspaceMgr.noWorkspaces();
    private static final INDArray MASK = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}});

    private static ClassTokenPool mean(long prefix) {
        return ClassTokenPool.builder().mode(Mode.MEAN).numPrefixTokens(prefix).build();
    }

    @Test
    void standardChecksClassToken() throws Exception {
        Nd4j.getRandom().setSeed(1);
        LayerTestKit.assertStandardChecks(
                ClassTokenPool.builder().build(),
                InputType.recurrent(D, T),
                Nd4j.randn(DataType.DOUBLE, 2, D, T),
                null,
                new long[] {2, D});
    }

    @Test
    void standardChecksMeanWithMask() throws Exception {
        Nd4j.getRandom().setSeed(2);
        LayerTestKit.assertStandardChecks(
                mean(1), InputType.recurrent(D, T), Nd4j.randn(DataType.DOUBLE, 2, D, T), MASK, new long[] {2, D});
    }

    /** Output is x[:, :, 0]; the gradient is the upstream gradient at token 0 and zero at every other token. */
    @Test
    void classTokenIsTokenZeroAndOnlyItGetsGradient() {
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 3, D, T);
        Layer l = layer(ClassTokenPool.builder().build(), x, null);
        INDArray y = l.activate(false, WS);
        assertClose(x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(0)), y, "y = x[:, :, 0]");
        INDArray g = Nd4j.randn(DataType.DOUBLE, 3, D);
        INDArray dx = l.backpropGradient(g, WS).getSecond();
        INDArray expected = Nd4j.zeros(DataType.DOUBLE, 3, D, T);
        expected.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(0))
                .assign(g);
        assertClose(expected, dx, "dx");
    }

    /**
     * MEAN with mask rows (1, 1, 1, 1, 1) and (1, 1, 1, 0, 0): row 0 averages 5 tokens, row 1 the first 3; values
     * at masked tokens do not matter (set to 1e6 here) and get no gradient; valid tokens get g / count.
     */
    @Test
    void meanRespectsMask() {
        Nd4j.getRandom().setSeed(4);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, D, T);
        x.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.interval(3, T))
                .assign(1e6);
        Layer l = layer(mean(0), x, MASK);
        INDArray y = l.activate(false, WS);
        INDArray expected = Nd4j.vstack(
                x.get(NDArrayIndex.point(0), NDArrayIndex.all(), NDArrayIndex.all())
                        .mean(1)
                        .reshape(1, D),
                x.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.interval(0, 3))
                        .mean(1)
                        .reshape(1, D));
        assertClose(expected, y, "masked mean");

        INDArray g = Nd4j.randn(DataType.DOUBLE, 2, D);
        INDArray dx = l.backpropGradient(g, WS).getSecond();
        INDArray dxExpected = Nd4j.zeros(DataType.DOUBLE, 2, D, T);
        for (int t = 0; t < T; t++) {
            dxExpected
                    .get(NDArrayIndex.point(0), NDArrayIndex.all(), NDArrayIndex.point(t))
                    .assign(g.getRow(0).div(5));
            if (t < 3) {
                dxExpected
                        .get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.point(t))
                        .assign(g.getRow(1).div(3));
            }
        }
        assertClose(dxExpected, dx, "dx = g / count at valid tokens, 0 at masked ones");
    }

    /** numPrefixTokens 1 (timm's avg pool with a class token): token 0 is left out; no mask means all valid. */
    @Test
    void meanSkipsPrefixTokens() {
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, D, T);
        INDArray y = layer(mean(1), x, null).activate(false, WS);
        assertClose(
                x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(1, T))
                        .mean(2),
                y,
                "mean over tokens 1..T-1");
        INDArray yMasked = layer(mean(1), x, MASK).activate(false, WS);
        assertClose(
                x.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.interval(1, 3))
                        .mean(1),
                yMasked.getRow(1),
                "row 1: tokens 1 and 2");
        INDArray noTokens = Nd4j.createFromArray(new double[][] {{1, 0, 0, 0, 0}, {1, 1, 0, 0, 0}});
        INDArray yEmpty = layer(mean(1), x, noTokens).activate(false, WS);
        assertClose(Nd4j.zeros(DataType.DOUBLE, D), yEmpty.getRow(0), "no valid token after the prefix: zeros");
    }

    /**
     * The pool behind a parametrised sequence layer with a mask, so the finite-difference check covers the gradient
     * the pool passes down (the test kit's check on the pool alone sees only the output layer's parameters); and
     * the front of a ViT, PatchEmbedding → ClassTokenPool (MEAN, so every embedding parameter reaches the head).
     */
    @Test
    void gradientCheckThroughThePool() {
        Nd4j.getRandom().setSeed(6);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, D, T);
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.recurrent(D, T),
                DataType.DOUBLE,
                TiedFeedForward.builder(D).hiddenDim(3).build(),
                mean(1));
        LayerTestKit.assertGradientCheck(net, x, MASK);
        LayerTestKit.assertEveryParamGetsGradient(net, x, MASK);

        INDArray image = Nd4j.randn(DataType.DOUBLE, 2, 1, 4, 4);
        MultiLayerNetwork vitFront = LayerTestKit.mln(
                InputType.convolutional(4, 4, 1),
                DataType.DOUBLE,
                PatchEmbedding.builder(4, 4, 1, 2, 3).build(),
                mean(0));
        LayerTestKit.assertGradientCheck(vitFront, image, null);
        LayerTestKit.assertEveryParamGetsGradient(vitFront, image, null);
    }

    /**
     * CLASS_TOKEN right after the embedding: the head sees only clsToken + posEmbed[0], so those get gradient and W,
     * b and the patch positions get exactly zero (in a ViT, the attention blocks in between mix the tokens).
     */
    @Test
    void classTokenPoolingPassesGradientOnlyToTheClassTokenPath() {
        Nd4j.getRandom().setSeed(7);
        INDArray image = Nd4j.randn(DataType.DOUBLE, 2, 1, 4, 4);
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.convolutional(4, 4, 1),
                DataType.DOUBLE,
                PatchEmbedding.builder(4, 4, 1, 2, 3).build(),
                ClassTokenPool.builder().build());
        Gradient g = net.calculateGradients(image, Nd4j.randn(DataType.DOUBLE, 2, 3), null, null)
                .getFirst();
        assertTrue(g.getGradientFor("0_clsToken").amaxNumber().doubleValue() > 0, "clsToken");
        assertClose(
                g.getGradientFor("0_clsToken"), g.getGradientFor("0_posEmbed").getRow(0), "posEmbed[0]");
        assertEquals(0.0, g.getGradientFor("0_W").amaxNumber().doubleValue(), "W");
        assertEquals(0.0, g.getGradientFor("0_b").amaxNumber().doubleValue(), "b");
        assertEquals(
                0.0,
                g.getGradientFor("0_posEmbed")
                        .get(NDArrayIndex.interval(1, 5), NDArrayIndex.all())
                        .amaxNumber()
                        .doubleValue(),
                "patch positions");
    }

    @Test
    void outputTypeAndMask() {
        assertEquals(
                InputType.feedForward(64),
                ClassTokenPool.builder().build().getOutputType(0, InputType.recurrent(64, 50)));
        Pair<INDArray, org.deeplearning4j.nn.api.MaskState> m =
                mean(0).feedForwardMaskArray(MASK, org.deeplearning4j.nn.api.MaskState.Active, 2);
        assertNull(m.getFirst(), "the collapsed sequence has no mask");
        assertEquals(0, ClassTokenPool.builder().build().numTrainableParams());
    }

    @Test
    void builderRejectsBadValuesWithClearMessages() {
        assertEquals(
                "ClassTokenPool: numPrefixTokens -1 must be zero or positive",
                assertThrows(IllegalArgumentException.class, () -> mean(-1)).getMessage());
        assertEquals(
                "ClassTokenPool 'pool': numPrefixTokens 1 applies only to mode MEAN, not CLASS_TOKEN",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ClassTokenPool.builder()
                                        .name("pool")
                                        .numPrefixTokens(1)
                                        .build())
                        .getMessage());
        assertEquals(
                "ClassTokenPool: mode must not be null",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ClassTokenPool.builder().mode(null).build())
                        .getMessage());
    }

    @Test
    void wrongInputNamesLayerAndShape() {
        // feed-forward rows get DL4J's FeedForwardToRnnPreProcessor (issue 10, item 5); images are refused
        assertTrue(
                LayerTestKit.mln(
                                        InputType.feedForward(D),
                                        DataType.FLOAT,
                                        ClassTokenPool.builder().build())
                                .getLayerWiseConfigurations()
                                .getInputPreProcess(0)
                        instanceof org.deeplearning4j.nn.conf.preprocessor.FeedForwardToRnnPreProcessor);
        Exception e = assertThrows(
                IllegalArgumentException.class,
                () -> LayerTestKit.mln(
                        InputType.convolutional(2, 2, D),
                        DataType.FLOAT,
                        ClassTokenPool.builder().name("head").build()));
        assertTrue(e.getMessage().startsWith("ClassTokenPool 'head': expects a sequence [N, D, T]"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> LayerTestKit.mln(InputType.recurrent(D, 2), DataType.FLOAT, mean(2)));
        assertTrue(
                e.getMessage()
                        .startsWith("ClassTokenPool: mode MEAN needs at least 3 tokens (numPrefixTokens 2),"
                                + " got input type InputTypeRecurrent"),
                e.getMessage());

        MultiLayerNetwork net = LayerTestKit.mln(InputType.recurrent(D, T), DataType.FLOAT, mean(2)); // named layer0
        String msg = rootMessage(assertThrows(Exception.class, () -> net.output(Nd4j.rand(DataType.FLOAT, 2, D, 2))));
        assertTrue(
                msg.contains("ClassTokenPool 'layer0': mode MEAN needs at least 3 tokens (numPrefixTokens 2), got "
                        + "[2, 4, 2]"),
                msg);
    }

    /** The layer instance of a one-layer network, its input (and mask) set, its gradient view ready. */
    private static Layer layer(ClassTokenPool conf, INDArray x, INDArray mask) {
        MultiLayerNetwork net = LayerTestKit.mln(InputType.recurrent(D, T), DataType.DOUBLE, conf);
        net.initGradientsView();
        Layer l = net.getLayer(0);
        l.setInput(x, WS);
        l.setMaskArray(mask);
        return l;
    }
}
