package org.dl4jpe.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.util.ModelSerializer;
import org.dl4jpe.layers.SharedBottleneckStage.Sharing;
import org.dl4jpe.layers.SharedBottleneckStage.WeightUse;
import org.dl4jpe.layers.testkit.LayerTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * SharedBottleneckStage: the layer test kit at every sharing level; the documented parameter counts; equality with
 * the same
 * stage built from DL4J's layers (outputs, gradients, running statistics); sharing levels against their NONE twin;
 * the direct engine against SameDiff's differentiation of {@code define}; inference independent of the batch;
 * running statistics kept out of the updater and kept by ModelSerializer; error messages. Double precision unless
 * stated; tiny sizes (C 4, m 2, 2–3 blocks, 4×4 or 5×5 images, batch 3).
 */
@ExtendWith(SingleThreadedNd4j.class)
class SharedBottleneckStageTest {
    /** Tiny stage: C input channels, mid width M (output 4M), 3 blocks (so S and W are shared by two or more). */
    private static final int C = 4;

    private static final int M = 2;
    private static final int BLOCKS = 3;
    private static final int N = 3;
    private static final int HW = 5;
    private static final int STRIDE = 2;
    private static final int OUT_HW = 3; // ⌊(5 − 1)/2⌋ + 1
    private static final String STAGE = "stage";

    private static SharedBottleneckStage stage(Sharing sharing) {
        return SharedBottleneckStage.builder(C, M, BLOCKS)
                .stride(STRIDE)
                .sharing(sharing)
                .name(STAGE)
                .build();
    }

    private static INDArray input(long seed, int batch) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.DOUBLE, batch, C, HW, HW);
    }

    // ---- the layer test kit ----------------------------------------------------------------------------------

    /**
     * JSON, output shape, double-precision gradient checks (MLN and graph), gradients, serializer: every level.
     * Two blocks already share W twice or more at every level but STAGE_FIRST_3X3, whose S needs three.
     */
    @ParameterizedTest
    @EnumSource(Sharing.class)
    void standardChecks(Sharing sharing) throws Exception {
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.randn(DataType.DOUBLE, N, C, 4, 4);
        int blocks = sharing == Sharing.STAGE_FIRST_3X3 ? 3 : 2;
        SharedBottleneckStage layer = SharedBottleneckStage.builder(C, M, blocks)
                .stride(STRIDE)
                .sharing(sharing)
                .build();
        LayerTestKit.assertStandardChecks(
                layer, InputType.convolutional(4, 4, C), x, null, new long[] {N, 4 * M, 2, 2});
    }

    @Test
    void standardChecksAtStrideOneWithOneBlock() throws Exception {
        Nd4j.getRandom().setSeed(12);
        INDArray x = Nd4j.randn(DataType.DOUBLE, N, C, 3, 4);
        SharedBottleneckStage one = SharedBottleneckStage.builder(C, M, 1)
                .sharing(Sharing.STAGE_FIRST)
                .build();
        LayerTestKit.assertStandardChecks(one, InputType.convolutional(3, 4, C), x, null, new long[] {N, 4 * M, 3, 4});
    }

    // ---- parameter counts ------------------------------------------------------------------------------------

    /** The documented totals (docs/what-it-computes.md), built from this layer's per-stage counts plus stem and head
     * counted here. */
    @Test
    void parameterCountsReproduceSpecTotals() {
        Map<Sharing, Long> resnet50 = new EnumMap<>(Sharing.class);
        resnet50.put(Sharing.NONE, 25_557_032L);
        resnet50.put(Sharing.TIED, 21_919_784L);
        resnet50.put(Sharing.STAGE, 19_675_176L);
        resnet50.put(Sharing.STAGE_FIRST, 18_282_536L);
        resnet50.put(Sharing.STAGE_FIRST_3X3, 13_232_168L);
        Map<Sharing, Long> mini = new EnumMap<>(Sharing.class);
        mini.put(Sharing.NONE, 332_074L);
        mini.put(Sharing.TIED, 284_970L);
        mini.put(Sharing.STAGE, 259_370L);
        mini.put(Sharing.STAGE_FIRST, 237_866L);
        mini.put(Sharing.STAGE_FIRST_3X3, 180_266L);

        // ResNet50: 7×7/2 stem (64, no bias) + BN, stages (3, 4, 6, 3) with m 64..512, linear head 2048 → 1000.
        long resnet50Stem = 7 * 7 * 3 * 64 + 2 * 64;
        long resnet50Head = 2048 * 1000 + 1000;
        int[][] resnet50Stages = {{64, 64, 3, 1}, {256, 128, 4, 2}, {512, 256, 6, 2}, {1024, 512, 3, 2}};
        // Mini: 3×3/1 stem (32, no bias) on 1 channel + BN, stages (3, 4, 3) with m 16, 32, 64, head 256 → 10.
        long miniStem = 3 * 3 * 1 * 32 + 2 * 32;
        long miniHead = 256 * 10 + 10;
        int[][] miniStages = {{32, 16, 3, 1}, {64, 32, 4, 2}, {128, 64, 3, 2}};

        for (Sharing s : Sharing.values()) {
            assertEquals(
                    resnet50.get(s), resnet50Stem + stagesCount(resnet50Stages, s) + resnet50Head, "resnet50 " + s);
            assertEquals(mini.get(s), miniStem + stagesCount(miniStages, s) + miniHead, "resnet_mini_28 " + s);
        }
    }

    private static long stagesCount(int[][] stages, Sharing sharing) {
        long n = 0;
        for (int[] st : stages) {
            n += SharedBottleneckStage.builder(st[0], st[1], st[2])
                    .stride(st[3])
                    .sharing(sharing)
                    .build()
                    .numTrainableParams();
        }
        return n;
    }

    /** Per stage: trainable counts from the documented table worked out by hand; DL4J's total adds the 2 BN stats. */
    @Test
    void parameterCountsPerStage() {
        long in = 24;
        long m = 8;
        int n = 4;
        long bnTrainable = 2 * (m + m + 4 * m) * n + 2 * 4 * m; // γ, β after every conv and the shortcut
        long none = (in * m + 9 * m * m + 4 * m * m + in * 4 * m)
                + (n - 1) * (4 * m * m + 9 * m * m + 4 * m * m)
                + bnTrainable;
        Map<Sharing, Long> expected = new EnumMap<>(Sharing.class);
        expected.put(Sharing.NONE, none);
        expected.put(Sharing.TIED, none - (n - 1) * 4 * m * m);
        expected.put(Sharing.STAGE, none - (n - 1) * 8 * m * m + 4 * m * m);
        expected.put(Sharing.STAGE_FIRST, none - (n - 1) * 8 * m * m);
        expected.put(Sharing.STAGE_FIRST_3X3, none - (n - 1) * 8 * m * m - (n - 2) * 9 * m * m);
        for (Sharing s : Sharing.values()) {
            SharedBottleneckStage st =
                    SharedBottleneckStage.builder(in, m, n).stride(2).sharing(s).build();
            assertEquals(expected.get(s), st.numTrainableParams(), s.toString());
            MultiLayerNetwork net = LayerTestKit.mln(InputType.convolutional(6, 6, in), DataType.FLOAT, st);
            assertEquals(expected.get(s) + bnTrainable, net.getLayer(0).numParams(), s + ": DL4J count adds BN stats");
        }
    }

    /** The weight each convolution reads, level by level, as docs/what-it-computes.md's table says (3 blocks). */
    @Test
    void weightUseFollowsSpecTable() {
        String[][] none = {
            {"block1Conv1", "block1Conv2", "block1Conv3"},
            {"block2Conv1", "block2Conv2", "block2Conv3"},
            {"block3Conv1", "block3Conv2", "block3Conv3"}
        };
        assertUses(Sharing.NONE, none, new boolean[3][3]);
        assertUses(
                Sharing.TIED,
                new String[][] {
                    none[0],
                    {"block2Conv1", "block2Conv2", "block2Conv1"},
                    {"block3Conv1", "block3Conv2", "block3Conv1"}
                },
                transposedExpand(false));
        assertUses(
                Sharing.STAGE,
                new String[][] {none[0], {"W", "block2Conv2", "W"}, {"W", "block3Conv2", "W"}},
                transposedExpand(false));
        assertUses(
                Sharing.STAGE_FIRST,
                new String[][] {
                    {"block1Conv1", "block1Conv2", "W"}, {"W", "block2Conv2", "W"}, {"W", "block3Conv2", "W"}
                },
                transposedExpand(true));
        assertUses(
                Sharing.STAGE_FIRST_3X3,
                new String[][] {{"block1Conv1", "block1Conv2", "W"}, {"W", "S", "W"}, {"W", "S", "W"}},
                transposedExpand(true));
    }

    /** Expand (conv 3) transposed in blocks ≥ 2, and in block 1 too if {@code first}. */
    private static boolean[][] transposedExpand(boolean first) {
        return new boolean[][] {{false, false, first}, {false, false, true}, {false, false, true}};
    }

    private static void assertUses(Sharing sharing, String[][] params, boolean[][] transposed) {
        SharedBottleneckStage st =
                SharedBottleneckStage.builder(C, M, 3).sharing(sharing).build();
        for (int i = 1; i <= 3; i++) {
            for (int c = 1; c <= 3; c++) {
                assertEquals(
                        new WeightUse(params[i - 1][c - 1], transposed[i - 1][c - 1]),
                        st.weightUse(i, c),
                        sharing + " block " + i + " conv " + c);
            }
        }
    }

    // ---- equal to DL4J's built-in layers ---------------------------------------------------------------------

    private static NeuralNetConfiguration.Builder base(IUpdater updater, DataType dataType) {
        return new NeuralNetConfiguration.Builder()
                .seed(LayerTestKit.SEED)
                .dataType(dataType)
                .updater(updater)
                .trainingWorkspaceMode(WorkspaceMode.NONE)
                .inferenceWorkspaceMode(WorkspaceMode.NONE);
    }

    private static CnnLossLayer loss() {
        return new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                .activation(Activation.IDENTITY)
                .build();
    }

    /** in → our stage → MSE loss, in double precision. */
    private static ComputationGraph ours(SharedBottleneckStage layer, IUpdater updater) {
        return ours(layer, updater, DataType.DOUBLE);
    }

    private static ComputationGraph ours(SharedBottleneckStage layer, IUpdater updater, DataType dataType) {
        ComputationGraphConfiguration conf = base(updater, dataType)
                .graphBuilder()
                .addInputs("in")
                .addLayer(STAGE, layer, "in")
                .addLayer("loss", loss(), STAGE)
                .setOutputs("loss")
                .setInputTypes(InputType.convolutional(HW, HW, C))
                .build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    /** in → the same stage from DL4J layers → MSE loss, in double precision. */
    private static ComputationGraph builtIn(IUpdater updater, double momentum) {
        return builtIn(updater, momentum, DataType.DOUBLE);
    }

    private static ComputationGraph builtIn(IUpdater updater, double momentum, DataType dataType) {
        ComputationGraphConfiguration.GraphBuilder g =
                base(updater, dataType).graphBuilder().addInputs("in");
        String out = BuiltInStage.add(g, "", "in", C, M, BLOCKS, STRIDE, momentum, 1e-5);
        g.addLayer("loss", loss(), out).setOutputs("loss").setInputTypes(InputType.convolutional(HW, HW, C));
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }

    private static String builtInOut() {
        return BuiltInStage.name("", BLOCKS, "out");
    }

    /** Copies every parameter of our NONE stage into the built-in twin (1×1 matrices become [out, in, 1, 1]). */
    private static void copyInto(ComputationGraph ours, ComputationGraph builtIn) {
        for (int i = 1; i <= BLOCKS; i++) {
            for (int c = 1; c <= 3; c++) {
                INDArray w = ours.getParam(STAGE + "_" + SharedBottleneckStage.convParam(i, c));
                builtIn.setParam(
                        BuiltInStage.name("", i, "conv" + c) + "_W",
                        c == 2 ? w : w.reshape(w.size(0), w.size(1), 1, 1));
                copyBn(ours, builtIn, i, c, BuiltInStage.name("", i, "bn" + c));
            }
        }
        INDArray d = ours.getParam(STAGE + "_" + SharedBottleneckStage.downParam());
        builtIn.setParam(BuiltInStage.name("", 1, "down") + "_W", d.reshape(d.size(0), d.size(1), 1, 1));
        copyBn(ours, builtIn, 0, 0, BuiltInStage.name("", 1, "downBn"));
    }

    private static final String[][] BN_NAMES = {
        {SharedBottleneckStage.GAMMA, "gamma"},
        {SharedBottleneckStage.BETA, "beta"},
        {SharedBottleneckStage.MEAN, "mean"},
        {SharedBottleneckStage.VAR, "var"}
    };

    private static String ourBn(int block, int conv, String suffix) {
        return STAGE + "_"
                + (block == 0
                        ? SharedBottleneckStage.downBnParam(suffix)
                        : SharedBottleneckStage.bnParam(block, conv, suffix));
    }

    private static void copyBn(ComputationGraph ours, ComputationGraph builtIn, int block, int conv, String bn) {
        for (String[] n : BN_NAMES) {
            INDArray v = ours.getParam(ourBn(block, conv, n[0]));
            builtIn.setParam(bn + "_" + n[1], v.reshape(1, v.length()));
        }
    }

    /** Gives our stage random BN parameters and running statistics, so that nothing is compared at 0 or 1. */
    private static void randomizeBatchNorms(ComputationGraph ours, long seed) {
        Nd4j.getRandom().setSeed(seed);
        for (String key : ours.paramTable().keySet()) {
            INDArray v = ours.getParam(key);
            if (key.endsWith(SharedBottleneckStage.GAMMA) || key.endsWith(SharedBottleneckStage.VAR)) {
                ours.setParam(key, Nd4j.rand(DataType.DOUBLE, v.shape()).addi(0.5));
            } else if (key.endsWith(SharedBottleneckStage.BETA) || key.endsWith(SharedBottleneckStage.MEAN)) {
                ours.setParam(key, Nd4j.randn(DataType.DOUBLE, v.shape()).muli(0.3));
            }
        }
    }

    /**
     * Parameter gradients, and the gradient with respect to the input ("in") added to {@code inputGrad}, after one
     * backward pass (the graph clears its vertices' gradients at the end of the pass, so a listener copies it).
     */
    private static Gradient gradients(ComputationGraph net, INDArray x, INDArray labels, List<INDArray> inputGrad) {
        net.setListeners(new BaseTrainingListener() {
            @Override
            public void onBackwardPass(Model model) {
                if (inputGrad != null) { // with DL4J's workspaces on, the input gradient's workspace is closed here
                    inputGrad.add(((ComputationGraph) model)
                            .getVertex("in")
                            .getEpsilon()
                            .dup());
                }
            }
        });
        net.setInputs(x);
        net.setLabels(labels);
        net.computeGradientAndScore();
        net.setListeners();
        return net.gradient();
    }

    @Test
    void noneEqualsBuiltInLayersForwardAndGradients() {
        ComputationGraph ours = ours(stage(Sharing.NONE), new NoOp());
        randomizeBatchNorms(ours, 21);
        ComputationGraph builtIn = builtIn(new NoOp(), 0.1);
        copyInto(ours, builtIn);
        INDArray x = input(22, N);

        assertClose(
                builtIn.feedForward(x, false).get(builtInOut()),
                ours.feedForward(x, false).get(STAGE),
                "inference output (running statistics)");
        assertClose(
                builtIn.feedForward(x, true).get(builtInOut()),
                ours.feedForward(x, true).get(STAGE),
                "training output (batch statistics)");

        INDArray labels = Nd4j.rand(DataType.DOUBLE, N, 4 * M, OUT_HW, OUT_HW);
        List<INDArray> dx = new ArrayList<>();
        Gradient b = gradients(builtIn, x, labels, dx);
        Gradient o = gradients(ours, x, labels, dx);
        for (int i = 1; i <= BLOCKS; i++) {
            for (int c = 1; c <= 3; c++) {
                INDArray expected = b.getGradientFor(BuiltInStage.name("", i, "conv" + c) + "_W");
                INDArray actual = o.getGradientFor(STAGE + "_" + SharedBottleneckStage.convParam(i, c));
                assertClose(expected.reshape(actual.shape()), actual, "d conv" + c + " block " + i);
                assertBnGradients(b, o, i, c, BuiltInStage.name("", i, "bn" + c));
            }
        }
        INDArray expected = b.getGradientFor(BuiltInStage.name("", 1, "down") + "_W");
        INDArray actual = o.getGradientFor(STAGE + "_" + SharedBottleneckStage.downParam());
        assertClose(expected.reshape(actual.shape()), actual, "d shortcut");
        assertBnGradients(b, o, 0, 0, BuiltInStage.name("", 1, "downBn"));
        assertClose(dx.get(0), dx.get(1), "input gradient (epsilon passed down)");
        assertTrue(dx.get(1).amaxNumber().doubleValue() > 1e-3, "input gradient is not trivially zero");
    }

    private static void assertBnGradients(Gradient b, Gradient o, int block, int conv, String bn) {
        for (int k = 0; k < 2; k++) {
            INDArray expected = b.getGradientFor(bn + "_" + BN_NAMES[k][1]);
            INDArray actual = o.getGradientFor(ourBn(block, conv, BN_NAMES[k][0]));
            assertClose(expected.reshape(actual.shape()), actual, "d " + bn + " " + BN_NAMES[k][1]);
        }
    }

    /**
     * The same comparison in float, the precision networks train in (tolerance 1e-4 of the values' scale), with
     * either convolution kernel (on a oneDNN build of nd4j-native, CONV2D runs on oneDNN in float).
     */
    @ParameterizedTest
    @EnumSource(DirectConv.Kernel.class)
    void noneEqualsBuiltInLayersInFloat(DirectConv.Kernel kernel) {
        DirectConv.force(kernel);
        try {
            assertNoneEqualsBuiltInInFloat();
        } finally {
            DirectConv.force(null);
        }
    }

    private static void assertNoneEqualsBuiltInInFloat() {
        ComputationGraph ours = ours(stage(Sharing.NONE), new NoOp(), DataType.FLOAT);
        randomizeBatchNorms(ours, 23);
        ComputationGraph builtIn = builtIn(new NoOp(), 0.1, DataType.FLOAT);
        copyInto(ours, builtIn);
        INDArray x = input(24, N).castTo(DataType.FLOAT);
        assertClose(
                builtIn.feedForward(x, false).get(builtInOut()),
                ours.feedForward(x, false).get(STAGE),
                1e-4,
                "inference output");
        assertClose(
                builtIn.feedForward(x, true).get(builtInOut()),
                ours.feedForward(x, true).get(STAGE),
                1e-4,
                "training output");
        INDArray labels = Nd4j.rand(DataType.FLOAT, N, 4 * M, OUT_HW, OUT_HW);
        List<INDArray> dx = new ArrayList<>();
        Gradient b = gradients(builtIn, x, labels, dx);
        Gradient o = gradients(ours, x, labels, dx);
        for (int i = 1; i <= BLOCKS; i++) {
            INDArray expected = b.getGradientFor(BuiltInStage.name("", i, "conv2") + "_W");
            assertClose(
                    expected,
                    o.getGradientFor(STAGE + "_" + SharedBottleneckStage.convParam(i, 2)),
                    1e-4,
                    "d conv2 block " + i);
        }
        assertClose(dx.get(0), dx.get(1), 1e-4, "input gradient");
    }

    /**
     * After T training steps with SGD, weights and running means equal the built-in twin's. The running variance
     * differs by design: ours (PyTorch) averages the unbiased batch variance, DL4J's the biased one. Both start at
     * 1 and see the same batch variances v_t (same weights, same batches), so with n values per channel
     * {@code ours_T = d^T + n/(n − 1)·(dl4j_T − d^T)}, d the decay. After copying our running variance into the
     * twin, the inference outputs agree.
     */
    @ParameterizedTest
    @ValueSource(doubles = {0.1, 0.3})
    void runningStatisticsMatchBuiltInAfterTrainingSteps(double momentum) {
        SharedBottleneckStage layer = SharedBottleneckStage.builder(C, M, BLOCKS)
                .stride(STRIDE)
                .sharing(Sharing.NONE)
                .bnMomentum(momentum)
                .name(STAGE)
                .build();
        ComputationGraph ours = ours(layer, new Sgd(0.05));
        ComputationGraph builtIn = builtIn(new Sgd(0.05), momentum);
        copyInto(ours, builtIn);
        int steps = 3;
        for (int t = 0; t < steps; t++) {
            INDArray x = input(30 + t, N);
            INDArray labels = Nd4j.rand(DataType.DOUBLE, N, 4 * M, OUT_HW, OUT_HW);
            ours.fit(new INDArray[] {x}, new INDArray[] {labels});
            builtIn.fit(new INDArray[] {x}, new INDArray[] {labels});
        }
        double decayT = Math.pow(1 - momentum, steps);
        for (int i = 0; i <= BLOCKS; i++) {
            for (int c = i == 0 ? 0 : 1; c <= (i == 0 ? 0 : 3); c++) {
                String bn = i == 0 ? BuiltInStage.name("", 1, "downBn") : BuiltInStage.name("", i, "bn" + c);
                String what = bn + " after " + steps + " steps";
                // values per channel: block 1's first BN sees the input resolution, every other BN the output's
                long n = (long) N * (i == 1 && c == 1 ? HW * HW : OUT_HW * OUT_HW);
                INDArray ourMean = ours.getParam(ourBn(i, c, SharedBottleneckStage.MEAN));
                INDArray ourVar = ours.getParam(ourBn(i, c, SharedBottleneckStage.VAR));
                assertClose(builtIn.getParam(bn + "_mean").reshape(ourMean.shape()), ourMean, what + " mean");
                assertNotEquals(0.0, ourMean.amaxNumber().doubleValue(), what + ": mean was updated");
                INDArray dl4jVar = builtIn.getParam(bn + "_var").reshape(ourVar.shape());
                INDArray expected =
                        dl4jVar.sub(decayT).muli((double) n / (n - 1)).addi(decayT);
                assertClose(expected, ourVar, what + " variance (unbiased, PyTorch)");
                assertTrue(
                        ourVar.sub(dl4jVar).amaxNumber().doubleValue() > 1e-6,
                        what + ": the unbiased and biased running variances differ");
                builtIn.setParam(bn + "_var", ourVar.reshape(1, ourVar.length()));
            }
        }
        for (int i = 1; i <= BLOCKS; i++) {
            INDArray w = ours.getParam(STAGE + "_" + SharedBottleneckStage.convParam(i, 2));
            assertClose(builtIn.getParam(BuiltInStage.name("", i, "conv2") + "_W"), w, "conv2 weights after training");
        }
        INDArray x = input(40, N);
        assertClose(
                builtIn.feedForward(x, false).get(builtInOut()),
                ours.feedForward(x, false).get(STAGE),
                "inference output after training");
    }

    // ---- sharing levels equal their NONE twin ----------------------------------------------------------------

    /**
     * A sharing level equals the NONE stage whose per-block weights are the shared ones (transposed where used
     * transposed): same outputs in training and at inference; a shared weight's gradient is the sum of the twin's
     * gradients at every use (transposed back), every other gradient and the input gradient are equal.
     */
    @ParameterizedTest
    @EnumSource(
            value = Sharing.class,
            names = {"TIED", "STAGE", "STAGE_FIRST", "STAGE_FIRST_3X3"})
    void sharingLevelEqualsNoneTwinWithSharedWeightsCopiedIn(Sharing sharing) {
        SharedBottleneckStage layer = stage(sharing);
        ComputationGraph shared = ours(layer, new NoOp());
        randomizeBatchNorms(shared, 50);
        ComputationGraph twin = ours(stage(Sharing.NONE), new NoOp());
        for (String key : twin.paramTable().keySet()) {
            String name = key.substring(STAGE.length() + 1);
            WeightUse use = convUse(layer, name);
            if (use == null) {
                twin.setParam(key, shared.getParam(key));
            } else {
                INDArray w = shared.getParam(STAGE + "_" + use.param());
                twin.setParam(key, use.transposed() ? w.transpose() : w);
            }
        }
        assertTrue(shared.numParams() < twin.numParams(), "the shared stage has fewer parameters");
        INDArray x = input(51, N);
        assertClose(
                twin.feedForward(x, false).get(STAGE),
                shared.feedForward(x, false).get(STAGE),
                "inference");
        assertClose(
                twin.feedForward(x, true).get(STAGE),
                shared.feedForward(x, true).get(STAGE),
                "training");

        INDArray labels = Nd4j.rand(DataType.DOUBLE, N, 4 * M, OUT_HW, OUT_HW);
        List<INDArray> dx = new ArrayList<>();
        Gradient t = gradients(twin, x, labels, dx);
        Gradient s = gradients(shared, x, labels, dx);
        for (String key : shared.paramTable().keySet()) {
            String name = key.substring(STAGE.length() + 1);
            INDArray expected =
                    twin.paramTable().containsKey(key) ? t.getGradientFor(key).dup() : null;
            int uses = 0;
            for (int i = 1; i <= BLOCKS; i++) {
                for (int c = 1; c <= 3; c++) {
                    WeightUse use = layer.weightUse(i, c);
                    if (use.param().equals(name) && !name.equals(SharedBottleneckStage.convParam(i, c))) {
                        INDArray g = t.getGradientFor(STAGE + "_" + SharedBottleneckStage.convParam(i, c));
                        g = use.transposed() ? g.transpose() : g;
                        expected = expected == null ? g.dup() : expected.addi(g);
                        uses++;
                    }
                }
            }
            assertTrue(expected != null, key + " has no counterpart in the twin");
            if (name.equals(SharedBottleneckStage.SHARED_1X1) || name.equals(SharedBottleneckStage.SHARED_3X3)) {
                assertTrue(uses >= 2, key + " is shared by " + uses + " uses");
            }
            assertClose(
                    expected,
                    s.getGradientFor(key),
                    "d" + name + " = sum over its " + Math.max(uses, 1) + " use(s) of the twin's gradients");
        }
        assertClose(dx.get(0), dx.get(1), "input gradient");
    }

    /** The weight that the NONE twin's parameter {@code name} is in the shared stage, or null if not a conv. */
    private static WeightUse convUse(SharedBottleneckStage layer, String name) {
        for (int i = 1; i <= BLOCKS; i++) {
            for (int c = 1; c <= 3; c++) {
                if (name.equals(SharedBottleneckStage.convParam(i, c))) {
                    return layer.weightUse(i, c);
                }
            }
        }
        return null;
    }

    // ---- the two engines --------------------------------------------------------------------------------------

    /**
     * The direct engine computes what SameDiff's differentiation of {@code define} computes: outputs in training
     * and at inference, every gradient, the input gradient, running statistics, and parameters after an SGD step.
     */
    @ParameterizedTest
    @EnumSource(Sharing.class)
    void directEngineEqualsSameDiffEngine(Sharing sharing) {
        DirectConv.force(DirectConv.Kernel.IM2COL_GEMM);
        try {
            assertDirectEqualsSameDiff(sharing);
        } finally {
            DirectConv.force(null);
        }
    }

    /** The same with the direct engine's convolutions on libnd4j's conv2d / conv2d_bp (what oneDNN builds run). */
    @ParameterizedTest
    @EnumSource(
            value = Sharing.class,
            names = {"NONE", "TIED", "STAGE_FIRST_3X3"})
    void directEngineOnConv2dOpsEqualsSameDiffEngine(Sharing sharing) {
        DirectConv.force(DirectConv.Kernel.CONV2D);
        try {
            assertDirectEqualsSameDiff(sharing);
        } finally {
            DirectConv.force(null);
        }
    }

    private static void assertDirectEqualsSameDiff(Sharing sharing) {
        ComputationGraph direct = ours(stage(sharing), new Sgd(0.1));
        ComputationGraph reference = ours(
                SharedBottleneckStage.builder(C, M, BLOCKS)
                        .stride(STRIDE)
                        .sharing(sharing)
                        .engine(SharedBottleneckStage.Engine.SAMEDIFF)
                        .name(STAGE)
                        .build(),
                new Sgd(0.1));
        randomizeBatchNorms(direct, 100);
        reference.setParams(direct.params());
        INDArray x = input(101, N);
        assertClose(
                reference.feedForward(x, false).get(STAGE),
                direct.feedForward(x, false).get(STAGE),
                "inference output");
        assertClose(
                reference.feedForward(x, true).get(STAGE),
                direct.feedForward(x, true).get(STAGE),
                "training output");
        assertEquals(reference.params(), direct.params(), "training-mode forward passes change no parameter");

        INDArray labels = Nd4j.rand(DataType.DOUBLE, N, 4 * M, OUT_HW, OUT_HW);
        List<INDArray> dx = new ArrayList<>();
        Gradient r = gradients(reference, x, labels, dx);
        Gradient d = gradients(direct, x, labels, dx);
        for (String key : direct.paramTable().keySet()) {
            assertClose(r.getGradientFor(key), d.getGradientFor(key), "gradient of " + key);
        }
        assertClose(dx.get(0), dx.get(1), "input gradient");

        direct.fit(new INDArray[] {x}, new INDArray[] {labels});
        reference.fit(new INDArray[] {x}, new INDArray[] {labels});
        assertClose(reference.params(), direct.params(), "parameters after an SGD step");

        // another batch size: the direct engine's buffers follow the input shape
        INDArray x2 = input(102, 2);
        INDArray labels2 = Nd4j.rand(DataType.DOUBLE, 2, 4 * M, OUT_HW, OUT_HW);
        Gradient r2 = gradients(reference, x2, labels2, dx);
        Gradient d2 = gradients(direct, x2, labels2, dx);
        for (String key : direct.paramTable().keySet()) {
            assertClose(r2.getGradientFor(key), d2.getGradientFor(key), "batch of 2: gradient of " + key);
        }
        assertClose(dx.get(2), dx.get(3), "batch of 2: input gradient");
        assertClose(
                reference.feedForward(x, false).get(STAGE),
                direct.feedForward(x, false).get(STAGE),
                "back to a batch of 3: inference output");
    }

    // ---- the oneDNN NHWC engine (float) ---------------------------------------------------------------------

    /**
     * In float, where oneDNN loads (it is on this module's test class path), the direct engine runs on oneDNN in
     * NHWC ({@link OneDnnStage}); with oneDNN turned off it runs the NCHW passes. Both float engines agree with the
     * double-precision engine (the exact values), the oneDNN one to 1e-4 of the values' scale or at least as well as
     * the NCHW passes ({@link #assertFloatEnginesClose}): outputs in training and at inference,
     * every gradient, the input gradient, and parameters and running statistics after each of two SGD steps, at two
     * batch sizes; at stride 2 and 1.
     */
    @ParameterizedTest
    @EnumSource(Sharing.class)
    void oneDnnEngineAndNchwPassesInFloatEqualDoublePrecision(Sharing sharing) {
        for (int stride : new int[] {STRIDE, 1}) {
            int s = stride;
            java.util.function.Supplier<SharedBottleneckStage> layer = () -> SharedBottleneckStage.builder(C, M, BLOCKS)
                    .stride(s)
                    .sharing(sharing)
                    .name(STAGE)
                    .build();
            ComputationGraph fast = ours(layer.get(), new Sgd(0.1), DataType.FLOAT);
            ComputationGraph java = ours(layer.get(), new Sgd(0.1), DataType.FLOAT);
            ComputationGraph exact = ours(layer.get(), new Sgd(0.1), DataType.DOUBLE);
            randomizeBatchNorms(fast, 200 + stride);
            java.setParams(fast.params());
            exact.setParams(fast.params().castTo(DataType.DOUBLE));
            long outHw = (HW - 1) / stride + 1;
            String at = sharing + ", stride " + stride + ": ";
            for (int batch : new int[] {N, 2}) {
                INDArray xd = input(201 + batch, batch);
                INDArray x = xd.castTo(DataType.FLOAT);
                INDArray labelsD = Nd4j.rand(DataType.DOUBLE, batch, 4 * M, outHw, outHw);
                INDArray labels = labelsD.castTo(DataType.FLOAT);
                String what = at + "batch " + batch + ": ";
                for (boolean training : new boolean[] {false, true}) {
                    assertFloatEnginesClose(
                            exact.feedForward(xd, training).get(STAGE),
                            onOneDnn(false, () -> java.feedForward(x, training).get(STAGE)),
                            onOneDnn(true, () -> fast.feedForward(x, training).get(STAGE)),
                            what + (training ? "training output" : "inference output"));
                    assertTrue(stageOf(fast).ranOnOneDnn(), what + "the oneDNN engine ran");
                    assertFalse(stageOf(java).ranOnOneDnn(), what + "oneDNN off: the NCHW passes ran");
                }
                List<INDArray> dx = new ArrayList<>();
                Gradient e = gradients(exact, xd, labelsD, dx);
                Gradient j = onOneDnn(false, () -> gradients(java, x, labels, dx));
                Gradient f = onOneDnn(true, () -> gradients(fast, x, labels, dx));
                assertTrue(stageOf(fast).ranOnOneDnn(), what + "the oneDNN engine ran the backward pass");
                for (String key : fast.paramTable().keySet()) {
                    assertFloatEnginesClose(
                            e.getGradientFor(key), j.getGradientFor(key), f.getGradientFor(key), what + "d " + key);
                }
                assertFloatEnginesClose(dx.get(0), dx.get(1), dx.get(2), what + "input gradient");
                stepAll(exact, java, fast, xd, labelsD, x, labels);
                for (String key : exact.paramTable().keySet()) {
                    assertFloatEnginesClose(
                            exact.getParam(key),
                            java.getParam(key),
                            fast.getParam(key),
                            what + "after an SGD step: " + key);
                }
            }
        }
    }

    /**
     * Two stages in a row on oneDNN hand their activation on in NHWC (an NCHW-shaped view the second reads in place)
     * and its gradient back the same way; DL4J's global pooling reads the second's output by its strides; the first,
     * whose input is NCHW, returns an NCHW input gradient. With DL4J's workspaces on, as in the zoo's networks, the
     * float engines agree with the double one on the outputs, every gradient, the input gradient, and the parameters
     * after two SGD steps (the input gradient with the workspaces off: with them on, its workspace is closed before a
     * listener can copy it).
     */
    @ParameterizedTest
    @EnumSource(
            value = Sharing.class,
            names = {"NONE", "TIED"})
    void stagesInARowHandOnNhwcOnOneDnn(Sharing sharing) {
        for (WorkspaceMode mode : new WorkspaceMode[] {WorkspaceMode.NONE, WorkspaceMode.ENABLED}) {
            stagesInARow(sharing, mode);
        }
    }

    private static void stagesInARow(Sharing sharing, WorkspaceMode mode) {
        String at = sharing + ", workspaces " + mode + ": ";
        java.util.function.Function<DataType, ComputationGraph> net = dataType -> {
            ComputationGraph g = new ComputationGraph(new NeuralNetConfiguration.Builder()
                    .seed(LayerTestKit.SEED)
                    .dataType(dataType)
                    .updater(new Sgd(0.1))
                    .trainingWorkspaceMode(mode)
                    .inferenceWorkspaceMode(mode)
                    .graphBuilder()
                    .addInputs("in")
                    .addLayer(
                            "a",
                            SharedBottleneckStage.builder(C, M, 2)
                                    .stride(STRIDE)
                                    .sharing(sharing)
                                    .build(),
                            "in")
                    .addLayer(
                            "b",
                            SharedBottleneckStage.builder(4 * M, M, 2)
                                    .sharing(sharing)
                                    .build(),
                            "a")
                    .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "b")
                    .addLayer(
                            "loss",
                            new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                                    .nOut(3)
                                    .activation(Activation.IDENTITY)
                                    .build(),
                            "pool")
                    .setOutputs("loss")
                    .setInputTypes(InputType.convolutional(HW, HW, C))
                    .build());
            g.init();
            return g;
        };
        ComputationGraph fast = net.apply(DataType.FLOAT);
        ComputationGraph java = net.apply(DataType.FLOAT);
        ComputationGraph exact = net.apply(DataType.DOUBLE);
        randomizeBatchNorms(fast, 300);
        java.setParams(fast.params());
        exact.setParams(fast.params().castTo(DataType.DOUBLE));
        INDArray xd = input(301, N);
        INDArray x = xd.castTo(DataType.FLOAT);
        Nd4j.getRandom().setSeed(302);
        INDArray labelsD = Nd4j.randn(DataType.DOUBLE, N, 3);
        INDArray labels = labelsD.castTo(DataType.FLOAT);
        for (boolean training : new boolean[] {false, true}) {
            Map<String, INDArray> on = onOneDnn(true, () -> fast.feedForward(x, training));
            assertNotNull(OneDnn.channelsLast(on.get("a")), at + "the first stage's output is NHWC in memory");
            assertTrue(((SharedBottleneckStageImpl) fast.getLayer("b")).ranOnOneDnn(), at + "the second ran on oneDNN");
            Map<String, INDArray> off = onOneDnn(false, () -> java.feedForward(x, training));
            Map<String, INDArray> ref = exact.feedForward(xd, training);
            for (String v : List.of("a", "b", "pool", "loss")) {
                assertFloatEnginesClose(
                        ref.get(v), off.get(v), on.get(v), at + "" + v + " (training " + training + ")");
            }
        }
        for (int step = 0; step < 2; step++) {
            List<INDArray> dx = mode == WorkspaceMode.NONE ? new ArrayList<>() : null;
            Gradient e = gradients(exact, xd, labelsD, dx);
            Gradient j = onOneDnn(false, () -> gradients(java, x, labels, dx));
            Gradient f = onOneDnn(true, () -> gradients(fast, x, labels, dx));
            if (dx != null) {
                assertNull(OneDnn.channelsLast(dx.get(2)), at + "the input gradient of an NCHW input is NCHW");
                assertFloatEnginesClose(dx.get(0), dx.get(1), dx.get(2), at + "input gradient");
            }
            for (String key : fast.paramTable().keySet()) {
                assertFloatEnginesClose(
                        e.getGradientFor(key), j.getGradientFor(key), f.getGradientFor(key), at + "d " + key);
            }
            stepAll(exact, java, fast, xd, labelsD, x, labels);
            for (String key : exact.paramTable().keySet()) {
                assertFloatEnginesClose(
                        exact.getParam(key), java.getParam(key), fast.getParam(key), at + "step " + step + ": " + key);
            }
        }
    }

    /**
     * The oneDNN float result within 1e-4 of the double one (relative to the larger of 1 and its magnitude), or, where
     * float rounding is amplified more than that (a BatchNorm's gradient over 50 values per channel), no further from
     * it than twice the float NCHW passes' result is; and that one within 1e-3.
     */
    private static void assertFloatEnginesClose(INDArray exact, INDArray java, INDArray oneDnn, String what) {
        assertClose(exact, java.castTo(DataType.DOUBLE), 1e-3, what + " (NCHW passes, float)");
        double scale = Math.max(1.0, exact.amaxNumber().doubleValue());
        double javaDiff = exact.sub(java.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        double diff = exact.sub(oneDnn.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(
                diff <= Math.max(1e-4 * scale, 2 * javaDiff),
                what + " (oneDNN, float): max |difference| " + diff + " (scale " + scale + "; NCHW passes in float: "
                        + javaDiff + ")");
    }

    /** One SGD step of each: the double net, the float one on the NCHW passes, the float one on oneDNN. */
    private static void stepAll(
            ComputationGraph exact,
            ComputationGraph java,
            ComputationGraph fast,
            INDArray xd,
            INDArray labelsD,
            INDArray x,
            INDArray labels) {
        exact.fit(new INDArray[] {xd}, new INDArray[] {labelsD});
        onOneDnn(false, () -> {
            java.fit(new INDArray[] {x}, new INDArray[] {labels});
            return null;
        });
        onOneDnn(true, () -> {
            fast.fit(new INDArray[] {x}, new INDArray[] {labels});
            return null;
        });
    }

    private static SharedBottleneckStageImpl stageOf(ComputationGraph g) {
        return (SharedBottleneckStageImpl) g.getLayer(STAGE);
    }

    /** {@code f} with oneDNN on or off (back on afterwards). */
    private static <T> T onOneDnn(boolean on, java.util.function.Supplier<T> f) {
        OneDnn.use(on);
        try {
            return f.get();
        } finally {
            OneDnn.use(true);
        }
    }

    // ---- inference and state ---------------------------------------------------------------------------------

    /**
     * in → layer → MSE loss, trained with SGD at learning rate 0: training passes move the running statistics and
     * leave the weights where they are. (DL4J's {@code NoOp} updater, which the test kit uses, is not that: it
     * applies the raw gradient.)
     */
    private static MultiLayerNetwork frozenWeights(SharedBottleneckStage layer) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(LayerTestKit.SEED)
                .dataType(DataType.DOUBLE)
                .updater(new Sgd(0.0))
                .list()
                .layer(layer)
                .layer(loss())
                .setInputType(InputType.convolutional(HW, HW, C))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** A few training passes on random batches. */
    private static void trainRunningStats(MultiLayerNetwork net, int passes) {
        for (int t = 0; t < passes; t++) {
            INDArray x = input(60 + t, N).muli(1.5).addi(0.2);
            net.fit(x, LayerTestKit.labelsFor(net, x));
        }
    }

    @Test
    void inferenceIsDeterministicAndIndependentOfBatchComposition() {
        MultiLayerNetwork net = frozenWeights(stage(Sharing.STAGE_FIRST_3X3));
        trainRunningStats(net, 3);
        INDArray batch = input(70, 5);
        INDArray out = net.output(batch).dup();
        assertEquals(out, net.output(batch), "inference is deterministic");
        assertTrue(out.get(NDArrayIndex.interval(2, 3)).amaxNumber().doubleValue() > 0.1, "example 2 has output");

        INDArray one = batch.get(NDArrayIndex.interval(2, 3)).dup();
        INDArray alone = net.output(one).dup();
        assertClose(out.get(NDArrayIndex.interval(2, 3)), alone, "example 2 alone vs in its batch");
        INDArray other = input(71, 5);
        other.put(new org.nd4j.linalg.indexing.INDArrayIndex[] {NDArrayIndex.interval(2, 3)}, one);
        assertClose(alone, net.output(other).get(NDArrayIndex.interval(2, 3)), "example 2 in another batch");

        // Training mode normalizes with batch statistics, so there the batch does matter (the test can tell).
        INDArray trainIn = net.feedForwardToLayer(0, batch, true)
                .get(1)
                .get(NDArrayIndex.interval(2, 3))
                .dup();
        INDArray trainOther = net.feedForwardToLayer(0, other, true)
                .get(1)
                .get(NDArrayIndex.interval(2, 3))
                .dup();
        assertTrue(trainIn.sub(trainOther).amaxNumber().doubleValue() > 1e-6, "training output depends on batch");
    }

    /**
     * Running statistics are updated by the training step only: one step with Adam, weight decay and bias L2 leaves
     * them exactly where one step at learning rate 0 does, while the weights move.
     */
    @Test
    void runningStatisticsAreUntouchedByUpdaterAndRegularization() {
        InputType type = InputType.convolutional(HW, HW, C);
        MultiLayerNetwork plain = frozenWeights(stage(Sharing.STAGE_FIRST_3X3));
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(LayerTestKit.SEED)
                .dataType(DataType.DOUBLE)
                .updater(new Adam(0.1))
                .weightDecay(0.5)
                .l2Bias(0.5)
                .list()
                .layer(stage(Sharing.STAGE_FIRST_3X3))
                .layer(loss())
                .setInputType(type)
                .build();
        MultiLayerNetwork decayed = new MultiLayerNetwork(conf);
        decayed.init();
        decayed.setParams(plain.params());
        Map<String, INDArray> before = new java.util.HashMap<>();
        plain.paramTable().forEach((k, v) -> before.put(k, v.dup()));
        INDArray x = input(80, N);
        INDArray labels = LayerTestKit.labelsFor(plain, x);
        plain.fit(x, labels);
        decayed.fit(x, labels);
        Set<String> state = stage(Sharing.STAGE_FIRST_3X3).stateParams();
        int stateCount = 0;
        for (String key : plain.paramTable().keySet()) {
            if (!key.startsWith("0_")) {
                continue;
            }
            String name = key.substring(2);
            if (state.contains(name)) {
                stateCount++;
                assertEquals(
                        plain.getParam(key), decayed.getParam(key), name + " touched by updater or regularization");
                assertNotEquals(before.get(key), plain.getParam(key), name + " was updated by the training step");
            } else {
                assertEquals(before.get(key), plain.getParam(key), name + ": learning rate 0, no change");
                assertNotEquals(plain.getParam(key), decayed.getParam(key), name + ": Adam + decay moved it");
            }
        }
        assertEquals(state.size(), stateCount, "every state parameter was checked");
    }

    /**
     * output(x, true), feedForward(x, true) and score(ds, true) leave every running statistic and the later
     * inference output exactly where they were (both engines); a training step then moves them.
     */
    @ParameterizedTest
    @EnumSource(SharedBottleneckStage.Engine.class)
    void trainingModeInferenceLeavesRunningStatistics(SharedBottleneckStage.Engine engine) {
        MultiLayerNetwork net = frozenWeights(SharedBottleneckStage.builder(C, M, BLOCKS)
                .stride(STRIDE)
                .engine(engine)
                .name(STAGE)
                .build());
        trainRunningStats(net, 1);
        INDArray probe = input(110, N);
        INDArray before = net.output(probe, false).dup();
        INDArray params = net.params().dup();
        INDArray x = input(111, N).muli(2.0).addi(0.5);
        INDArray labels = LayerTestKit.labelsFor(net, x);
        net.output(x, true);
        net.feedForward(x, true);
        net.score(new org.nd4j.linalg.dataset.DataSet(x, labels), true);
        assertEquals(params, net.params(), engine + ": parameters after training-mode inference");
        assertEquals(before, net.output(probe, false), engine + ": inference output after training-mode inference");
        net.fit(x, labels);
        assertNotEquals(params, net.params(), engine + ": the training step moved the running statistics");
    }

    /**
     * After 3 SGD steps every running statistic equals PyTorch's recurrence computed here by hand,
     * {@code r ← (1 − m)·r + m·b} from mean 0 and variance 1, with the batch mean and the unbiased batch variance
     * (divisor n − 1) of each BatchNorm's input: the convolution outputs of the built-in twin (same weights, trained
     * in step), read before each step.
     */
    @ParameterizedTest
    @EnumSource(SharedBottleneckStage.Engine.class)
    void runningStatisticsFollowPyTorchRecurrenceAfterThreeSteps(SharedBottleneckStage.Engine engine) {
        double momentum = 0.1;
        SharedBottleneckStage layer = SharedBottleneckStage.builder(C, M, BLOCKS)
                .stride(STRIDE)
                .sharing(Sharing.NONE)
                .engine(engine)
                .name(STAGE)
                .build();
        ComputationGraph ours = ours(layer, new Sgd(0.05));
        ComputationGraph builtIn = builtIn(new Sgd(0.05), momentum);
        copyInto(ours, builtIn);
        Map<String, double[][]> expected = new java.util.LinkedHashMap<>(); // BN → {mean, var}
        for (int t = 0; t < 3; t++) {
            INDArray x = input(120 + t, N);
            INDArray labels = Nd4j.rand(DataType.DOUBLE, N, 4 * M, OUT_HW, OUT_HW);
            Map<String, INDArray> acts = builtIn.feedForward(x, true);
            for (int i = 0; i <= BLOCKS; i++) {
                for (int c = i == 0 ? 0 : 1; c <= (i == 0 ? 0 : 3); c++) {
                    String bn = ourBn(i, c, "");
                    INDArray z =
                            acts.get(i == 0 ? BuiltInStage.name("", 1, "down") : BuiltInStage.name("", i, "conv" + c));
                    double[][] r = expected.computeIfAbsent(bn, k ->
                            new double[][] {new double[(int) z.size(1)], filled((int) z.size(1), 1.0)});
                    BatchNormTest.pytorchStep(r[0], r[1], z, momentum);
                }
            }
            ours.fit(new INDArray[] {x}, new INDArray[] {labels});
            builtIn.fit(new INDArray[] {x}, new INDArray[] {labels});
        }
        assertEquals(3 * BLOCKS + 1, expected.size(), "every BatchNorm computed");
        for (Map.Entry<String, double[][]> e : expected.entrySet()) {
            assertClose(
                    Nd4j.createFromArray(e.getValue()[0]),
                    ours.getParam(e.getKey() + SharedBottleneckStage.MEAN),
                    engine + " " + e.getKey() + " running mean after 3 steps");
            assertClose(
                    Nd4j.createFromArray(e.getValue()[1]),
                    ours.getParam(e.getKey() + SharedBottleneckStage.VAR),
                    engine + " " + e.getKey() + " running variance after 3 steps (unbiased, PyTorch)");
        }
    }

    private static double[] filled(int n, double v) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    // ---- initialization ------------------------------------------------------------------------------------

    /**
     * torchvision's init at every level: each weight tensor's sample std is √(2/fan_out) of its stored shape
     * (shape[0]·kH·kW) and its mean 0, within 5 standard errors of the sample (std: σ/√(2n), mean: σ/√n); BN γ 1
     * (each block's last 0 with zeroInitLastBnGamma), β 0, running mean 0, variance 1.
     */
    @ParameterizedTest
    @EnumSource(Sharing.class)
    void weightsStartFromHeNormalFanOut(Sharing sharing) {
        for (boolean zero : new boolean[] {false, true}) {
            SharedBottleneckStage layer = SharedBottleneckStage.builder(32, 16, 3)
                    .stride(2)
                    .sharing(sharing)
                    .zeroInitLastBnGamma(zero)
                    .build();
            MultiLayerNetwork net = LayerTestKit.mln(InputType.convolutional(8, 8, 32), DataType.DOUBLE, layer);
            StagePlan plan = layer.plan();
            int checked = 0;
            for (StagePlan.Weight w : plan.weights().values()) {
                INDArray v = net.getParam("0_" + w.name());
                double n = v.length();
                double sigma = HeNormalFanOutInit.std(w.shape());
                double std = v.stdNumber().doubleValue();
                double mean = v.meanNumber().doubleValue();
                assertTrue(
                        Math.abs(std / sigma - 1) < 5 / Math.sqrt(2 * n),
                        sharing + " " + w.name() + " std " + std + " vs sqrt(2/fan_out) " + sigma + " (n " + (long) n
                                + ")");
                assertTrue(Math.abs(mean) < 5 * sigma / Math.sqrt(n), sharing + " " + w.name() + " mean " + mean);
                checked++;
            }
            assertEquals(layer.getLayerParams().getWeightParameterKeys().size(), checked, "every weight checked");
            for (String bn : plan.batchNorms().keySet()) {
                double gamma = zero && plan.lastBatchNorms().contains(bn) ? 0 : 1;
                assertEquals(
                        gamma,
                        net.getParam("0_" + bn + SharedBottleneckStage.GAMMA)
                                .minNumber()
                                .doubleValue());
                assertEquals(
                        gamma,
                        net.getParam("0_" + bn + SharedBottleneckStage.GAMMA)
                                .maxNumber()
                                .doubleValue(),
                        bn + " gamma");
                assertEquals(
                        0.0,
                        net.getParam("0_" + bn + SharedBottleneckStage.BETA)
                                .amaxNumber()
                                .doubleValue());
                assertEquals(
                        0.0,
                        net.getParam("0_" + bn + SharedBottleneckStage.MEAN)
                                .amaxNumber()
                                .doubleValue());
                assertEquals(
                        1.0,
                        net.getParam("0_" + bn + SharedBottleneckStage.VAR)
                                .minNumber()
                                .doubleValue());
            }
        }
    }

    /** The shared W [m, 4m] is read with the fan-out of its untransposed use, the reduce: √(2/m), not √(2/4m). */
    @Test
    void sharedMatrixUsesTheReduceFanOut() {
        StagePlan.Weight w = SharedBottleneckStage.builder(32, 16, 3)
                .build()
                .plan()
                .weights()
                .get(SharedBottleneckStage.SHARED_1X1);
        assertEquals(Math.sqrt(2.0 / 16), HeNormalFanOutInit.std(w.shape()), 1e-15);
        assertEquals("[16, 64]", java.util.Arrays.toString(w.shape()));
    }

    /** weightInit set on the layer uses DL4J's initialization instead (here Xavier: std √(2/(fan_in + fan_out))). */
    @Test
    void layerWeightInitOverridesTorchvisionInit() {
        SharedBottleneckStage layer = SharedBottleneckStage.builder(32, 16, 2)
                .sharing(Sharing.NONE)
                .weightInit(org.deeplearning4j.nn.weights.WeightInit.XAVIER)
                .build();
        assertEquals(SharedBottleneckStage.ConvInit.LAYER_WEIGHT_INIT, layer.getConvInit());
        MultiLayerNetwork net = LayerTestKit.mln(InputType.convolutional(8, 8, 32), DataType.DOUBLE, layer);
        INDArray v = net.getParam("0_" + SharedBottleneckStage.convParam(2, 2)); // [16, 16, 3, 3]
        double xavier = Math.sqrt(2.0 / (16 * 9 + 16 * 9));
        assertTrue(
                Math.abs(v.stdNumber().doubleValue() / xavier - 1) < 5 / Math.sqrt(2 * v.length()),
                "Xavier std " + v.stdNumber() + " vs " + xavier);
        assertTrue(SharedBottleneckStage.builder(C, M, 2).build().describeInit().contains("He normal fan-out"));
    }

    /** After training, ModelSerializer keeps the running statistics: same parameters and inference output. */
    @Test
    void runningStatisticsSurviveModelSerializer() throws Exception {
        MultiLayerNetwork net = frozenWeights(stage(Sharing.TIED));
        trainRunningStats(net, 2);
        String var = "0_" + SharedBottleneckStage.bnParam(1, 1, SharedBottleneckStage.VAR);
        assertNotEquals(Nd4j.ones(DataType.DOUBLE, M), net.getParam(var), "running variance moved");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, bytes, true);
        MultiLayerNetwork back =
                ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes.toByteArray()), true);
        assertEquals(net.getParam(var), back.getParam(var), "running variance after restore");
        INDArray x = input(90, N);
        assertEquals(net.output(x), back.output(x), "inference output after restore");

        ComputationGraph g = ours(stage(Sharing.TIED), new NoOp());
        g.setParams(net.params());
        ByteArrayOutputStream gb = new ByteArrayOutputStream();
        ModelSerializer.writeModel(g, gb, true);
        ComputationGraph gback =
                ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(gb.toByteArray()), true);
        assertEquals(net.getParam(var), gback.getParam(STAGE + "_" + var.substring(2)), "graph: running variance");
        assertClose(net.output(x), gback.outputSingle(x), "graph: inference output after restore");
    }

    // ---- configuration and errors ----------------------------------------------------------------------------

    @Test
    void defaultsAreExplicitAndJsonKeepsEveryOption() {
        SharedBottleneckStage d = SharedBottleneckStage.builder(C, M, 2).build();
        assertEquals(Sharing.STAGE_FIRST_3X3, d.getSharing());
        assertEquals(1, d.getStride());
        assertEquals(0.1, d.getBnMomentum());
        assertEquals(1e-5, d.getBnEps());
        assertEquals(SharedBottleneckStage.Engine.DIRECT, d.getEngine());
        SharedBottleneckStage custom = SharedBottleneckStage.builder(C, M, 2)
                .stride(2)
                .sharing(Sharing.TIED)
                .bnMomentum(0.2)
                .bnEps(1e-3)
                .engine(SharedBottleneckStage.Engine.SAMEDIFF)
                .build();
        LayerTestKit.assertJsonRoundTrip(InputType.convolutional(HW, HW, C), custom);
        MultiLayerConfiguration conf = LayerTestKit.mln(InputType.convolutional(HW, HW, C), DataType.FLOAT, custom)
                .getLayerWiseConfigurations();
        SharedBottleneckStage back = (SharedBottleneckStage)
                MultiLayerConfiguration.fromJson(conf.toJson()).getConf(0).getLayer();
        assertEquals(Sharing.TIED, back.getSharing());
        assertEquals(2, back.getStride());
        assertEquals(0.2, back.getBnMomentum());
        assertEquals(1e-3, back.getBnEps());
        assertEquals(SharedBottleneckStage.Engine.SAMEDIFF, back.getEngine());
        assertNotEquals(d, custom);
    }

    @Test
    void outputTypeMatchesOutputShape() {
        for (int stride : new int[] {1, 2, 3}) {
            SharedBottleneckStage st =
                    SharedBottleneckStage.builder(C, M, 2).stride(stride).build();
            InputType out = st.getOutputType(0, InputType.convolutional(7, 6, C));
            MultiLayerNetwork net = LayerTestKit.mln(InputType.convolutional(7, 6, C), DataType.FLOAT, st);
            INDArray y = net.feedForwardToLayer(0, Nd4j.rand(DataType.FLOAT, 2, C, 7, 6), false)
                    .get(1);
            assertEquals(InputType.convolutional(y.size(2), y.size(3), y.size(1)), out, "stride " + stride);
            assertEquals((7 - 1) / stride + 1, y.size(2), "height at stride " + stride);
        }
    }

    @Test
    void builderRejectsBadValuesWithClearMessages() {
        assertMessage(
                "SharedBottleneckStage: inChannels 0 must be positive",
                () -> SharedBottleneckStage.builder(0, M, 2).build());
        assertMessage(
                "SharedBottleneckStage: midChannels -1 must be positive",
                () -> SharedBottleneckStage.builder(C, -1, 2).build());
        assertMessage(
                "SharedBottleneckStage: numBlocks 0 must be positive",
                () -> SharedBottleneckStage.builder(C, M, 0).build());
        assertMessage(
                "SharedBottleneckStage 's3': stride 0 must be positive",
                () -> SharedBottleneckStage.builder(C, M, 2)
                        .stride(0)
                        .name("s3")
                        .build());
        assertMessage(
                "SharedBottleneckStage: sharing must not be null",
                () -> SharedBottleneckStage.builder(C, M, 2).sharing(null).build());
        assertMessage(
                "SharedBottleneckStage: bnMomentum 0.0 must be in (0, 1]",
                () -> SharedBottleneckStage.builder(C, M, 2).bnMomentum(0).build());
        assertMessage(
                "SharedBottleneckStage: bnMomentum 1.5 must be in (0, 1]",
                () -> SharedBottleneckStage.builder(C, M, 2).bnMomentum(1.5).build());
        assertMessage(
                "SharedBottleneckStage: bnEps 0.0 must be positive and finite",
                () -> SharedBottleneckStage.builder(C, M, 2).bnEps(0).build());
        assertMessage(
                "SharedBottleneckStage: engine must not be null",
                () -> SharedBottleneckStage.builder(C, M, 2).engine(null).build());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> stage(Sharing.NONE).weightUse(4, 1));
        assertEquals(
                "SharedBottleneckStage 'stage': no convolution 1 in block 4 (blocks 1..3, convolutions 1..3)",
                e.getMessage());
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable build) {
        assertEquals(
                expected, assertThrows(IllegalArgumentException.class, build).getMessage());
    }

    @Test
    void wrongConfiguredInputTypeFailsAtBuildTime() {
        Exception e = assertThrows(
                IllegalArgumentException.class,
                () -> LayerTestKit.mln(InputType.convolutional(HW, HW, C + 1), DataType.FLOAT, stage(Sharing.NONE)));
        assertEquals(
                "SharedBottleneckStage 'stage': input has 5 channels but inChannels is 4 (input type "
                        + InputType.convolutional(HW, HW, C + 1) + ")",
                e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> LayerTestKit.mln(InputType.feedForward(C), DataType.FLOAT, stage(Sharing.NONE)));
        assertTrue(
                e.getMessage()
                        .startsWith("SharedBottleneckStage 'stage': expects convolutional input [N, 4, H, W]"
                                + " in NCHW format, got "),
                e.getMessage());
    }

    @Test
    void wrongInputShapeNamesLayerAndBothShapes() {
        MultiLayerNetwork net =
                LayerTestKit.mln(InputType.convolutional(HW, HW, C), DataType.FLOAT, stage(Sharing.STAGE));
        Exception e = assertThrows(Exception.class, () -> net.output(Nd4j.rand(DataType.FLOAT, 2, C + 2, HW, HW)));
        String msg = TiedFeedForwardTest.rootMessage(e);
        assertTrue(
                msg.contains("SharedBottleneckStage 'stage': expected input [N, 4, H, W] (inChannels 4, NCHW), got"
                        + " [2, 6, 5, 5]"),
                msg);
    }

    /** As in PyTorch, training needs more than one value per BatchNorm channel; inference does not. */
    @Test
    void trainingOnOneValuePerChannelFailsClearly() {
        MultiLayerNetwork net =
                LayerTestKit.mln(InputType.convolutional(2, 2, C), DataType.DOUBLE, stage(Sharing.NONE));
        INDArray one = Nd4j.rand(DataType.DOUBLE, 1, C, 2, 2);
        assertEquals(4 * M, net.output(one).size(1), "inference works");
        Exception e = assertThrows(Exception.class, () -> net.fit(one, Nd4j.rand(DataType.DOUBLE, 1, 4 * M, 1, 1)));
        String msg = TiedFeedForwardTest.rootMessage(e);
        assertTrue(
                msg.contains("SharedBottleneckStage 'stage': training needs more than one value per BatchNorm"
                        + " channel, but input [1, 4, 2, 2] gives batch × output height × output width = 1 (stride 2)"),
                msg);
    }

    @Test
    void trainingPrintsNothingToStandardOutput() throws Exception {
        MultiLayerNetwork net =
                LayerTestKit.mln(InputType.convolutional(HW, HW, C), DataType.FLOAT, stage(Sharing.STAGE_FIRST_3X3));
        INDArray x = Nd4j.rand(DataType.FLOAT, N, C, HW, HW);
        INDArray y = LayerTestKit.labelsFor(net, x);
        String out = LayerTestKit.stdoutOf(() -> {
            net.fit(x, y);
            net.fit(x, y);
        });
        assertEquals("", out);
        assertFalse(net.params().isNaN().any());
    }

    /** Equal within 1e-9 relative to the larger of 1 and the expected values' magnitude. */
    static void assertClose(INDArray expected, INDArray actual, String what) {
        assertClose(expected, actual, 1e-9, what);
    }

    /** Equal within {@code tolerance} relative to the larger of 1 and the expected values' magnitude. */
    static void assertClose(INDArray expected, INDArray actual, double tolerance, String what) {
        assertEquals(
                java.util.Arrays.toString(expected.shape()),
                java.util.Arrays.toString(actual.shape()),
                what + " shape");
        double scale = Math.max(1.0, expected.amaxNumber().doubleValue());
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(diff <= tolerance * scale, what + ": max |difference| " + diff + " (scale " + scale + ")");
    }
}
