package org.dl4jpe.layers.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The checks every layer passes: JSON round trip to an equal config, output shape, double-precision gradient
 * check, a gradient for every parameter, and a {@code ModelSerializer} round trip with identical output; in
 * {@code MultiLayerNetwork} and in {@code ComputationGraph}. Artifact {@code org.dl4jpe:dl4j-pe-testkit} (test
 * scope): it brings DL4J and JUnit's API with it; the user's build adds a JUnit engine and an ND4J backend.
 *
 * <p>A failed check says which check, which parameter and by how much. The gradient check is the kit's own
 * central-difference check (DL4J's {@code GradientCheckUtil} only returns {@code false}): for every parameter
 * entry, {@code (score(θ+ε) − score(θ−ε)) / 2ε} against the backpropagated gradient.
 *
 * <p>Layers with dropout can be checked: before the backward pass and before every perturbed forward pass the kit
 * seeds ND4J's random generator with the same {@link #SEED}, so every pass draws the same dropout masks and the
 * check differentiates one fixed function of the parameters (the masks are random, but the same each time).
 * That needs the layer to draw its randomness from ND4J's generator in the same order on every pass, as DL4J's
 * dropout and {@code PeSameDiffLayer}'s do; a layer drawing from elsewhere must be checked with its dropout at 0.
 *
 * <p>State parameters (such as BatchNorm running statistics) are those a layer configuration lists in a public
 * {@code Set<String> stateParams()} method, as {@code PeSameDiffLayer} does; they must get no gradient.
 */
public final class LayerTestKit {
    /** A parameter's gradient at or below this fraction of the largest one is round-off (double precision). */
    public static final double ROUND_OFF = 1e-10;

    /** Central-difference step of the gradient check. */
    public static final double EPSILON = 1e-6;
    /** Largest relative error |a − n| / (|a| + |n|) an entry may have... */
    public static final double MAX_RELATIVE_ERROR = 1e-5;
    /** ...unless its absolute error |a − n| is at most this. */
    public static final double MIN_ABSOLUTE_ERROR = 1e-9;

    public static final long SEED = 12345;

    private LayerTestKit() {}

    /** A network: the given layers, then a loss layer that fits their output type (identity + MSE). */
    public static MultiLayerNetwork mln(
            InputType inputType, DataType dataType, org.deeplearning4j.nn.conf.layers.Layer... layers) {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
                .seed(SEED)
                .dataType(dataType)
                .updater(new NoOp())
                .list();
        for (org.deeplearning4j.nn.conf.layers.Layer l : layers) {
            b.layer(l);
        }
        b.layer(lossLayer(outputType(inputType, layers)));
        MultiLayerConfiguration conf = b.setInputType(inputType).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** The same as {@link #mln} as a {@code ComputationGraph} chain ({@code in → l0 → l1 … → out}). */
    public static ComputationGraph graph(
            InputType inputType, DataType dataType, org.deeplearning4j.nn.conf.layers.Layer... layers) {
        ComputationGraphConfiguration.GraphBuilder b = new NeuralNetConfiguration.Builder()
                .seed(SEED)
                .dataType(dataType)
                .updater(new NoOp())
                .graphBuilder()
                .addInputs("in");
        String prev = "in";
        for (int i = 0; i < layers.length; i++) {
            b.addLayer("l" + i, layers[i], prev);
            prev = "l" + i;
        }
        b.addLayer("out", lossLayer(outputType(inputType, layers)), prev)
                .setOutputs("out")
                .setInputTypes(inputType);
        ComputationGraph g = new ComputationGraph(b.build());
        g.init();
        return g;
    }

    static InputType outputType(InputType in, org.deeplearning4j.nn.conf.layers.Layer... layers) {
        InputType t = in;
        for (int i = 0; i < layers.length; i++) {
            org.deeplearning4j.nn.conf.InputPreProcessor p = layers[i].getPreProcessorForInputType(t);
            t = layers[i].getOutputType(i, p == null ? t : p.getOutputType(t));
        }
        return t;
    }

    private static org.deeplearning4j.nn.conf.layers.Layer lossLayer(InputType t) {
        switch (t.getType()) {
            case RNN:
                return new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY)
                        .nOut(3)
                        .build();
            case FF:
                return new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY)
                        .nOut(3)
                        .build();
            case CNN:
                return new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY)
                        .build();
            default:
                throw new IllegalArgumentException("no loss layer for " + t);
        }
    }

    /** Random labels shaped like the network's output for {@code input}. */
    public static INDArray labelsFor(MultiLayerNetwork net, INDArray input) {
        return Nd4j.rand(input.dataType(), net.output(input).shape());
    }

    /** Random labels shaped like the graph's output for {@code input}. */
    public static INDArray labelsFor(ComputationGraph net, INDArray input) {
        return Nd4j.rand(input.dataType(), net.outputSingle(input).shape());
    }

    /** Builds the layer into both network types, serializes the configs to JSON and back: equal configs. */
    public static void assertJsonRoundTrip(InputType inputType, org.deeplearning4j.nn.conf.layers.Layer... layers) {
        MultiLayerConfiguration conf = mln(inputType, DataType.FLOAT, layers).getLayerWiseConfigurations();
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back, "MultiLayerConfiguration JSON round trip");
        for (int i = 0; i < layers.length; i++) {
            assertEquals(conf.getConf(i).getLayer(), back.getConf(i).getLayer(), "layer " + i + " after JSON");
        }
        ComputationGraphConfiguration gc =
                graph(inputType, DataType.FLOAT, layers).getConfiguration();
        ComputationGraphConfiguration gback = ComputationGraphConfiguration.fromJson(gc.toJson());
        assertEquals(gc, gback, "ComputationGraphConfiguration JSON round trip");
    }

    /**
     * Double-precision central-difference check of every parameter gradient (and so of every epsilon), in training
     * mode with dropout masks held fixed (see the class comment). Fails naming every parameter array with a bad
     * entry: how many entries, the worst one with its analytic and numeric value and the relative error.
     */
    public static void assertGradientCheck(MultiLayerNetwork net, INDArray input, INDArray mask) {
        withDoubles(() -> {
            INDArray labels = labelsFor(net, input);
            INDArray lmask = labelMaskFor(mask, labels);
            DataSet ds = new DataSet(input, labels, mask, lmask);
            boolean miniBatch = net.getLayerWiseConfigurations().getConf(0).isMiniBatch();
            check(
                    "MultiLayerNetwork",
                    net.params(),
                    net.paramTable(),
                    miniBatch ? input.size(0) : 1,
                    () -> {
                        net.setInput(input);
                        net.setLabels(labels);
                        net.setLayerMaskArrays(mask, lmask);
                        net.computeGradientAndScore();
                        return net.gradient().gradient();
                    },
                    () -> net.score(ds, true));
            net.clearLayerMaskArrays();
        });
    }

    /** As {@link #assertGradientCheck(MultiLayerNetwork, INDArray, INDArray)} for a graph with one input. */
    public static void assertGradientCheck(ComputationGraph net, INDArray input, INDArray mask) {
        withDoubles(() -> {
            INDArray labels = labelsFor(net, input);
            INDArray lmask = labelMaskFor(mask, labels);
            INDArray[] masks = mask == null ? null : new INDArray[] {mask};
            INDArray[] lmasks = lmask == null ? null : new INDArray[] {lmask};
            MultiDataSet ds = new MultiDataSet(new INDArray[] {input}, new INDArray[] {labels}, masks, lmasks);
            boolean miniBatch = net.getConfiguration().getDefaultConfiguration().isMiniBatch();
            check(
                    "ComputationGraph",
                    net.params(),
                    net.paramTable(),
                    miniBatch ? input.size(0) : 1,
                    () -> {
                        net.setInputs(input);
                        net.setLabels(labels);
                        net.setLayerMaskArrays(masks, lmasks);
                        net.computeGradientAndScore();
                        return net.gradient().gradient();
                    },
                    () -> net.score(ds, true));
            net.clearLayerMaskArrays();
        });
    }

    /**
     * The check itself. {@code params} is the network's flat parameter view, laid out as {@code table} lists the
     * arrays; {@code gradient} runs a training pass and returns the flat gradient; {@code score} a training-mode
     * score. Both run after seeding the generator with {@link #SEED}. With {@code miniBatch(true)} (DL4J's default)
     * DL4J's {@code gradient()} is that of the loss summed over the {@code batch} examples (the updater divides by
     * the batch size) while {@code score} is the mean, so the gradient is divided by {@code batch} here.
     */
    private static void check(
            String network,
            INDArray params,
            Map<String, INDArray> table,
            long batch,
            Supplier<INDArray> gradient,
            DoubleSupplier score) {
        Nd4j.getRandom().setSeed(SEED);
        INDArray analytic = gradient.get().dup().divi(batch);
        List<String> failures = new ArrayList<>();
        long offset = 0;
        int checkedArrays = 0;
        for (Map.Entry<String, INDArray> e : table.entrySet()) {
            long n = e.getValue().length();
            long bad = 0;
            long worst = -1;
            double worstRel = 0;
            double worstA = 0;
            double worstN = 0;
            for (long j = 0; j < n; j++) {
                long i = offset + j;
                double orig = params.getDouble(i);
                params.putScalar(i, orig + EPSILON);
                Nd4j.getRandom().setSeed(SEED);
                double plus = score.getAsDouble();
                params.putScalar(i, orig - EPSILON);
                Nd4j.getRandom().setSeed(SEED);
                double minus = score.getAsDouble();
                params.putScalar(i, orig);
                double num = (plus - minus) / (2 * EPSILON);
                double a = analytic.getDouble(i);
                double abs = Math.abs(a - num);
                double rel = abs == 0 ? 0 : abs / (Math.abs(a) + Math.abs(num));
                if (!(rel <= MAX_RELATIVE_ERROR || abs <= MIN_ABSOLUTE_ERROR)) {
                    bad++;
                    if (worst < 0 || !(rel <= worstRel)) {
                        worst = j;
                        worstRel = rel;
                        worstA = a;
                        worstN = num;
                    }
                }
            }
            if (bad > 0) {
                failures.add(String.format(
                        Locale.ROOT,
                        "  %s %s: %d of %d entries off; worst entry %d: "
                                + "backprop %.6g, numeric %.6g, relative error %.3g (ratio %.4g)",
                        e.getKey(),
                        java.util.Arrays.toString(e.getValue().shape()),
                        bad,
                        n,
                        worst,
                        worstA,
                        worstN,
                        worstRel,
                        worstN == 0 ? Double.NaN : worstA / worstN));
            }
            offset += n;
            checkedArrays++;
        }
        if (offset != params.length()) {
            throw new IllegalStateException("gradient check (" + network + "): the parameter table covers " + offset
                    + " of " + params.length() + " parameters");
        }
        if (!failures.isEmpty()) {
            org.junit.jupiter.api.Assertions.fail(String.format(
                    Locale.ROOT,
                    "gradient check (%s) failed for %d of "
                            + "%d parameter arrays (central differences, epsilon %.1g; an entry passes with relative "
                            + "error <= %.1g or absolute error <= %.1g):%n%s",
                    network,
                    failures.size(),
                    checkedArrays,
                    EPSILON,
                    MAX_RELATIVE_ERROR,
                    MIN_ABSOLUTE_ERROR,
                    String.join(System.lineSeparator(), failures)));
        }
    }

    private static INDArray labelMaskFor(INDArray mask, INDArray labels) {
        return mask != null && labels.rank() == 3 ? mask : null;
    }

    private static void withDoubles(Runnable r) {
        DataType before = Nd4j.dataType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            r.run();
        } finally {
            Nd4j.setDefaultDataTypes(before, before);
        }
    }

    /**
     * Every parameter array of the network gets a gradient that is not all zeros, except the layers' state
     * parameters (such as BatchNorm running statistics), whose gradient must be all zeros.
     */
    public static void assertEveryParamGetsGradient(MultiLayerNetwork net, INDArray input, INDArray mask) {
        assertEveryParamGetsGradient(net, input, mask, Set.of());
    }

    /**
     * As {@link #assertEveryParamGetsGradient(MultiLayerNetwork, INDArray, INDArray)}, where "gets a gradient" means
     * above round-off: its largest entry exceeds {@value #ROUND_OFF} times the largest of any parameter. The
     * parameters named in {@code zeroGradient} (without the layer index) must instead have a gradient of exactly
     * zero up to round-off, for a reason the caller states: the key bias of attention, for example, shifts every
     * score of a query by the same amount, which softmax ignores.
     */
    public static void assertEveryParamGetsGradient(
            MultiLayerNetwork net, INDArray input, INDArray mask, Set<String> zeroGradient) {
        INDArray labels = labelsFor(net, input);
        INDArray labelMask = labelMaskFor(mask, labels);
        // DL4J M2.1's MultiLayerNetwork.calculateGradients hands its features-mask argument to the output layer as
        // the labels mask (and takes the features mask from the network's own mask field): wrong as soon as the
        // output is not a sequence (e.g. after a pooling layer). So: the features mask through setMask, the labels
        // mask in both argument slots.
        net.clearLayerMaskArrays();
        net.setMask(mask);
        Pair<Gradient, INDArray> g;
        try {
            g = net.calculateGradients(input, labels, labelMask, labelMask);
        } finally {
            net.setMask(null);
        }
        Set<String> state = stateParams(net);
        double scale = 0;
        for (String key : net.paramTable().keySet()) {
            INDArray grad = g.getFirst().getGradientFor(key);
            scale = grad == null ? scale : Math.max(scale, grad.amaxNumber().doubleValue());
        }
        assertTrue(scale > 0, "no parameter gets a gradient");
        for (Map.Entry<String, INDArray> e : net.paramTable().entrySet()) {
            INDArray grad = g.getFirst().getGradientFor(e.getKey());
            double max = grad == null ? 0 : grad.amaxNumber().doubleValue();
            String name = e.getKey().substring(e.getKey().indexOf('_') + 1);
            if (state.contains(e.getKey())) {
                assertTrue(max == 0, "state parameter " + e.getKey() + " gets a gradient");
            } else if (zeroGradient.contains(name)) {
                assertTrue(
                        max <= ROUND_OFF * scale,
                        "parameter " + e.getKey() + " should get no gradient but gets " + max
                                + " (largest of any parameter: " + scale + ")");
            } else {
                assertTrue(
                        max > ROUND_OFF * scale,
                        "parameter " + e.getKey() + " gets no gradient above round-off: " + max
                                + " (largest of any parameter: " + scale + ")");
            }
        }
        for (String name : zeroGradient) {
            assertTrue(
                    net.paramTable().keySet().stream().anyMatch(k -> k.endsWith("_" + name)),
                    "no parameter " + name + " in the network");
        }
        assertTrue(g.getSecond().amaxNumber().doubleValue() > 0, "input gets no gradient");
    }

    /**
     * Keys ({@code "layerIndex_name"}) of the state parameters of the network's layers: those a configuration lists
     * in a public {@code Set<String> stateParams()} (as {@code PeSameDiffLayer} does).
     */
    private static Set<String> stateParams(MultiLayerNetwork net) {
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < net.getnLayers(); i++) {
            for (String name :
                    stateParamsOf(net.getLayerWiseConfigurations().getConf(i).getLayer())) {
                keys.add(i + "_" + name);
            }
        }
        return keys;
    }

    @SuppressWarnings("unchecked")
    static Set<String> stateParamsOf(org.deeplearning4j.nn.conf.layers.Layer conf) {
        try {
            java.lang.reflect.Method m = conf.getClass().getMethod("stateParams");
            if (Set.class.isAssignableFrom(m.getReturnType())) {
                return (Set<String>) m.invoke(conf);
            }
        } catch (NoSuchMethodException e) {
            return Set.of();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(conf.getClass().getName() + ".stateParams() failed", e);
        }
        return Set.of();
    }

    /** {@code ModelSerializer} save and restore: same parameters, identical output at inference. */
    public static void assertSerializerRoundTrip(MultiLayerNetwork net, INDArray input, INDArray mask)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, bytes, true);
        MultiLayerNetwork back =
                ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes.toByteArray()), true);
        assertEquals(net.params(), back.params(), "parameters after ModelSerializer round trip");
        net.clearLayerMaskArrays(); // the gradient check leaves its label mask on the output layer
        assertEquals(
                net.output(input, false, mask, null),
                back.output(input, false, mask, null),
                "output after ModelSerializer round trip");
    }

    /** As {@link #assertSerializerRoundTrip(MultiLayerNetwork, INDArray, INDArray)} for a graph. */
    public static void assertSerializerRoundTrip(ComputationGraph net, INDArray input, INDArray mask)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, bytes, true);
        ComputationGraph back =
                ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(bytes.toByteArray()), true);
        assertEquals(net.params(), back.params(), "parameters after ModelSerializer round trip");
        INDArray[] masks = mask == null ? null : new INDArray[] {mask};
        net.clearLayerMaskArrays(); // the gradient check leaves its label mask on the output layer
        assertEquals(
                net.output(false, new INDArray[] {input}, masks)[0],
                back.output(false, new INDArray[] {input}, masks)[0],
                "output after ModelSerializer round trip");
    }

    /**
     * Runs every standard check on one layer: output shape, JSON, gradient check in both network types, a
     * gradient for every parameter, serializer round trip. {@code input} must be double precision.
     */
    public static void assertStandardChecks(
            org.deeplearning4j.nn.conf.layers.Layer layer,
            InputType inputType,
            INDArray input,
            INDArray mask,
            long[] expectedOutputShape)
            throws IOException {
        assertStandardChecks(layer, inputType, input, mask, expectedOutputShape, Set.of());
    }

    /**
     * As {@link #assertStandardChecks(org.deeplearning4j.nn.conf.layers.Layer, InputType, INDArray, INDArray, long[])}
     * with parameters whose gradient is zero by construction (see {@link #assertEveryParamGetsGradient(
     * MultiLayerNetwork, INDArray, INDArray, Set)}).
     */
    public static void assertStandardChecks(
            org.deeplearning4j.nn.conf.layers.Layer layer,
            InputType inputType,
            INDArray input,
            INDArray mask,
            long[] expectedOutputShape,
            Set<String> zeroGradient)
            throws IOException {
        assertJsonRoundTrip(inputType, layer);
        MultiLayerNetwork net = mln(inputType, DataType.DOUBLE, layer.clone());
        net.setLayerMaskArrays(mask, null);
        INDArray out = net.feedForwardToLayer(0, input, false).get(1);
        net.clearLayerMaskArrays();
        assertArrayEquals(expectedOutputShape, out.shape(), "output shape");
        assertGradientCheck(net, input, mask);
        assertEveryParamGetsGradient(net, input, mask, zeroGradient);
        assertSerializerRoundTrip(net, input, mask);
        ComputationGraph g = graph(inputType, DataType.DOUBLE, layer.clone());
        assertGradientCheck(g, input, mask);
        assertSerializerRoundTrip(g, input, mask);
    }

    private static void assertArrayEquals(long[] expected, long[] actual, String what) {
        assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(actual), what);
    }

    /** Runs {@code action} and returns what it printed to standard output. */
    public static String stdoutOf(ThrowingRunnable action) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    /** A block of test code that may throw. */
    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }
}
