package org.dl4jpe.layers;

import static org.dl4jpe.layers.TiedFeedForwardTest.assertClose;
import static org.dl4jpe.layers.TiedFeedForwardTest.rootMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.weights.WeightInitConstant;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.dl4jpe.layers.testkit.LayerTestKit;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class PatchEmbeddingTest {
    // An 8×8 image with 2 channels, 4×4 patches (P = 4 patches, 5 tokens), width 6.
    private static final int H = 8;
    private static final int WIDTH = 8;
    private static final int C = 2;
    private static final int PATCH = 4;
    private static final int D = 6;
    private static final int TOKENS = 5;

    private static PatchEmbedding small() {
        return PatchEmbedding.builder(H, WIDTH, C, PATCH, D).build();
    }

    private static final LayerWorkspaceMgr WS = LayerWorkspaceMgr.noWorkspaces();

    /**
     * The test kit on a 4×4 two-channel image, 2×2 patches (P = 4), D = 3: 45 parameters. (The finite-difference
     * check costs two forward passes per parameter in two networks; the 234 parameters of the 8×8 case take a
     * minute on this machine, and add no path this one lacks.)
     */
    @Test
    void standardChecks() throws Exception {
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, C, 4, 4);
        PatchEmbedding layer = PatchEmbedding.builder(4, 4, C, 2, 3).build();
        assertEquals(45, layer.numTrainableParams());
        LayerTestKit.assertStandardChecks(layer, InputType.convolutional(4, 4, C), x, null, new long[] {2, 3, 5});
    }

    /** {@code InputType.convolutionalFlat} gets DL4J's FeedForwardToCnnPreProcessor and gives the same output. */
    @Test
    void flatImagesGoThroughDl4jPreprocessor() {
        Nd4j.getRandom().setSeed(2);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 3, C, H, WIDTH);
        MultiLayerNetwork image = LayerTestKit.mln(InputType.convolutional(H, WIDTH, C), DataType.DOUBLE, small());
        MultiLayerNetwork flat = LayerTestKit.mln(InputType.convolutionalFlat(H, WIDTH, C), DataType.DOUBLE, small());
        flat.setParams(image.params());
        INDArray expected = image.feedForwardToLayer(0, x, false).get(1);
        INDArray actual =
                flat.feedForwardToLayer(0, x.reshape(3, C * H * WIDTH), false).get(1);
        assertEquals(3 * D * TOKENS, expected.length());
        assertClose(expected, actual, "output from flattened input");
        LayerTestKit.assertJsonRoundTrip(InputType.convolutionalFlat(H, WIDTH, C), small());
    }

    /**
     * Against DL4J's ConvolutionLayer (kernel = stride = 4, bias, identity) holding W reshaped to [D, C, p, p]: the
     * patch tokens are the conv output [N, D, 2, 2] flattened row-major to [N, D, 4]; the class token and the
     * positional embedding are added here by hand. Backward: with upstream gradient g [N, D, 5], dW, db and dx
     * match the conv layer given g[:, :, 1:] and dclsToken = Σ_n g[n, :, 0], dposEmbed[t] = Σ_n g[n, :, t].
     */
    @Test
    void equalsBuiltInConvolutionPlusTokensAddedByHand() {
        Nd4j.getRandom().setSeed(3);
        int n = 3;
        INDArray x = Nd4j.randn(DataType.DOUBLE, n, C, H, WIDTH);
        MultiLayerNetwork ours = LayerTestKit.mln(InputType.convolutional(H, WIDTH, C), DataType.DOUBLE, small());
        MultiLayerNetwork conv = LayerTestKit.mln(
                InputType.convolutional(H, WIDTH, C),
                DataType.DOUBLE,
                new ConvolutionLayer.Builder(PATCH, PATCH)
                        .stride(PATCH, PATCH)
                        .convolutionMode(ConvolutionMode.Truncate)
                        .nOut(D)
                        .hasBias(true)
                        .activation(Activation.IDENTITY)
                        .build());
        ours.setParam("0_b", Nd4j.randn(DataType.DOUBLE, D)); // the init leaves it at 0
        INDArray w = ours.getParam("0_W");
        INDArray b = ours.getParam("0_b");
        INDArray cls = ours.getParam("0_clsToken");
        INDArray pos = ours.getParam("0_posEmbed");
        assertEquals(
                "[6, 2, 4, 4]", java.util.Arrays.toString(conv.getParam("0_W").shape()), "DL4J conv weight");
        conv.setParam("0_W", w.reshape('c', D, C, PATCH, PATCH));
        conv.setParam("0_b", b.reshape(conv.getParam("0_b").shape()));
        ours.initGradientsView();
        conv.initGradientsView();

        Layer l = ours.getLayer(0);
        Layer cl = conv.getLayer(0);
        l.setInput(x, WS);
        cl.setInput(x, WS);
        INDArray y = l.activate(true, WS).dup();
        INDArray patchTokens = cl.activate(true, WS).dup().reshape('c', n, D, 4);
        INDArray expected = Nd4j.create(DataType.DOUBLE, n, D, TOKENS);
        for (int i = 0; i < n; i++) {
            expected.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.point(0))
                    .assign(cls);
            expected.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.interval(1, TOKENS))
                    .assign(patchTokens.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all()));
            expected.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all())
                    .addi(pos.transpose());
        }
        assertClose(expected, y, "forward = conv patch tokens with class token and positions added by hand");

        INDArray g = Nd4j.randn(DataType.DOUBLE, n, D, TOKENS);
        Pair<Gradient, INDArray> ourGrad = l.backpropGradient(g, WS);
        INDArray gPatches = g.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(1, TOKENS))
                .dup()
                .reshape('c', n, D, 2, 2);
        Pair<Gradient, INDArray> convGrad = cl.backpropGradient(gPatches, WS);
        assertClose(
                convGrad.getFirst().getGradientFor("W").reshape('c', D, C * PATCH * PATCH),
                ourGrad.getFirst().getGradientFor("W"),
                "dW");
        assertClose(
                convGrad.getFirst().getGradientFor("b").reshape(D),
                ourGrad.getFirst().getGradientFor("b"),
                "db");
        assertClose(convGrad.getSecond(), ourGrad.getSecond(), "dx");
        assertClose(
                g.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(0))
                        .sum(0),
                ourGrad.getFirst().getGradientFor("clsToken"),
                "dclsToken = Σ_n g[n, :, 0]");
        assertClose(
                g.sum(0).transpose(), ourGrad.getFirst().getGradientFor("posEmbed"), "dposEmbed[t] = Σ_n g[n, :, t]");
    }

    /**
     * By hand: one channel, 2×4 image, 2×2 patches (P = 2), D = 2.
     * x = [[1, 2, 3, 4], [5, 6, 7, 8]]: patch 1 = (1, 2, 5, 6), patch 2 = (3, 4, 7, 8) in (kh, kw) order.
     * W = [[1, 0, 0, 0], [0, 1, 1, -1]], b = [0.5, -0.5]: e1 = [1, 2 + 5 - 6] + b = [1.5, 0.5],
     * e2 = [3, 4 + 7 - 8] + b = [3.5, 2.5]. clsToken = [10, 20], posEmbed = [[.1, .2], [.3, .4], [.5, .6]]:
     * tokens [10.1, 20.2], [1.8, 0.9], [4.0, 3.1]; output [N, D, T] = [[10.1, 1.8, 4.0], [20.2, 0.9, 3.1]].
     * Upstream gradient all ones: dW row d = Σ patches = (4, 6, 12, 14); db = [2, 2]; dclsToken = [1, 1];
     * dposEmbed = ones; dx pixel = Σ_d W[d, k] = (1, 1, 1, -1) per patch, i.e. [[1, 1, 1, 1], [1, -1, 1, -1]].
     */
    @Test
    void tinyCaseComputedByHand() {
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.convolutional(2, 4, 1),
                DataType.DOUBLE,
                PatchEmbedding.builder(2, 4, 1, 2, 2).build());
        net.setParam("0_W", Nd4j.createFromArray(new double[][] {{1, 0, 0, 0}, {0, 1, 1, -1}}));
        net.setParam("0_b", Nd4j.createFromArray(0.5, -0.5));
        net.setParam("0_clsToken", Nd4j.createFromArray(10.0, 20.0));
        net.setParam("0_posEmbed", Nd4j.createFromArray(new double[][] {{.1, .2}, {.3, .4}, {.5, .6}}));
        net.initGradientsView();
        INDArray x = Nd4j.createFromArray(new double[][] {{1, 2, 3, 4}, {5, 6, 7, 8}})
                .reshape(1, 1, 2, 4);
        Layer l = net.getLayer(0);
        l.setInput(x, WS);
        INDArray y = l.activate(true, WS);
        assertClose(
                Nd4j.createFromArray(new double[][] {{10.1, 1.8, 4.0}, {20.2, 0.9, 3.1}})
                        .reshape(1, 2, 3),
                y,
                "y");
        Pair<Gradient, INDArray> g = l.backpropGradient(Nd4j.ones(DataType.DOUBLE, 1, 2, 3), WS);
        assertClose(
                Nd4j.createFromArray(new double[][] {{4, 6, 12, 14}, {4, 6, 12, 14}}),
                g.getFirst().getGradientFor("W"),
                "dW");
        assertClose(Nd4j.createFromArray(2.0, 2.0), g.getFirst().getGradientFor("b"), "db");
        assertClose(Nd4j.createFromArray(1.0, 1.0), g.getFirst().getGradientFor("clsToken"), "dclsToken");
        assertClose(Nd4j.ones(DataType.DOUBLE, 3, 2), g.getFirst().getGradientFor("posEmbed"), "dposEmbed");
        assertClose(
                Nd4j.createFromArray(new double[][] {{1, 1, 1, 1}, {1, -1, 1, -1}})
                        .reshape(1, 1, 2, 4),
                g.getSecond(),
                "dx");
    }

    @Test
    void parameterCountsAreExact() {
        // C·p·p·D + D (bias) + D (class token) + (P+1)·D (positions)
        assertEquals(2 * 16 * 6 + 6 + 6 + 5 * 6, small().numTrainableParams()); // 234
        // vit_micro_patch4_28: 28×28×1, patch 4 (P = 49), D 64: 1024 + 64 + 64 + 3200 = 4352
        PatchEmbedding micro = PatchEmbedding.builder(28, 28, 1, 4, 64).build();
        assertEquals(49, micro.numPatches());
        assertEquals(1 * 16 * 64 + 64 + 64 + 50 * 64, micro.numTrainableParams());
        assertEquals(4352, micro.numTrainableParams());
        // vit_small_patch16_224 (timm: patch_embed.proj 295,296 + cls_token 384 + pos_embed 75,648)
        assertEquals(
                371_328, PatchEmbedding.builder(224, 224, 3, 16, 384).build().numTrainableParams());
        // the network's own count agrees
        MultiLayerNetwork net = LayerTestKit.mln(InputType.convolutional(28, 28, 1), DataType.FLOAT, micro);
        assertEquals(4352, net.getLayer(0).numParams());
    }

    @Test
    void outputTypeIsTheTokenSequence() {
        assertEquals(
                InputType.recurrent(64, 50),
                PatchEmbedding.builder(28, 28, 1, 4, 64).build().getOutputType(0, InputType.convolutional(28, 28, 1)));
        assertEquals(
                InputType.recurrent(D, TOKENS), small().getOutputType(0, InputType.convolutionalFlat(H, WIDTH, C)));
        assertEquals(
                null,
                small().feedForwardMaskArray(
                                Nd4j.ones(DataType.DOUBLE, 2, 1, 1, 1), org.deeplearning4j.nn.api.MaskState.Active, 2)
                        .getFirst(),
                "every output token is real: no mask");
    }

    /** docs/what-it-computes.md: truncated normal std 0.02 for W, class token and positions; zero bias. */
    @Test
    void defaultInitIsTruncatedNormalPointZeroTwoWithZeroBias() {
        Nd4j.getRandom().setSeed(6);
        PatchEmbedding layer = PatchEmbedding.builder(32, 32, 3, 4, 64).build(); // 12,288 + 4,160 + 64 values
        assertEquals(TruncatedNormalInit.of(0.02), layer.getEmbedInit());
        MultiLayerNetwork net = LayerTestKit.mln(InputType.convolutional(32, 32, 3), DataType.DOUBLE, layer);
        assertEquals(0.0, net.getParam("0_b").amaxNumber().doubleValue(), "bias starts at zero");
        // sample std of n normals has relative standard error 1/√(2n): for n ≥ 4,160 that is ≤ 1.1%; allow 5%
        // (about 4.5 standard errors) on W and posEmbed. The 64-value class token gets 20% (2.3 standard errors at
        // 1/√128 = 8.8%).
        assertStd(net.getParam("0_W"), 0.05);
        assertStd(net.getParam("0_posEmbed"), 0.05);
        assertStd(net.getParam("0_clsToken"), 0.20);
    }

    private static void assertStd(INDArray a, double relTol) {
        double std = a.stdNumber().doubleValue();
        assertEquals(0.02, std, 0.02 * relTol, "sample std of " + a.length() + " values");
    }

    @Test
    void weightInitIsConfigurableForAllAndPerParameter() {
        MultiLayerNetwork ones = LayerTestKit.mln(
                InputType.convolutional(H, WIDTH, C),
                DataType.DOUBLE,
                PatchEmbedding.builder(H, WIDTH, C, PATCH, D)
                        .weightInit(WeightInit.ONES)
                        .weightInit(PatchEmbedding.POS_EMBED, new WeightInitConstant(3.0))
                        .build());
        assertEquals(Nd4j.ones(DataType.DOUBLE, D, C * PATCH * PATCH), ones.getParam("0_W"));
        assertEquals(Nd4j.ones(DataType.DOUBLE, D), ones.getParam("0_clsToken"));
        assertEquals(Nd4j.valueArrayOf(new long[] {TOKENS, D}, 3.0, DataType.DOUBLE), ones.getParam("0_posEmbed"));
        assertEquals(Nd4j.zeros(DataType.DOUBLE, D), ones.getParam("0_b"));
        LayerTestKit.assertJsonRoundTrip(
                InputType.convolutional(H, WIDTH, C),
                PatchEmbedding.builder(H, WIDTH, C, PATCH, D)
                        .weightInit(TruncatedNormalInit.of(0, 0.5, -1, 1))
                        .weightInit(PatchEmbedding.CLS_TOKEN, TruncatedNormalInit.of(1e-6))
                        .build());
    }

    @Test
    void builderRejectsBadValuesWithClearMessages() {
        assertMessage(
                "PatchEmbedding: patchSize 5 does not divide imageHeight 28",
                () -> PatchEmbedding.builder(28, 28, 1, 5, 64).build());
        assertMessage(
                "PatchEmbedding 'pe': patchSize 4 does not divide imageWidth 30",
                () -> PatchEmbedding.builder(28, 30, 1, 4, 64).name("pe").build());
        assertMessage(
                "PatchEmbedding: imageHeight 0 must be positive",
                () -> PatchEmbedding.builder(0, 28, 1, 4, 64).build());
        assertMessage(
                "PatchEmbedding: inChannels -1 must be positive",
                () -> PatchEmbedding.builder(28, 28, -1, 4, 64).build());
        assertMessage(
                "PatchEmbedding: patchSize 0 must be positive",
                () -> PatchEmbedding.builder(28, 28, 1, 0, 64).build());
        assertMessage(
                "PatchEmbedding: embedDim 0 must be positive",
                () -> PatchEmbedding.builder(28, 28, 1, 4, 0).build());
        assertMessage(
                "PatchEmbedding: weightInit must not be null",
                () -> PatchEmbedding.builder(28, 28, 1, 4, 8)
                        .weightInit((org.deeplearning4j.nn.weights.IWeightInit) null)
                        .build());
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable build) {
        assertEquals(
                expected, assertThrows(IllegalArgumentException.class, build).getMessage());
    }

    @Test
    void wrongInputShapeNamesLayerAndBothShapes() {
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.convolutional(H, WIDTH, C),
                DataType.FLOAT,
                PatchEmbedding.builder(H, WIDTH, C, PATCH, D).name("patches").build());
        INDArray nhwc = Nd4j.rand(DataType.FLOAT, 2, H, WIDTH, C);
        String msg = rootMessage(assertThrows(Exception.class, () -> net.output(nhwc)));
        assertTrue(
                msg.contains("PatchEmbedding 'patches': expected input [N, 2, 8, 8]")
                        && msg.contains("got [2, 8, 8, 2]"),
                msg);
    }

    @Test
    void wrongConfiguredInputTypeFailsAtBuildTime() {
        Exception e = assertThrows(
                IllegalArgumentException.class,
                () -> LayerTestKit.mln(InputType.convolutional(H, WIDTH, 3), DataType.FLOAT, small()));
        assertTrue(
                e.getMessage().startsWith("PatchEmbedding: input type InputTypeConvolutional(h=8,w=8,c=3")
                        && e.getMessage()
                                .endsWith("is not the configured image (imageHeight 8, imageWidth 8, inChannels 2)"),
                e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> LayerTestKit.mln(InputType.recurrent(D, 5), DataType.FLOAT, small()));
        assertTrue(
                e.getMessage()
                        .startsWith("PatchEmbedding: expects image input [N, 2, 8, 8] "
                                + "(InputType.convolutional(8, 8, 2)), got InputTypeRecurrent"),
                e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> LayerTestKit.mln(
                        InputType.convolutional(H, WIDTH, C, org.deeplearning4j.nn.conf.CNN2DFormat.NHWC),
                        DataType.FLOAT,
                        small()));
        assertTrue(e.getMessage().startsWith("PatchEmbedding: expects images in NCHW format"), e.getMessage());
    }
}
