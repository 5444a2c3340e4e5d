package org.dl4jpe.layers;

import static org.dl4jpe.layers.TiedFeedForwardTest.assertClose;
import static org.dl4jpe.layers.TiedFeedForwardTest.rootMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;
import org.dl4jpe.layers.testkit.LayerTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

@ExtendWith(SingleThreadedNd4j.class)
class TransformerBlockTest {
    private static final int D = 4;
    private static final int H = 2;
    private static final int R = 8;
    private static final int T = 5;
    /** Sequence 0 has all 5 tokens, sequence 1 has 3 and two padded positions. */
    private static final INDArray MASK = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}});

    private static TransformerBlock block(Scheme scheme, Tie tie) {
        return TransformerBlock.builder(D, H)
                .hiddenDim(R)
                .scheme(scheme)
                .tie(tie)
                .build();
    }

    /** Every scheme and every tie appears at least once. */
    @ParameterizedTest
    @CsvSource({"QO_KV, TRANSPOSE", "QK_VO, NONE", "NONE, NONE"})
    void standardChecksWithPaddedSequence(Scheme scheme, Tie tie) throws Exception {
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, D, T);
        // attnBk shifts all scores of a query alike, which softmax ignores: its gradient is exactly zero
        LayerTestKit.assertStandardChecks(
                block(scheme, tie),
                InputType.recurrent(D, T),
                x,
                MASK,
                new long[] {2, D, T},
                java.util.Set.of("attnBk"));
    }

    @Test
    void parameterCountsAddUpAsDocumented() {
        // D 8, R 32: norms 2·2D, attention 2D² + 4D (untied 4D² + 4D), MLP R·D + R + D (untied 2·R·D + R + D)
        long norms = 4 * 8;
        assertEquals(
                norms + (2 * 64 + 32) + (32 * 8 + 32 + 8),
                TransformerBlock.builder(8, 2).build().numTrainableParams());
        assertEquals(
                norms + (4 * 64 + 32) + (2 * 32 * 8 + 32 + 8),
                TransformerBlock.builder(8, 2)
                        .scheme(Scheme.NONE)
                        .tie(Tie.NONE)
                        .build()
                        .numTrainableParams());
        assertEquals(
                norms + (2 * 64 + 32) + (2 * 32 * 8 + 32 + 8),
                TransformerBlock.builder(8, 2).tie(Tie.NONE).build().numTrainableParams());

        // D 384, H 6, r 4 (ViT-S): the block equals its parts, and 12 blocks plus the rest give the documented totals.
        long tied = TransformerBlock.builder(384, 6).build().numTrainableParams();
        long untied = TransformerBlock.builder(384, 6)
                .scheme(Scheme.NONE)
                .tie(Tie.NONE)
                .build()
                .numTrainableParams();
        assertEquals(
                2 * LayerNorm.builder(384).build().numTrainableParams()
                        + TiedSelfAttention.builder(384, 6).build().numTrainableParams()
                        + TiedFeedForward.builder(384).build().numTrainableParams(),
                tied);
        assertEquals(889_728, tied);
        assertEquals(1_774_464, untied);
        long rest = (16 * 16 * 3 * 384 + 384) + 384 + 197 * 384 + 2 * 384 + (384 * 1000 + 1000);
        assertEquals(22_050_664, 12 * untied + rest, "vit_small_patch16_224");
        assertEquals(11_433_832, 12 * tied + rest, "vit_pe_small_patch16_224");
    }

    /**
     * The block equals LayerNorm → TiedSelfAttention → Add → LayerNorm → TiedFeedForward → Add in a
     * ComputationGraph holding the same weights: same output, same score, same gradient for every parameter.
     */
    @ParameterizedTest
    @CsvSource({"QO_KV, TRANSPOSE", "QK_VO, NONE", "NONE, NONE"})
    void equalsTheBlockComposedFromSeparateLayers(Scheme scheme, Tie tie) {
        Nd4j.getRandom().setSeed(2);
        TransformerBlock cfg = block(scheme, tie);
        ComputationGraph single = LayerTestKit.graph(InputType.recurrent(D, T), DataType.DOUBLE, cfg);
        ComputationGraph composed = composed(cfg, null);
        randomize(single);
        Map<String, String> names = blockToComposedNames(single, composed);
        for (Map.Entry<String, String> e : names.entrySet()) {
            composed.setParam(e.getValue(), single.getParam(e.getKey()));
        }

        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, D, T);
        INDArray labels = Nd4j.rand(DataType.DOUBLE, 2, 3, T);
        INDArray[] masks = {MASK};
        assertClose(
                composed.output(false, new INDArray[] {x}, masks)[0],
                single.output(false, new INDArray[] {x}, masks)[0],
                "forward");
        Gradient gs = gradient(single, x, labels);
        double scoreSingle = single.score();
        Gradient gc = gradient(composed, x, labels);
        assertEquals(composed.score(), scoreSingle, 1e-12, "score");
        for (Map.Entry<String, String> e : names.entrySet()) {
            INDArray g = gs.getGradientFor(e.getKey());
            assertClose(gc.getGradientFor(e.getValue()), g, "gradient of " + e.getKey());
            // attnBk shifts all scores of a query alike, which softmax ignores: its gradient is zero by construction
            assertTrue(
                    e.getKey().endsWith("attnBk") || g.amaxNumber().doubleValue() > 0, e.getKey() + " gets a gradient");
        }
    }

    /** Two blocks, a padded sequence, double precision: MultiLayerNetwork and ComputationGraph. */
    @Test
    void twoBlockStackGradientChecks() {
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, D, T);
        TransformerBlock first = block(Scheme.QO_KV, Tie.TRANSPOSE);
        TransformerBlock second = block(Scheme.QK_VO, Tie.TRANSPOSE);
        MultiLayerNetwork mln = LayerTestKit.mln(InputType.recurrent(D, T), DataType.DOUBLE, first, second);
        randomize(mln);
        LayerTestKit.assertGradientCheck(mln, x, MASK);
        ComputationGraph graph =
                LayerTestKit.graph(InputType.recurrent(D, T), DataType.DOUBLE, first.clone(), second.clone());
        randomize(graph);
        LayerTestKit.assertGradientCheck(graph, x, MASK);
    }

    /** A block composed from the separate layers and vertices, followed by a TransformerBlock, gradient-checked. */
    @Test
    void composedThenSingleBlockGradientCheck() {
        Nd4j.getRandom().setSeed(4);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, D, T);
        ComputationGraph graph = composed(block(Scheme.QK_VO, Tie.TRANSPOSE), block(Scheme.QO_KV, Tie.TRANSPOSE));
        randomize(graph);
        LayerTestKit.assertGradientCheck(graph, x, MASK);
    }

    @Test
    void validOutputsIgnorePaddedInputs() {
        Nd4j.getRandom().setSeed(5);
        MultiLayerNetwork net =
                LayerTestKit.mln(InputType.recurrent(D, T), DataType.DOUBLE, block(Scheme.QO_KV, Tie.TRANSPOSE));
        randomize(net);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, D, T);
        INDArray changed = x.dup();
        changed.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.interval(3, 5))
                .assign(Nd4j.randn(DataType.DOUBLE, D, 2).muli(100));
        INDArray y = TiedSelfAttentionTest.output(net, x, MASK);
        INDArray y2 = TiedSelfAttentionTest.output(net, changed, MASK);
        assertEquals(y.get(NDArrayIndex.point(0)), y2.get(NDArrayIndex.point(0)), "unpadded sequence");
        assertEquals(validPart(y), validPart(y2), "valid tokens of the padded sequence");
        assertNotEquals(
                validPart(TiedSelfAttentionTest.output(net, x, null)),
                validPart(TiedSelfAttentionTest.output(net, changed, null)),
                "control without mask");
    }

    private static INDArray validPart(INDArray y) {
        return y.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.interval(0, 3))
                .dup();
    }

    /** Each dropout site acts in training only, draws a new mask every pass, and leaves inference deterministic. */
    @Test
    void dropoutActsInTrainingOnly() {
        String[] kinds = {"attnDropout", "projDropout", "mlpDropout", "dropPath"};
        for (String kind : kinds) {
            Nd4j.getRandom().setSeed(6);
            TransformerBlock.Builder b = TransformerBlock.builder(D, H).hiddenDim(R);
            switch (kind) {
                case "attnDropout" -> b.attnDropout(0.5);
                case "projDropout" -> b.projDropout(0.5);
                case "mlpDropout" -> b.mlpDropout(0.5);
                default -> b.dropPath(0.5);
            }
            MultiLayerNetwork net = LayerTestKit.mln(InputType.recurrent(D, T), DataType.DOUBLE, b.build());
            MultiLayerNetwork plain = LayerTestKit.mln(
                    InputType.recurrent(D, T),
                    DataType.DOUBLE,
                    TransformerBlock.builder(D, H).hiddenDim(R).build());
            randomize(net);
            plain.setParams(net.params());
            INDArray x = Nd4j.randn(DataType.DOUBLE, 8, D, T);
            INDArray inference = net.feedForwardToLayer(0, x, false).get(1);
            assertEquals(plain.feedForwardToLayer(0, x, false).get(1), inference, kind + ": inference ignores it");
            assertEquals(inference, net.feedForwardToLayer(0, x, false).get(1), kind + ": inference deterministic");
            INDArray train = net.feedForwardToLayer(0, x, true).get(1);
            assertNotEquals(inference, train, kind + ": training applies it");
            assertNotEquals(train, net.feedForwardToLayer(0, x, true).get(1), kind + ": a new mask every pass");
        }
    }

    /**
     * Drop path drops a residual branch for whole examples and scales kept branches by 1/(1 − p). With the MLP's
     * weights at zero its branch is 0, so in training each example's output minus its input is either exactly 0 or
     * exactly twice the attention branch seen at inference (p = 0.5).
     */
    @Test
    void dropPathDropsWholeExamples() {
        Nd4j.getRandom().setSeed(7);
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.recurrent(D, T),
                DataType.DOUBLE,
                TransformerBlock.builder(D, H).hiddenDim(R).dropPath(0.5).build());
        randomize(net);
        for (String p : new String[] {"0_mlpW", "0_mlpB1", "0_mlpB2"}) {
            net.setParam(p, net.getParam(p).mul(0));
        }
        int n = 16;
        INDArray x = Nd4j.randn(DataType.DOUBLE, n, D, T);
        INDArray branch = net.feedForwardToLayer(0, x, false).get(1).sub(x);
        INDArray trained = net.feedForwardToLayer(0, x, true).get(1).sub(x);
        int dropped = 0;
        for (int i = 0; i < n; i++) {
            INDArray got = trained.get(NDArrayIndex.point(i));
            if (got.amaxNumber().doubleValue() == 0.0) {
                dropped++;
            } else {
                assertClose(branch.get(NDArrayIndex.point(i)).mul(2), got, "kept example " + i);
            }
        }
        assertTrue(dropped > 0 && dropped < n, "dropped " + dropped + " of " + n + " examples");
    }

    @Test
    void builderRejectsBadValuesWithClearMessages() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> TransformerBlock.builder(384, 5).build());
        assertEquals("TransformerBlock: numHeads 5 does not divide embedDim 384", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> TransformerBlock.builder(8, 2)
                        .name("block3")
                        .dropPath(1.0)
                        .build());
        assertEquals("TransformerBlock 'block3': dropPath 1.0 must be in [0, 1)", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> TransformerBlock.builder(8, 2).mlpDropout(-1).build());
        assertEquals("TransformerBlock: mlpDropout -1.0 must be in [0, 1)", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> TransformerBlock.builder(8, 2).mlpRatio(0).build());
        assertEquals(
                "TransformerBlock: mlpRatio 0.0 must be positive and give a hidden width of at least 1 "
                        + "(embedDim 8)",
                e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> TransformerBlock.builder(8, 2).tie(null).build());
        assertEquals("TransformerBlock: tie must not be null", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> TransformerBlock.builder(8, 2).eps(0).build());
        assertEquals("TransformerBlock: eps 0.0 must be positive and finite", e.getMessage());
    }

    @Test
    void wrongInputNamesLayerAndBothShapes() {
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.recurrent(D, 3),
                DataType.FLOAT,
                TransformerBlock.builder(D, H).name("block1").build());
        Exception e = assertThrows(Exception.class, () -> net.output(Nd4j.rand(DataType.FLOAT, 2, D + 2, 3)));
        String msg = rootMessage(e);
        assertTrue(
                msg.contains("TransformerBlock 'block1'") && msg.contains("[N, 4, T]") && msg.contains("[2, 6, 3]"),
                msg);
        e = assertThrows(
                IllegalArgumentException.class,
                () -> LayerTestKit.mln(
                        InputType.recurrent(8, 3),
                        DataType.FLOAT,
                        TransformerBlock.builder(D, H).build()));
        assertTrue(e.getMessage().contains("input has 8 features but embedDim is 4"), e.getMessage());
    }

    /** Training (here with every dropout on) prints nothing and the updater accepts the sub-part names. */
    @Test
    void trainingPrintsNothingToStandardOutput() throws Exception {
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.recurrent(D, T),
                DataType.FLOAT,
                TransformerBlock.builder(D, H)
                        .attnDropout(0.1)
                        .projDropout(0.1)
                        .mlpDropout(0.1)
                        .dropPath(0.1)
                        .build());
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, D, T);
        INDArray y = Nd4j.rand(DataType.FLOAT, 2, 3, T);
        INDArray mask = MASK.castTo(DataType.FLOAT);
        String out = LayerTestKit.stdoutOf(() -> {
            net.fit(x, y, mask, mask);
            net.fit(x, y, mask, mask);
        });
        assertEquals("", out);
        assertFalse(net.params().isNaN().any());
    }

    // ---- helpers ----

    /**
     * Random gamma, beta and biases too (the layer starts them at 1 and 0, which would hide mistakes). Small enough
     * to keep the loss small (about 3): the key bias's true gradient is exactly 0 (softmax ignores a shift shared by all
     * keys), and the gradient check's finite difference of a large loss is round-off above its 1e-9 floor.
     */
    private static void randomize(MultiLayerNetwork net) {
        net.setParams(Nd4j.randn(DataType.DOUBLE, 1, net.numParams()).muli(0.2));
    }

    private static void randomize(ComputationGraph net) {
        net.setParams(Nd4j.randn(DataType.DOUBLE, 1, net.numParams()).muli(0.2));
    }

    private static Gradient gradient(ComputationGraph net, INDArray x, INDArray labels) {
        net.setInputs(x);
        net.setLabels(labels);
        net.setLayerMaskArrays(new INDArray[] {MASK}, new INDArray[] {MASK});
        net.computeGradientAndScore();
        Gradient g = net.gradient();
        net.clearLayerMaskArrays();
        return g;
    }

    /**
     * Maps the single-block graph's parameter keys ({@code l0_attnWq}) to the composed graph's
     * ({@code attn_Wq}), and checks that the two graphs have exactly the same parameters.
     */
    private static Map<String, String> blockToComposedNames(ComputationGraph single, ComputationGraph composed) {
        Map<String, String> names = new TreeMap<>();
        for (String key : composed.paramTable().keySet()) {
            int cut = key.indexOf('_');
            String vertex = key.substring(0, cut);
            String param = key.substring(cut + 1);
            names.put(vertex.equals("out") ? key : "l0_" + ParamNames.prefixed(vertex, param), key);
        }
        assertEquals(
                new TreeSet<>(single.paramTable().keySet()),
                new TreeSet<>(names.keySet()),
                "the block's parameters are the composed layers' parameters, named by sub-part");
        return names;
    }

    /**
     * {@code in → norm1 → attn → add1(in, attn) → norm2 → mlp → add2(add1, mlp) [→ next] → out}, from the same
     * settings as {@code cfg}; {@code next} (may be null) is appended after the composed block.
     */
    static ComputationGraph composed(TransformerBlock cfg, TransformerBlock next) {
        long d = cfg.getEmbedDim();
        ComputationGraphConfiguration.GraphBuilder b = new NeuralNetConfiguration.Builder()
                .seed(LayerTestKit.SEED)
                .dataType(DataType.DOUBLE)
                .updater(new NoOp())
                .graphBuilder()
                .addInputs("in")
                .addLayer(
                        TransformerBlock.NORM1,
                        LayerNorm.builder(d).eps(cfg.getEps()).build(),
                        "in")
                .addLayer(
                        TransformerBlock.ATTN,
                        TiedSelfAttention.builder(d, cfg.getNumHeads())
                                .scheme(cfg.getScheme())
                                .build(),
                        TransformerBlock.NORM1)
                .addVertex("add1", new ElementWiseVertex(ElementWiseVertex.Op.Add), "in", TransformerBlock.ATTN)
                .addLayer(
                        TransformerBlock.NORM2,
                        LayerNorm.builder(d).eps(cfg.getEps()).build(),
                        "add1")
                .addLayer(
                        TransformerBlock.MLP,
                        TiedFeedForward.builder(d)
                                .hiddenDim(cfg.getHiddenDim())
                                .tie(cfg.getTie())
                                .activation(cfg.getActivation())
                                .build(),
                        TransformerBlock.NORM2)
                .addVertex("add2", new ElementWiseVertex(ElementWiseVertex.Op.Add), "add1", TransformerBlock.MLP);
        String last = "add2";
        if (next != null) {
            b.addLayer("next", next, last);
            last = "next";
        }
        b.addLayer(
                        "out",
                        new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE)
                                .activation(Activation.IDENTITY)
                                .nOut(3)
                                .build(),
                        last)
                .setOutputs("out")
                .setInputTypes(InputType.recurrent(d, T));
        ComputationGraph g = new ComputationGraph(b.build());
        g.init();
        return g;
    }
}
