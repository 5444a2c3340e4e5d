package org.dl4jpe.layers;

import static org.dl4jpe.layers.TiedFeedForwardTest.assertClose;
import static org.dl4jpe.layers.TiedFeedForwardTest.rootMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;
import org.dl4jpe.layers.testkit.LayerTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

@ExtendWith(SingleThreadedNd4j.class)
class TiedSelfAttentionTest {
    private static final int D = 4;
    private static final int H = 2;
    private static final int T = 5;
    /** Sequence 0 has all 5 tokens, sequence 1 has 3 and two padded positions. */
    private static final INDArray MASK = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}});

    private static TiedSelfAttention attn(Scheme scheme) {
        return TiedSelfAttention.builder(D, H).scheme(scheme).build();
    }

    private static MultiLayerNetwork net(Scheme scheme, long t) {
        return LayerTestKit.mln(InputType.recurrent(D, t), DataType.DOUBLE, attn(scheme));
    }

    /** Random biases (the layer starts them at 0, which would hide bias mistakes). */
    private static void randomizeBiases(MultiLayerNetwork net) {
        for (String b : new String[] {"0_bq", "0_bk", "0_bv", "0_bo"}) {
            net.setParam(b, Nd4j.randn(DataType.DOUBLE, D));
        }
    }

    @ParameterizedTest
    @EnumSource(Scheme.class)
    void standardChecksWithPaddedSequence(Scheme scheme) throws Exception {
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, D, T);
        // bk shifts all scores of a query alike, which softmax ignores: its gradient is exactly zero
        LayerTestKit.assertStandardChecks(
                attn(scheme),
                InputType.recurrent(D, T),
                x,
                MASK,
                new long[] {2, D, T},
                java.util.Set.of(TiedSelfAttention.BK));
    }

    @Test
    void parameterCountsFollowTheDocumentedFormula() {
        // tied 2D² + 4D, untied 4D² + 4D (docs/what-it-computes.md)
        assertEquals(2 * 64 + 4 * 8, TiedSelfAttention.builder(8, 2).build().numTrainableParams());
        assertEquals(
                2 * 64 + 4 * 8,
                TiedSelfAttention.builder(8, 2).scheme(Scheme.QK_VO).build().numTrainableParams());
        assertEquals(
                4 * 64 + 4 * 8,
                TiedSelfAttention.builder(8, 2).scheme(Scheme.NONE).build().numTrainableParams());
        assertEquals(296_448, TiedSelfAttention.builder(384, 6).build().numTrainableParams());
        assertEquals(
                591_360,
                TiedSelfAttention.builder(384, 6).scheme(Scheme.NONE).build().numTrainableParams());
    }

    /** Each scheme, with random weights and biases and a padded sequence, against the plain-ND4J reference. */
    @ParameterizedTest
    @EnumSource(Scheme.class)
    void matchesPlainNd4jReference(Scheme scheme) {
        Nd4j.getRandom().setSeed(2);
        MultiLayerNetwork net = net(scheme, T);
        randomizeBiases(net);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, D, T);
        INDArray expected = scheme == Scheme.NONE
                ? AttentionReference.untied(
                        x,
                        MASK,
                        H,
                        p(net, "Wq"),
                        p(net, "Wk"),
                        p(net, "Wv"),
                        p(net, "Wo"),
                        p(net, "bq"),
                        p(net, "bk"),
                        p(net, "bv"),
                        p(net, "bo"))
                : AttentionReference.tied(
                        scheme,
                        x,
                        MASK,
                        H,
                        p(net, "Wq"),
                        p(net, "Wkv"),
                        p(net, "bq"),
                        p(net, "bk"),
                        p(net, "bv"),
                        p(net, "bo"));
        assertClose(expected, output(net, x, MASK), scheme + " vs reference");
    }

    /** Nothing about N or T is fixed when the graph is built: other batch sizes and lengths work and are right. */
    @Test
    void anyBatchSizeAndSequenceLength() {
        Nd4j.getRandom().setSeed(3);
        MultiLayerNetwork net = net(Scheme.QO_KV, T);
        randomizeBiases(net);
        for (long[] nt : new long[][] {{2, 5}, {1, 3}, {3, 7}, {2, 1}}) {
            INDArray x = Nd4j.randn(DataType.DOUBLE, nt[0], D, nt[1]);
            INDArray expected = AttentionReference.tied(
                    Scheme.QO_KV,
                    x,
                    null,
                    H,
                    p(net, "Wq"),
                    p(net, "Wkv"),
                    p(net, "bq"),
                    p(net, "bk"),
                    p(net, "bv"),
                    p(net, "bo"));
            assertClose(expected, output(net, x, null), "N " + nt[0] + ", T " + nt[1]);
        }
    }

    /**
     * Tied equals untied with the transposes copied in, forward and backward. The tied matrix serves two roles, so
     * its gradient is the sum of the twin's two gradients (transposed where the role uses the transpose).
     */
    @ParameterizedTest
    @EnumSource(
            value = Scheme.class,
            names = {"QO_KV", "QK_VO"})
    void tiedEqualsUntiedWithTransposesCopiedIn(Scheme scheme) {
        Nd4j.getRandom().setSeed(4);
        MultiLayerNetwork tied = net(scheme, T);
        randomizeBiases(tied);
        MultiLayerNetwork untied = net(Scheme.NONE, T);
        INDArray wq = tied.getParam("0_Wq");
        INDArray wkv = tied.getParam("0_Wkv");
        untied.setParam("0_Wq", wq);
        if (scheme == Scheme.QO_KV) {
            untied.setParam("0_Wk", wkv);
            untied.setParam("0_Wv", wkv.transpose());
            untied.setParam("0_Wo", wq.transpose());
        } else {
            untied.setParam("0_Wk", wq.transpose());
            untied.setParam("0_Wv", wkv);
            untied.setParam("0_Wo", wkv.transpose());
        }
        for (String name : new String[] {"0_bq", "0_bk", "0_bv", "0_bo", "1_W", "1_b"}) {
            untied.setParam(name, tied.getParam(name));
        }
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, D, T);
        INDArray labels = Nd4j.rand(DataType.DOUBLE, 2, 3, T);

        assertClose(output(untied, x, MASK), output(tied, x, MASK), "forward");
        Pair<Gradient, INDArray> t = tied.calculateGradients(x, labels, MASK, MASK);
        Pair<Gradient, INDArray> u = untied.calculateGradients(x, labels, MASK, MASK);
        Gradient ug = u.getFirst();
        INDArray dWq;
        INDArray dWkv;
        if (scheme == Scheme.QO_KV) {
            dWq = ug.getGradientFor("0_Wq").add(ug.getGradientFor("0_Wo").transpose());
            dWkv = ug.getGradientFor("0_Wk").add(ug.getGradientFor("0_Wv").transpose());
        } else {
            dWq = ug.getGradientFor("0_Wq").add(ug.getGradientFor("0_Wk").transpose());
            dWkv = ug.getGradientFor("0_Wv").add(ug.getGradientFor("0_Wo").transpose());
        }
        assertClose(dWq, t.getFirst().getGradientFor("0_Wq"), "dWq = sum of the twin's gradients of its two roles");
        assertClose(dWkv, t.getFirst().getGradientFor("0_Wkv"), "dWkv = sum of the twin's gradients of its two roles");
        for (String b : new String[] {"0_bq", "0_bk", "0_bv", "0_bo"}) {
            assertClose(ug.getGradientFor(b), t.getFirst().getGradientFor(b), b);
        }
        assertClose(u.getSecond(), t.getSecond(), "input gradient");
        assertTrue(t.getFirst().getGradientFor("0_Wkv").amaxNumber().doubleValue() > 1e-6, "gradient not trivial");
    }

    /**
     * By hand: D = 2, one head (d = 2), T = 2, QO_KV. Tokens x1 = [1, 0], x2 = [0, 1] (X = I),
     * Wq = [[1, 1], [0, 1]], Wkv = [[0, 1], [2, 0]], bo = [0.1, −0.2], other biases 0.
     * Q = Wq, K = Wkv, V = Wkvᵀ = [[0, 2], [1, 0]]; Q Kᵀ = [[1, 2], [1, 0]], scaled by 1/√2.
     * Row 1: softmax([1, 2]/√2) = [1 − s, s], row 2: softmax([1, 0]/√2) = [s, 1 − s], s = σ(1/√2) = 0.66976…
     * A V: row 1 = (1 − s)[0, 2] + s[1, 0] = [s, 2 − 2s]; row 2 = s[0, 2] + (1 − s)[1, 0] = [1 − s, 2s].
     * Times Wqᵀ = [[1, 0], [1, 1]] ([o1, o2] ↦ [o1 + o2, o2]) plus bo: y1 = [2.1 − s, 1.8 − 2s],
     * y2 = [1.1 + s, 2s − 0.2] (values from Python). With token 2 padded both rows see only V1 = [0, 2]:
     * y1 = y2 = [2, 2] + bo = [2.1, 1.8].
     */
    @Test
    void tinyCaseComputedByHand() {
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.recurrent(2, 2),
                DataType.DOUBLE,
                TiedSelfAttention.builder(2, 1).build());
        net.setParam("0_Wq", Nd4j.createFromArray(new double[][] {{1, 1}, {0, 1}}));
        net.setParam("0_Wkv", Nd4j.createFromArray(new double[][] {{0, 1}, {2, 0}}));
        net.setParam("0_bo", Nd4j.createFromArray(0.1, -0.2));
        INDArray x = Nd4j.eye(2).castTo(DataType.DOUBLE).reshape(1, 2, 2); // x[0, :, t] = e_t
        INDArray y = output(net, x, null);
        INDArray expected = Nd4j.createFromArray(new double[][][] {
            {{1.4302384506733432, 1.769761549326657}, {0.4604769013466863, 1.1395230986533138}}
        });
        assertClose(expected, y, "unmasked");
        INDArray masked = output(net, x, Nd4j.createFromArray(new double[][] {{1, 0}}));
        assertClose(Nd4j.createFromArray(new double[][][] {{{2.1, 2.1}, {1.8, 1.8}}}), masked, "token 2 padded");
    }

    /** Padded tokens carry nothing into valid ones: changing them leaves every valid output bit for bit. */
    @ParameterizedTest
    @EnumSource(Scheme.class)
    void validOutputsIgnorePaddedInputs(Scheme scheme) {
        Nd4j.getRandom().setSeed(5);
        MultiLayerNetwork net = net(scheme, T);
        randomizeBiases(net);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, D, T);
        INDArray changed = x.dup();
        changed.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.interval(3, 5))
                .assign(Nd4j.randn(DataType.DOUBLE, D, 2).muli(100));
        INDArray y = output(net, x, MASK);
        INDArray y2 = output(net, changed, MASK);
        assertEquals(y.get(NDArrayIndex.point(0)), y2.get(NDArrayIndex.point(0)), "unpadded sequence");
        assertEquals(valid(y), valid(y2), "valid tokens of the padded sequence");
        // control: without the mask the same change does reach the valid tokens
        assertNotEquals(valid(output(net, x, null)), valid(output(net, changed, null)), "control without mask");
    }

    private static INDArray valid(INDArray y) {
        return y.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.interval(0, 3))
                .dup();
    }

    /**
     * Reads the attention weights out through the layer: one head, D = T = 4, tokens x_s = e_s, Wv = Wo = I and zero
     * biases, so the output at query t is Σ_s A[t, s] e_s = row t of A. Masked keys get exactly zero weight, every
     * row sums to 1, and valid keys get positive weight.
     */
    @Test
    void maskedKeysGetZeroAttentionWeight() {
        Nd4j.getRandom().setSeed(6);
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.recurrent(4, 4),
                DataType.DOUBLE,
                TiedSelfAttention.builder(4, 1).scheme(Scheme.NONE).build());
        net.setParam("0_Wv", Nd4j.eye(4).castTo(DataType.DOUBLE));
        net.setParam("0_Wo", Nd4j.eye(4).castTo(DataType.DOUBLE));
        net.setParam("0_Wq", Nd4j.randn(DataType.DOUBLE, 4, 4).muli(2));
        net.setParam("0_Wk", Nd4j.randn(DataType.DOUBLE, 4, 4).muli(2));
        INDArray eye = Nd4j.eye(4).castTo(DataType.DOUBLE).reshape(1, 4, 4);
        INDArray x = Nd4j.concat(0, eye, eye);
        INDArray mask = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1}, {1, 0, 1, 0}});
        INDArray weights = output(net, x, mask); // [n, key s, query t]
        for (int n = 0; n < 2; n++) {
            for (int t = 0; t < 4; t++) {
                double sum = 0;
                for (int s = 0; s < 4; s++) {
                    double w = weights.getDouble(n, s, t);
                    sum += w;
                    if (mask.getDouble(n, s) == 0) {
                        assertEquals(0.0, w, "weight of masked key " + s + " for query " + t + " of sequence " + n);
                    } else {
                        assertTrue(w > 1e-6, "valid key " + s + " gets weight " + w);
                    }
                }
                assertEquals(1.0, sum, 1e-12, "weights of query " + t + " sum to 1");
            }
        }
    }

    @Test
    void maskPassesThroughUnchanged() {
        assertSame(
                MASK,
                attn(Scheme.QO_KV)
                        .feedForwardMaskArray(MASK, MaskState.Active, 2)
                        .getFirst());
    }

    /**
     * Dropout acts in training only. Read out as in {@link #maskedKeysGetZeroAttentionWeight}: with attention
     * dropout p = 0.5 each training output entry is 0 or 2× the inference one (a dropped or a rescaled weight);
     * projection dropout likewise drops or doubles whole output entries.
     */
    @Test
    void dropoutActsInTrainingOnly() {
        for (boolean onProbabilities : new boolean[] {true, false}) {
            Nd4j.getRandom().setSeed(7);
            TiedSelfAttention.Builder b = TiedSelfAttention.builder(4, 1).scheme(Scheme.NONE);
            TiedSelfAttention layer = (onProbabilities ? b.attnDropout(0.5) : b.projDropout(0.5)).build();
            MultiLayerNetwork net = LayerTestKit.mln(InputType.recurrent(4, 4), DataType.DOUBLE, layer);
            MultiLayerNetwork plain = LayerTestKit.mln(
                    InputType.recurrent(4, 4),
                    DataType.DOUBLE,
                    TiedSelfAttention.builder(4, 1).scheme(Scheme.NONE).build());
            net.setParam("0_Wv", Nd4j.eye(4).castTo(DataType.DOUBLE));
            net.setParam("0_Wo", Nd4j.eye(4).castTo(DataType.DOUBLE));
            plain.setParams(net.params());
            INDArray eye = Nd4j.eye(4).castTo(DataType.DOUBLE).reshape(1, 4, 4);
            INDArray x = Nd4j.concat(0, eye, eye, eye);
            String what = onProbabilities ? "attnDropout" : "projDropout";

            INDArray inference = net.feedForwardToLayer(0, x, false).get(1);
            assertEquals(plain.feedForwardToLayer(0, x, false).get(1), inference, what + ": inference ignores it");
            assertEquals(inference, net.feedForwardToLayer(0, x, false).get(1), what + ": inference deterministic");
            INDArray train = net.feedForwardToLayer(0, x, true).get(1);
            assertNotEquals(inference, train, what + ": training applies it");
            assertNotEquals(train, net.feedForwardToLayer(0, x, true).get(1), what + ": a new mask every pass");
            int dropped = 0;
            for (int i = 0; i < train.length(); i++) {
                double tr = train.getDouble(i);
                double inf = inference.getDouble(i);
                if (tr == 0.0) {
                    dropped++;
                } else {
                    assertEquals(2 * inf, tr, 1e-12, what + ": kept entries are scaled by 1/(1 − p)");
                }
            }
            assertTrue(dropped > 0 && dropped < train.length(), what + ": dropped " + dropped);
        }
    }

    @Test
    void builderRejectsBadValuesWithClearMessages() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> TiedSelfAttention.builder(384, 5).build());
        assertEquals("TiedSelfAttention: numHeads 5 does not divide embedDim 384", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> TiedSelfAttention.builder(8, 0).build());
        assertEquals("TiedSelfAttention: numHeads 0 must be positive", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> TiedSelfAttention.builder(-8, 2).build());
        assertEquals("TiedSelfAttention: embedDim -8 must be positive", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> TiedSelfAttention.builder(8, 2)
                        .name("attn")
                        .attnDropout(1.0)
                        .build());
        assertEquals("TiedSelfAttention 'attn': attnDropout 1.0 must be in [0, 1)", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> TiedSelfAttention.builder(8, 2).projDropout(-0.1).build());
        assertEquals("TiedSelfAttention: projDropout -0.1 must be in [0, 1)", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> TiedSelfAttention.builder(8, 2).scheme(null).build());
        assertEquals("TiedSelfAttention: scheme must not be null", e.getMessage());
    }

    @Test
    void wrongInputNamesLayerAndBothShapes() {
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.recurrent(D, 3),
                DataType.FLOAT,
                TiedSelfAttention.builder(D, H).name("attn").build());
        Exception e = assertThrows(Exception.class, () -> net.output(Nd4j.rand(DataType.FLOAT, 2, D + 2, 3)));
        String msg = rootMessage(e);
        assertTrue(
                msg.contains("TiedSelfAttention 'attn'") && msg.contains("[N, 4, T]") && msg.contains("[2, 6, 3]"),
                msg);
        e = assertThrows(
                IllegalArgumentException.class,
                () -> LayerTestKit.mln(
                        InputType.recurrent(8, 3),
                        DataType.FLOAT,
                        TiedSelfAttention.builder(D, H).build()));
        assertTrue(e.getMessage().contains("input has 8 features but embedDim is 4"), e.getMessage());
        // feed-forward input gets DL4J's FeedForwardToRnnPreProcessor (issue 10, item 5); images are refused
        assertTrue(
                LayerTestKit.mln(
                                        InputType.feedForward(D),
                                        DataType.FLOAT,
                                        TiedSelfAttention.builder(D, H).build())
                                .getLayerWiseConfigurations()
                                .getInputPreProcess(0)
                        instanceof org.deeplearning4j.nn.conf.preprocessor.FeedForwardToRnnPreProcessor);
        e = assertThrows(
                IllegalArgumentException.class,
                () -> LayerTestKit.mln(
                        InputType.convolutional(2, 2, D),
                        DataType.FLOAT,
                        TiedSelfAttention.builder(D, H).build()));
        assertTrue(
                e.getMessage().contains("TiedSelfAttention: expects a sequence [N, 4, T]")
                        && e.getMessage().contains("PatchEmbedding"),
                e.getMessage());
    }

    @Test
    void trainingPrintsNothingToStandardOutput() throws Exception {
        MultiLayerNetwork net = net(Scheme.QO_KV, T);
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, D, T);
        INDArray y = Nd4j.rand(DataType.DOUBLE, 2, 3, T);
        String out = LayerTestKit.stdoutOf(() -> {
            net.fit(x, y, MASK, MASK);
            net.fit(x, y, MASK, MASK);
        });
        assertEquals("", out);
        assertFalse(net.params().isNaN().any());
    }

    static INDArray p(MultiLayerNetwork net, String name) {
        return net.getParam("0_" + name);
    }

    /** The layer's output (layer 0) at inference with the given mask. */
    static INDArray output(MultiLayerNetwork net, INDArray x, INDArray mask) {
        net.setLayerMaskArrays(mask, null);
        try {
            return net.feedForwardToLayer(0, x, false).get(1);
        } finally {
            net.clearLayerMaskArrays();
        }
    }
}
