package org.dl4jpe.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;
import org.dl4jpe.layers.testkit.LayerTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Engine#DIRECT} computes what {@link Engine#SAMEDIFF} (SameDiff's differentiation of each layer's
 * {@code define}) computes, in double precision: outputs at inference and in training, every parameter gradient and
 * the input gradient, with padded sequences (masks of different lengths), with every dropout site and drop path on
 * (both engines draw their masks from ND4J's generator in the same order, so the same seed gives the same masks),
 * in a MultiLayerNetwork and in a ComputationGraph.
 */
@ExtendWith(SingleThreadedNd4j.class)
class DirectEngineTest {
    private static final int D = 8;
    private static final int H = 2;
    private static final int R = 12;
    private static final int T = 5;
    /** Three sequences of 5, 3 and 4 tokens. */
    private static final INDArray MASK =
            Nd4j.createFromArray(new double[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}, {1, 1, 1, 1, 0}});

    private static final double TOLERANCE = 1e-11;

    private static TransformerBlock.Builder block(Scheme scheme, Tie tie, MlpActivation act) {
        return TransformerBlock.builder(D, H)
                .hiddenDim(R)
                .scheme(scheme)
                .tie(tie)
                .activation(act);
    }

    @ParameterizedTest
    @CsvSource({
        "QO_KV, TRANSPOSE, GELU",
        "QO_KV, NONE, GELU_TANH",
        "QK_VO, TRANSPOSE, RELU",
        "QK_VO, NONE, GELU",
        "NONE, NONE, GELU",
        "NONE, TRANSPOSE, GELU_TANH"
    })
    void transformerBlockEqualsReference(Scheme scheme, Tie tie, MlpActivation act) {
        assertEnginesEqual(
                block(scheme, tie, act).build(),
                block(scheme, tie, act).engine(Engine.SAMEDIFF).build(),
                InputType.recurrent(D, T),
                input(3, D, T),
                MASK);
    }

    /** Every dropout site and drop path at once, in training: the same masks give the same gradients. */
    @ParameterizedTest
    @CsvSource({"QO_KV, TRANSPOSE, GELU", "NONE, NONE, RELU"})
    void transformerBlockWithDropoutEqualsReference(Scheme scheme, Tie tie, MlpActivation act) {
        assertEnginesEqual(
                block(scheme, tie, act)
                        .attnDropout(0.3)
                        .projDropout(0.2)
                        .mlpDropout(0.25)
                        .dropPath(0.4)
                        .build(),
                block(scheme, tie, act)
                        .attnDropout(0.3)
                        .projDropout(0.2)
                        .mlpDropout(0.25)
                        .dropPath(0.4)
                        .engine(Engine.SAMEDIFF)
                        .build(),
                InputType.recurrent(D, T),
                input(8, D, T),
                null);
    }

    @ParameterizedTest
    @CsvSource({"QO_KV", "QK_VO", "NONE"})
    void selfAttentionEqualsReference(Scheme scheme) {
        assertEnginesEqual(
                TiedSelfAttention.builder(D, H)
                        .scheme(scheme)
                        .attnDropout(0.2)
                        .projDropout(0.3)
                        .build(),
                TiedSelfAttention.builder(D, H)
                        .scheme(scheme)
                        .attnDropout(0.2)
                        .projDropout(0.3)
                        .engine(Engine.SAMEDIFF)
                        .build(),
                InputType.recurrent(D, T),
                input(3, D, T),
                MASK);
    }

    /** Attention's per-head products as ND4J products of views (no OpenBLAS: another backend) give the same. */
    @ParameterizedTest
    @CsvSource({"QO_KV", "NONE"})
    void selfAttentionWithoutBlasEqualsReference(Scheme scheme) {
        boolean blas = HeadGemm.useBlas;
        assertTrue(blas, "ND4J's CPU backend runs these tests: the per-head products call OpenBLAS");
        HeadGemm.useBlas = false;
        try {
            assertEnginesEqual(
                    block(scheme, Tie.TRANSPOSE, MlpActivation.GELU)
                            .attnDropout(0.2)
                            .build(),
                    block(scheme, Tie.TRANSPOSE, MlpActivation.GELU)
                            .attnDropout(0.2)
                            .engine(Engine.SAMEDIFF)
                            .build(),
                    InputType.recurrent(D, T),
                    input(3, D, T),
                    MASK);
        } finally {
            HeadGemm.useBlas = blas;
        }
    }

    @ParameterizedTest
    @CsvSource({"TRANSPOSE, GELU", "NONE, GELU", "TRANSPOSE, GELU_TANH", "NONE, RELU"})
    void feedForwardEqualsReference(Tie tie, MlpActivation act) {
        TiedFeedForward direct = TiedFeedForward.builder(D)
                .hiddenDim(R)
                .tie(tie)
                .activation(act)
                .dropout(0.3)
                .build();
        TiedFeedForward reference = TiedFeedForward.builder(D)
                .hiddenDim(R)
                .tie(tie)
                .activation(act)
                .dropout(0.3)
                .engine(Engine.SAMEDIFF)
                .build();
        assertEnginesEqual(direct, reference, InputType.recurrent(D, T), input(3, D, T), MASK);
        assertEnginesEqual(direct.clone(), reference.clone(), InputType.feedForward(D), input(4, D), null);
    }

    @Test
    void layerNormEqualsReference() {
        LayerNorm direct = LayerNorm.builder(D).eps(1e-5).build();
        LayerNorm reference =
                LayerNorm.builder(D).eps(1e-5).engine(Engine.SAMEDIFF).build();
        assertEnginesEqual(direct, reference, InputType.recurrent(D, T), input(3, D, T), MASK);
        assertEnginesEqual(direct.clone(), reference.clone(), InputType.feedForward(D), input(4, D), null);
    }

    @Test
    void patchEmbeddingEqualsReference() {
        assertEnginesEqual(
                PatchEmbedding.builder(8, 12, 2, 4, D).build(),
                PatchEmbedding.builder(8, 12, 2, 4, D).engine(Engine.SAMEDIFF).build(),
                InputType.convolutional(8, 12, 2),
                input(3, 2, 8, 12),
                null);
    }

    /**
     * The pool, both modes, with a mask of different lengths and without, at the layer (DL4J's networks refuse a
     * sequence mask in front of a feed-forward output layer): output and input gradient, also for input that is a
     * direct layer's token rows.
     */
    @ParameterizedTest
    @CsvSource({"CLASS_TOKEN, 0", "MEAN, 0", "MEAN, 1"})
    void classTokenPoolEqualsReference(ClassTokenPool.Mode mode, long prefix) {
        ClassTokenPool.Builder b = ClassTokenPool.builder().mode(mode);
        if (prefix > 0) {
            b.numPrefixTokens(prefix);
        }
        ClassTokenPool direct = b.build();
        ClassTokenPool reference = b.engine(Engine.SAMEDIFF).build();
        INDArray x = input(3, D, T);
        INDArray rows = x.permute(0, 2, 1).dup('c').permute(0, 2, 1); // the same values as token rows [N, T, D]
        INDArray g = Nd4j.randn(DataType.DOUBLE, 3, D);
        for (INDArray mask : new INDArray[] {MASK, null}) {
            var d = LayerTestKit.mln(InputType.recurrent(D, T), DataType.DOUBLE, direct.clone())
                    .getLayer(0);
            var r = LayerTestKit.mln(InputType.recurrent(D, T), DataType.DOUBLE, reference.clone())
                    .getLayer(0);
            assertEquals(ClassTokenPoolImpl.class, d.getClass(), "the direct engine runs");
            for (INDArray in : new INDArray[] {x, rows}) {
                d.setMaskArray(mask);
                r.setMaskArray(mask);
                assertClose(
                        r.activate(x, true, LayerWorkspaceMgr.noWorkspaces()),
                        d.activate(in, true, LayerWorkspaceMgr.noWorkspaces()),
                        mode + " output");
                assertClose(
                        r.backpropGradient(g, LayerWorkspaceMgr.noWorkspaces()).getSecond(),
                        d.backpropGradient(g, LayerWorkspaceMgr.noWorkspaces()).getSecond(),
                        mode + " input gradient");
            }
        }
    }

    /** A block's token rows into the pool, its gradient back into the block (ViT's head). */
    @ParameterizedTest
    @CsvSource({"CLASS_TOKEN", "MEAN"})
    void blockThenPool(ClassTokenPool.Mode mode) {
        Layer[] direct = {
            block(Scheme.QO_KV, Tie.TRANSPOSE, MlpActivation.GELU).build(),
            ClassTokenPool.builder().mode(mode).build()
        };
        Layer[] reference = {
            block(Scheme.QO_KV, Tie.TRANSPOSE, MlpActivation.GELU)
                    .engine(Engine.SAMEDIFF)
                    .build(),
            ClassTokenPool.builder().mode(mode).engine(Engine.SAMEDIFF).build()
        };
        MultiLayerNetwork d = LayerTestKit.mln(InputType.recurrent(D, T), DataType.DOUBLE, direct);
        MultiLayerNetwork r = LayerTestKit.mln(InputType.recurrent(D, T), DataType.DOUBLE, reference);
        d.setParams(Nd4j.randn(DataType.DOUBLE, 1, d.numParams()).muli(0.3));
        r.setParams(d.params());
        compare(d, r, input(3, D, T), null);
    }

    /** The patch embedding's token rows go straight into a block, and the block's input gradient back. */
    @Test
    void patchEmbeddingThenBlock() {
        Layer[] direct = {
            PatchEmbedding.builder(8, 8, 1, 4, D).build(),
            block(Scheme.QO_KV, Tie.TRANSPOSE, MlpActivation.GELU).build()
        };
        Layer[] reference = {
            PatchEmbedding.builder(8, 8, 1, 4, D).engine(Engine.SAMEDIFF).build(),
            block(Scheme.QO_KV, Tie.TRANSPOSE, MlpActivation.GELU)
                    .engine(Engine.SAMEDIFF)
                    .build()
        };
        MultiLayerNetwork d = LayerTestKit.mln(InputType.convolutional(8, 8, 1), DataType.DOUBLE, direct);
        MultiLayerNetwork r = LayerTestKit.mln(InputType.convolutional(8, 8, 1), DataType.DOUBLE, reference);
        d.setParams(Nd4j.randn(DataType.DOUBLE, 1, d.numParams()).muli(0.3));
        r.setParams(d.params());
        compare(d, r, input(3, 1, 8, 8), null);
        compare(d, r, input(2, 1, 8, 8), null);
    }

    /** Two blocks in a row (the second sees the first's output and gradient), then a batch of another size. */
    @Test
    void twoBlocksAndAnotherBatchSize() {
        Layer[] direct = {
            block(Scheme.QO_KV, Tie.TRANSPOSE, MlpActivation.GELU).dropPath(0.3).build(),
            block(Scheme.QK_VO, Tie.NONE, MlpActivation.GELU).attnDropout(0.2).build()
        };
        Layer[] reference = {
            block(Scheme.QO_KV, Tie.TRANSPOSE, MlpActivation.GELU)
                    .dropPath(0.3)
                    .engine(Engine.SAMEDIFF)
                    .build(),
            block(Scheme.QK_VO, Tie.NONE, MlpActivation.GELU)
                    .attnDropout(0.2)
                    .engine(Engine.SAMEDIFF)
                    .build()
        };
        MultiLayerNetwork d = LayerTestKit.mln(InputType.recurrent(D, T), DataType.DOUBLE, direct);
        MultiLayerNetwork r = LayerTestKit.mln(InputType.recurrent(D, T), DataType.DOUBLE, reference);
        d.setParams(Nd4j.randn(DataType.DOUBLE, 1, d.numParams()).muli(0.3));
        r.setParams(d.params());
        compare(d, r, input(3, D, T), MASK);
        compare(d, r, input(5, D, T), Nd4j.ones(DataType.DOUBLE, 5, T));
        compare(d, r, input(3, D, T), MASK);
    }

    /**
     * A direct layer hands DL4J its token rows {@code [N, T, D]} viewed as {@code [N, D, T]}, for output and input
     * gradient alike, and the next direct layer takes them as rows (twoBlocksAndAnotherBatchSize holds the values).
     */
    @Test
    void outputAndInputGradientAreTokenRowsViewedAsSequences() {
        MultiLayerNetwork d = LayerTestKit.mln(
                InputType.recurrent(D, T),
                DataType.DOUBLE,
                block(Scheme.QO_KV, Tie.TRANSPOSE, MlpActivation.GELU).build());
        d.initGradientsView();
        INDArray x = input(3, D, T);
        var layer = d.getLayer(0);
        INDArray y = layer.activate(x, true, LayerWorkspaceMgr.noWorkspaces());
        assertArrayEquals(new long[] {3, D, T}, y.shape());
        assertArrayEquals(new long[] {(long) D * T, 1, D}, y.stride(), "rows [N, T, D] permuted");
        assertTrue(!NativeRows.isDense(y), "a permuted view is not dense row-major");
        INDArray expected = y.dup('c');
        INDArray again = layer.activate(y, true, LayerWorkspaceMgr.noWorkspaces());
        INDArray fromCopy = layer.activate(expected, true, LayerWorkspaceMgr.noWorkspaces());
        assertClose(fromCopy, again, "output from rows input vs from a [N, D, T] copy");
        INDArray dx =
                layer.backpropGradient(y, LayerWorkspaceMgr.noWorkspaces()).getSecond();
        assertArrayEquals(new long[] {(long) D * T, 1, D}, dx.stride(), "input gradient as rows");
    }

    /**
     * In float32 the direct engine uses its own exp and GELU ({@link VectorMath}): outputs and gradients agree with
     * the reference to float rounding (relative 1e-4 of the largest value, where the two engines' different
     * summation orders alone give about 1e-6).
     */
    @Test
    void floatNetworksAgreeToFloatRounding() {
        Nd4j.getRandom().setSeed(41);
        INDArray x = Nd4j.randn(DataType.FLOAT, 3, D, T).muli(2);
        INDArray mask = MASK.castTo(DataType.FLOAT);
        MultiLayerNetwork d = LayerTestKit.mln(
                InputType.recurrent(D, T),
                DataType.FLOAT,
                block(Scheme.QO_KV, Tie.TRANSPOSE, MlpActivation.GELU).build());
        MultiLayerNetwork r = LayerTestKit.mln(
                InputType.recurrent(D, T),
                DataType.FLOAT,
                block(Scheme.QO_KV, Tie.TRANSPOSE, MlpActivation.GELU)
                        .engine(Engine.SAMEDIFF)
                        .build());
        d.setParams(Nd4j.randn(DataType.FLOAT, 1, d.numParams()).muli(0.5));
        r.setParams(d.params());
        assertRelativelyClose(r.output(x, false, mask, null), d.output(x, false, mask, null), "output");
        INDArray labels = Nd4j.rand(DataType.FLOAT, 3, 3, T);
        var rg = r.calculateGradients(x, labels, mask, mask);
        var dg = d.calculateGradients(x, labels, mask, mask);
        for (String key : r.paramTable().keySet()) {
            if (!key.endsWith("attnBk")) {
                assertRelativelyClose(
                        rg.getFirst().getGradientFor(key), dg.getFirst().getGradientFor(key), "gradient of " + key);
            }
        }
        assertRelativelyClose(rg.getSecond(), dg.getSecond(), "input gradient");
    }

    private static void assertRelativelyClose(INDArray expected, INDArray actual, String what) {
        double scale = expected.amaxNumber().doubleValue();
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(scale > 0 && diff <= 1e-4 * scale, what + ": max |difference| " + diff + " (scale " + scale + ")");
    }

    @Test
    void oldConfigurationWithoutEngineFieldLoadsAsDirect() {
        for (Layer l : new Layer[] {
            block(Scheme.QO_KV, Tie.TRANSPOSE, MlpActivation.GELU).build(),
            TiedSelfAttention.builder(D, H).build(),
            TiedFeedForward.builder(D).build(),
            LayerNorm.builder(D).build()
        }) {
            MultiLayerNetwork net = LayerTestKit.mln(InputType.recurrent(D, T), DataType.FLOAT, l);
            String json = net.getLayerWiseConfigurations().toJson();
            assertTrue(json.contains("\"engine\" : \"DIRECT\""), "the engine is serialized: " + json);
            String old = json.replace("\"engine\" : \"DIRECT\",", "").replace(",\n      \"engine\" : \"DIRECT\"", "");
            assertTrue(!old.contains("engine"), "the engine field is removed from the JSON");
            Layer back = org.deeplearning4j.nn.conf.MultiLayerConfiguration.fromJson(old)
                    .getConf(0)
                    .getLayer();
            assertEquals(l, back, l.getClass().getSimpleName() + " without the engine field");
            assertEquals(Engine.DIRECT, engineOf(back));
        }
        Layer sd = TiedSelfAttention.builder(D, H).engine(Engine.SAMEDIFF).build();
        LayerTestKit.assertJsonRoundTrip(InputType.recurrent(D, T), sd);
    }

    private static Engine engineOf(Layer l) {
        if (l instanceof TransformerBlock b) {
            return b.getEngine();
        }
        if (l instanceof TiedSelfAttention a) {
            return a.getEngine();
        }
        if (l instanceof TiedFeedForward f) {
            return f.getEngine();
        }
        return ((LayerNorm) l).getEngine();
    }

    // ---- helpers ----

    private static INDArray input(int n, long... rest) {
        long[] shape = new long[rest.length + 1];
        shape[0] = n;
        System.arraycopy(rest, 0, shape, 1, rest.length);
        return Nd4j.randn(DataType.DOUBLE, shape);
    }

    /** Both network types, the same random parameters. */
    private static void assertEnginesEqual(Layer direct, Layer reference, InputType type, INDArray x, INDArray mask) {
        Nd4j.getRandom().setSeed(11);
        MultiLayerNetwork d = LayerTestKit.mln(type, DataType.DOUBLE, direct);
        MultiLayerNetwork r = LayerTestKit.mln(type, DataType.DOUBLE, reference);
        d.setParams(Nd4j.randn(DataType.DOUBLE, 1, d.numParams()).muli(0.3));
        r.setParams(d.params());
        assertEquals(
                direct instanceof PatchEmbedding
                        ? PatchEmbeddingImpl.class
                        : direct instanceof ClassTokenPool ? ClassTokenPoolImpl.class : DirectLayerImpl.class,
                d.getLayer(0).getClass(),
                "the direct engine runs");
        assertEquals(
                org.dl4jpe.layers.samediff.PeSameDiffLayerImpl.class,
                r.getLayer(0).getClass(),
                "the reference runs on SameDiff");
        compare(d, r, x, mask);

        ComputationGraph dg = LayerTestKit.graph(type, DataType.DOUBLE, direct.clone());
        ComputationGraph rg = LayerTestKit.graph(type, DataType.DOUBLE, reference.clone());
        dg.setParams(d.params());
        rg.setParams(d.params());
        compare(dg, rg, x, mask);
    }

    private static void compare(MultiLayerNetwork d, MultiLayerNetwork r, INDArray x, INDArray mask) {
        d.clearLayerMaskArrays();
        r.clearLayerMaskArrays();
        INDArray labels =
                Nd4j.rand(DataType.DOUBLE, r.output(x, false, mask, null).shape());
        assertClose(r.output(x, false, mask, null), d.output(x, false, mask, null), "inference output");
        Nd4j.getRandom().setSeed(21);
        INDArray rt = r.output(x, true, mask, null);
        Nd4j.getRandom().setSeed(21);
        assertClose(rt, d.output(x, true, mask, null), "training output");

        INDArray labelMask = mask != null && labels.rank() == 3 ? mask : null;
        Nd4j.getRandom().setSeed(31);
        var rgrad = r.calculateGradients(x, labels, mask, labelMask);
        Nd4j.getRandom().setSeed(31);
        var dgrad = d.calculateGradients(x, labels, mask, labelMask);
        assertGradientsEqual(rgrad.getFirst(), dgrad.getFirst(), r.paramTable());
        assertClose(rgrad.getSecond(), dgrad.getSecond(), "input gradient");
    }

    private static void compare(ComputationGraph d, ComputationGraph r, INDArray x, INDArray mask) {
        INDArray[] fm = mask == null ? null : new INDArray[] {mask};
        INDArray out = r.output(false, new INDArray[] {x}, fm)[0];
        INDArray labels = Nd4j.rand(DataType.DOUBLE, out.shape());
        assertClose(out, d.output(false, new INDArray[] {x}, fm)[0], "graph: inference output");
        Nd4j.getRandom().setSeed(22);
        INDArray rt = r.output(true, new INDArray[] {x}, fm)[0];
        Nd4j.getRandom().setSeed(22);
        assertClose(rt, d.output(true, new INDArray[] {x}, fm)[0], "graph: training output");

        // (the MultiLayerNetwork compares the input gradient; the graph's input vertex no longer holds it here)
        Nd4j.getRandom().setSeed(32);
        Gradient rg = gradients(r, x, labels, mask);
        Nd4j.getRandom().setSeed(32);
        Gradient dg = gradients(d, x, labels, mask);
        assertGradientsEqual(rg, dg, r.paramTable());
    }

    private static Gradient gradients(ComputationGraph net, INDArray x, INDArray labels, INDArray mask) {
        net.setInputs(x);
        net.setLabels(labels);
        if (mask != null) {
            net.setLayerMaskArrays(new INDArray[] {mask}, labels.rank() == 3 ? new INDArray[] {mask} : null);
        }
        net.computeGradientAndScore();
        net.clearLayerMaskArrays();
        return net.gradient();
    }

    private static void assertGradientsEqual(Gradient expected, Gradient actual, Map<String, INDArray> params) {
        assertEquals(params.keySet(), expected.gradientForVariable().keySet(), "gradient keys");
        for (String key : params.keySet()) {
            INDArray e = expected.getGradientFor(key);
            assertClose(e, actual.getGradientFor(key), "gradient of " + key);
        }
    }

    static void assertClose(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double scale = Math.max(1.0, expected.amaxNumber().doubleValue());
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(diff <= TOLERANCE * scale, what + ": max |difference| " + diff + " (scale " + scale + ")");
    }
}
