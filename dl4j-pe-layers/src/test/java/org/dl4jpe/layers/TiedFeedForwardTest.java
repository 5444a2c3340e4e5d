package org.dl4jpe.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.testkit.LayerTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TiedFeedForwardTest {
    private static final int D = 4;
    private static final int R = 6;

    private static TiedFeedForward ff(Tie tie, MlpActivation act) {
        return TiedFeedForward.builder(D).hiddenDim(R).tie(tie).activation(act).build();
    }

    @ParameterizedTest
    @EnumSource(Tie.class)
    void standardChecksOnSequences(Tie tie) throws Exception {
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, D, 5);
        INDArray mask = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}});
        LayerTestKit.assertStandardChecks(
                ff(tie, MlpActivation.GELU), InputType.recurrent(D, 5), x, mask, new long[] {2, D, 5});
    }

    @ParameterizedTest
    @EnumSource(MlpActivation.class)
    void standardChecksOnFeedForwardInputEveryActivation(MlpActivation act) throws Exception {
        Nd4j.getRandom().setSeed(2);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 3, D).addi(0.05); // keep RELU inputs off the kink
        LayerTestKit.assertStandardChecks(ff(Tie.TRANSPOSE, act), InputType.feedForward(D), x, null, new long[] {3, D});
    }

    @Test
    void parameterCountsFollowTheDocumentedFormula() {
        // tied r·D² + r·D + D, untied 2·r·D² + r·D + D (docs/what-it-computes.md); here R = 6, D = 4
        assertEquals(R * D + R + D, ff(Tie.TRANSPOSE, MlpActivation.GELU).numTrainableParams());
        assertEquals(2 * R * D + R + D, ff(Tie.NONE, MlpActivation.GELU).numTrainableParams());
        assertEquals(
                4 * 384 * 384 + 4 * 384 + 384,
                TiedFeedForward.builder(384).build().numTrainableParams());
    }

    /**
     * The M2.1 guard: TiedFeedForward(NONE, RELU) against two built-in DenseLayers holding the same weights.
     * Parameter gradients and the input gradient must agree to 1e-6 (ratio 1, not DL4J's SameDiff 2).
     */
    @Test
    void gradientsEqualBuiltInDenseLayers() {
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 5, D);
        MultiLayerNetwork ours =
                LayerTestKit.mln(InputType.feedForward(D), DataType.DOUBLE, ff(Tie.NONE, MlpActivation.RELU));
        MultiLayerNetwork builtIn = LayerTestKit.mln(
                InputType.feedForward(D),
                DataType.DOUBLE,
                new DenseLayer.Builder().nOut(R).activation(Activation.RELU).build(),
                new DenseLayer.Builder().nOut(D).activation(Activation.IDENTITY).build());
        // DenseLayer computes x·W with W [nIn, nOut]; ours computes W x with W [R, D].
        builtIn.setParam("0_W", ours.getParam("0_W").transpose());
        builtIn.setParam("0_b", ours.getParam("0_b1"));
        builtIn.setParam("1_W", ours.getParam("0_W2").transpose());
        builtIn.setParam("1_b", ours.getParam("0_b2"));
        builtIn.setParam("2_W", ours.getParam("1_W"));
        builtIn.setParam("2_b", ours.getParam("1_b"));
        INDArray labels = Nd4j.randn(DataType.DOUBLE, 5, 3);

        assertClose(builtIn.output(x), ours.output(x), "output");
        Pair<Gradient, INDArray> g = ours.calculateGradients(x, labels, null, null);
        Pair<Gradient, INDArray> b = builtIn.calculateGradients(x, labels, null, null);
        assertRatioOne(
                b.getFirst().getGradientFor("0_W").transpose(), g.getFirst().getGradientFor("0_W"), "dW");
        assertRatioOne(b.getFirst().getGradientFor("0_b"), g.getFirst().getGradientFor("0_b1"), "db1");
        assertRatioOne(
                b.getFirst().getGradientFor("1_W").transpose(), g.getFirst().getGradientFor("0_W2"), "dW2");
        assertRatioOne(b.getFirst().getGradientFor("1_b"), g.getFirst().getGradientFor("0_b2"), "db2");
        assertRatioOne(b.getSecond(), g.getSecond(), "input gradient (epsilon passed down)");
    }

    /** Tied equals untied with W2 = Wᵀ: same output; dW(tied) = dW + dW2ᵀ of the untied twin. */
    @ParameterizedTest
    @EnumSource(MlpActivation.class)
    void tiedEqualsUntiedWithTransposeCopiedIn(MlpActivation act) {
        Nd4j.getRandom().setSeed(4);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, D, 3);
        MultiLayerNetwork tied = LayerTestKit.mln(InputType.recurrent(D, 3), DataType.DOUBLE, ff(Tie.TRANSPOSE, act));
        MultiLayerNetwork untied = LayerTestKit.mln(InputType.recurrent(D, 3), DataType.DOUBLE, ff(Tie.NONE, act));
        for (String p : new String[] {"0_W", "0_b1", "0_b2", "1_W", "1_b"}) {
            untied.setParam(p, tied.getParam(p));
        }
        untied.setParam("0_W2", tied.getParam("0_W").transpose());
        INDArray labels = LayerTestKit.labelsFor(tied, x);

        assertClose(untied.output(x), tied.output(x), "forward");
        Pair<Gradient, INDArray> t = tied.calculateGradients(x, labels, null, null);
        Pair<Gradient, INDArray> u = untied.calculateGradients(x, labels, null, null);
        INDArray sharedGrad = u.getFirst()
                .getGradientFor("0_W")
                .add(u.getFirst().getGradientFor("0_W2").transpose());
        assertClose(sharedGrad, t.getFirst().getGradientFor("0_W"), "dW = dW + dW2ᵀ");
        assertClose(u.getFirst().getGradientFor("0_b1"), t.getFirst().getGradientFor("0_b1"), "db1");
        assertClose(u.getSecond(), t.getSecond(), "input gradient");
    }

    /**
     * By hand: D = 2, R = 2, RELU. W = [[1, 2], [-1, 1]], b1 = [0, 0.5], b2 = [0.1, -0.1], x = [1, 1].
     * W x + b1 = [3, 0.5]; relu → [3, 0.5]; Wᵀ [3, 0.5] = [3·1 + 0.5·(-1), 3·2 + 0.5·1] = [2.5, 6.5]; + b2 = [2.6, 6.4].
     * With upstream gradient g = [1, 0]: dh = W g = [1, -1]; relu' = [1, 1] → dz = [1, -1];
     * dW = dz xᵀ + h gᵀ... for the tied W: dW[i][j] = dz[i]·x[j] + h[i]·g[j] = [[1 + 3, 1], [-1 + 0.5, -1]] = [[4, 1], [-0.5, -1]];
     * dx = Wᵀ dz = [1·1 + (-1)·(-1), 2·1 + 1·(-1)] = [2, 1]; db1 = dz = [1, -1]; db2 = g = [1, 0].
     */
    @Test
    void tinyCaseComputedByHand() {
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.feedForward(2),
                DataType.DOUBLE,
                TiedFeedForward.builder(2)
                        .hiddenDim(2)
                        .activation(MlpActivation.RELU)
                        .build());
        net.setParam("0_W", Nd4j.createFromArray(new double[][] {{1, 2}, {-1, 1}}));
        net.setParam("0_b1", Nd4j.createFromArray(0, 0.5));
        net.setParam("0_b2", Nd4j.createFromArray(0.1, -0.1));
        net.initGradientsView();
        INDArray x = Nd4j.createFromArray(new double[][] {{1, 1}});
        org.deeplearning4j.nn.api.Layer layer = net.getLayer(0);
        layer.setInput(x, org.deeplearning4j.nn.workspace.LayerWorkspaceMgr.noWorkspaces());
        INDArray y = layer.activate(true, org.deeplearning4j.nn.workspace.LayerWorkspaceMgr.noWorkspaces());
        assertClose(Nd4j.createFromArray(new double[][] {{2.6, 6.4}}), y, "y");
        Pair<Gradient, INDArray> g = layer.backpropGradient(
                Nd4j.createFromArray(new double[][] {{1, 0}}),
                org.deeplearning4j.nn.workspace.LayerWorkspaceMgr.noWorkspaces());
        assertClose(
                Nd4j.createFromArray(new double[][] {{4, 1}, {-0.5, -1}}),
                g.getFirst().getGradientFor("W"),
                "dW");
        assertClose(Nd4j.createFromArray(1.0, -1.0), g.getFirst().getGradientFor("b1"), "db1");
        assertClose(Nd4j.createFromArray(1.0, 0.0), g.getFirst().getGradientFor("b2"), "db2");
        assertClose(Nd4j.createFromArray(new double[][] {{2, 1}}), g.getSecond(), "dx");
    }

    @Test
    void exactGeluMatchesErfFormula() {
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.feedForward(1),
                DataType.DOUBLE,
                TiedFeedForward.builder(1).hiddenDim(1).build());
        net.setParam("0_W", Nd4j.createFromArray(new double[][] {{1}}));
        double[] xs = {-2.0, -0.5, 0.0, 0.7, 3.0};
        INDArray x = Nd4j.createFromArray(xs).reshape(5, 1);
        INDArray y = net.feedForwardToLayer(0, x, false).get(1);
        // erf(x/√2) for these x, from Python's math.erf (an independent implementation)
        double[] erf = {-0.9544997361036416, -0.3829249225480262, 0.0, 0.5160726955538539, 0.9973002039367398};
        for (int i = 0; i < xs.length; i++) {
            assertEquals(0.5 * xs[i] * (1 + erf[i]), y.getDouble(i, 0), 1e-9, "GELU(" + xs[i] + ")");
        }
    }

    @Test
    void dropoutActsInTrainingOnlyAndBackpropUsesTheForwardMask() {
        Nd4j.getRandom().setSeed(5);
        TiedFeedForward layer =
                TiedFeedForward.builder(D).hiddenDim(64).dropout(0.5).build();
        MultiLayerNetwork net = LayerTestKit.mln(InputType.recurrent(D, 7), DataType.DOUBLE, layer);
        MultiLayerNetwork plain = LayerTestKit.mln(
                InputType.recurrent(D, 7),
                DataType.DOUBLE,
                TiedFeedForward.builder(D).hiddenDim(64).build());
        plain.setParams(net.params());
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, D, 7);

        INDArray inference = net.feedForwardToLayer(0, x, false).get(1);
        assertEquals(plain.feedForwardToLayer(0, x, false).get(1), inference, "inference ignores dropout");
        assertEquals(inference, net.feedForwardToLayer(0, x, false).get(1), "inference is deterministic");
        INDArray train1 = net.feedForwardToLayer(0, x, true).get(1);
        INDArray train2 = net.feedForwardToLayer(0, x, true).get(1);
        assertNotEquals(inference, train1, "training applies dropout");
        assertNotEquals(train1, train2, "a new mask every training pass");

        // Backprop on the same input reuses the forward mask: the gradient of the output actually produced.
        net.initGradientsView();
        org.deeplearning4j.nn.api.Layer l = net.getLayer(0);
        var ws = org.deeplearning4j.nn.workspace.LayerWorkspaceMgr.noWorkspaces();
        l.setInput(x, ws);
        INDArray y = l.activate(true, ws).dup();
        INDArray eps = Nd4j.ones(DataType.DOUBLE, y.shape());
        INDArray db2 = l.backpropGradient(eps, ws).getFirst().getGradientFor("b2");
        // The output dropout mask m2 is 0 or 1/keep = 2; y is exactly 0 where m2 is 0, and with an all-ones
        // upstream gradient db2[j] = Σ over tokens of m2[token, j]. So db2 counts the outputs the forward kept.
        INDArray kept = y.neq(0.0).castTo(DataType.DOUBLE).sum(0, 2).mul(2.0);
        assertEquals(kept, db2, "backward pass used the forward pass's dropout mask");
        assertTrue(kept.sumNumber().doubleValue() < 2.0 * 2 * 7 * D, "some outputs were dropped");
    }

    @Test
    void builderRejectsBadValuesWithClearMessages() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> TiedFeedForward.builder(0).build());
        assertEquals("TiedFeedForward: embedDim 0 must be positive", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> TiedFeedForward.builder(8).dropout(1.0).build());
        assertEquals("TiedFeedForward: dropout 1.0 must be in [0, 1)", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> TiedFeedForward.builder(8).mlpRatio(-1).build());
        assertTrue(e.getMessage().contains("mlpRatio -1.0"), e.getMessage());
    }

    @Test
    void wrongInputWidthNamesLayerAndBothShapes() {
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.recurrent(D, 3),
                DataType.FLOAT,
                TiedFeedForward.builder(D).name("mlp1").build());
        INDArray bad = Nd4j.rand(DataType.FLOAT, 2, D + 1, 3);
        Exception e = assertThrows(Exception.class, () -> net.output(bad));
        String msg = rootMessage(e);
        assertTrue(
                msg.contains("TiedFeedForward 'mlp1'") && msg.contains("[N, 4, T]") && msg.contains("[2, 5, 3]"), msg);
    }

    @Test
    void wrongConfiguredInputTypeFailsAtBuildTime() {
        Exception e = assertThrows(
                IllegalArgumentException.class,
                () -> LayerTestKit.mln(
                        InputType.recurrent(8, 3),
                        DataType.FLOAT,
                        TiedFeedForward.builder(D).build()));
        assertTrue(e.getMessage().contains("input has 8 features but embedDim is 4"), e.getMessage());
    }

    @Test
    void trainingPrintsNothingToStandardOutput() throws Exception {
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.recurrent(D, 3),
                DataType.FLOAT,
                TiedFeedForward.builder(D).build());
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, D, 3);
        INDArray y = LayerTestKit.labelsFor(net, x);
        String out = LayerTestKit.stdoutOf(() -> {
            net.fit(x, y);
            net.fit(x, y);
        });
        assertEquals("", out);
        assertFalse(net.params().isNaN().any());
    }

    static String rootMessage(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getMessage()).append(" | ");
        }
        return sb.toString();
    }

    static void assertClose(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(diff < 1e-9, what + ": max |difference| " + diff + "\nexpected " + expected + "\nactual " + actual);
    }

    /** Element-wise ratio actual/expected is 1 within 1e-6 wherever expected is not tiny. */
    static void assertRatioOne(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double scale = expected.amaxNumber().doubleValue();
        assertTrue(scale > 0, what + " is all zeros");
        INDArray e = expected.dup().reshape(-1);
        INDArray a = actual.dup().reshape(-1);
        for (long i = 0; i < e.length(); i++) {
            if (Math.abs(e.getDouble(i)) > 1e-3 * scale) {
                double ratio = a.getDouble(i) / e.getDouble(i);
                assertEquals(1.0, ratio, 1e-6, what + ": ratio ours/built-in at " + i);
            } else {
                assertEquals(e.getDouble(i), a.getDouble(i), 1e-9 * scale, what + " at " + i);
            }
        }
    }

    private static void assertArrayEquals(long[] a, long[] b, String what) {
        assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b), what);
    }
}
