package org.dl4jpe.layers.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
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
import org.dl4jpe.layers.samediff.PeSameDiffLayer;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The checks every layer passes: JSON round trip to an equal config, output shape, double-precision gradient
 * check, a gradient for every parameter, and a {@code ModelSerializer} round trip with identical output; in
 * {@code MultiLayerNetwork} and in {@code ComputationGraph}. Published as this module's test-jar so that layers
 * written elsewhere can use it.
 */
public final class LayerTestKit {
    /** A parameter's gradient at or below this fraction of the largest one is round-off (double precision). */
    public static final double ROUND_OFF = 1e-10;

    public static final long SEED = 12345;

    private LayerTestKit() {
    }

    /** A network: the given layers, then a loss layer that fits their output type (identity + MSE). */
    public static MultiLayerNetwork mln(InputType inputType, DataType dataType,
                                        org.deeplearning4j.nn.conf.layers.Layer... layers) {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
                .seed(SEED).dataType(dataType).updater(new NoOp()).list();
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
    public static ComputationGraph graph(InputType inputType, DataType dataType,
                                         org.deeplearning4j.nn.conf.layers.Layer... layers) {
        ComputationGraphConfiguration.GraphBuilder b = new NeuralNetConfiguration.Builder()
                .seed(SEED).dataType(dataType).updater(new NoOp()).graphBuilder().addInputs("in");
        String prev = "in";
        for (int i = 0; i < layers.length; i++) {
            b.addLayer("l" + i, layers[i], prev);
            prev = "l" + i;
        }
        b.addLayer("out", lossLayer(outputType(inputType, layers)), prev).setOutputs("out")
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
                return new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                        .nOut(3).build();
            case FF:
                return new OutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                        .nOut(3).build();
            case CNN:
                return new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
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
        ComputationGraphConfiguration gc = graph(inputType, DataType.FLOAT, layers).getConfiguration();
        ComputationGraphConfiguration gback = ComputationGraphConfiguration.fromJson(gc.toJson());
        assertEquals(gc, gback, "ComputationGraphConfiguration JSON round trip");
    }

    /** Double-precision finite-difference check of every parameter gradient (and so of every epsilon). */
    public static void assertGradientCheck(MultiLayerNetwork net, INDArray input, INDArray mask) {
        withDoubles(() -> {
            INDArray labels = labelsFor(net, input);
            boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(input)
                    .labels(labels).inputMask(mask).labelMask(labelMaskFor(mask, labels))
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)
                    .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
            assertTrue(ok, "gradient check (MultiLayerNetwork)");
        });
    }

    /** As {@link #assertGradientCheck(MultiLayerNetwork, INDArray, INDArray)} for a graph with one input. */
    public static void assertGradientCheck(ComputationGraph net, INDArray input, INDArray mask) {
        withDoubles(() -> {
            INDArray labels = labelsFor(net, input);
            INDArray lmask = labelMaskFor(mask, labels);
            boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                    .inputs(new INDArray[] {input}).labels(new INDArray[] {labels})
                    .inputMask(mask == null ? null : new INDArray[] {mask})
                    .labelMask(lmask == null ? null : new INDArray[] {lmask})
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)
                    .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
            assertTrue(ok, "gradient check (ComputationGraph)");
        });
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
     * Every parameter array of the network gets a gradient that is not all zeros, except the state parameters of
     * {@link PeSameDiffLayer}s (such as BatchNorm running statistics), whose gradient must be all zeros.
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
    public static void assertEveryParamGetsGradient(MultiLayerNetwork net, INDArray input, INDArray mask,
                                                    Set<String> zeroGradient) {
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
                assertTrue(max <= ROUND_OFF * scale, "parameter " + e.getKey() + " should get no gradient but gets "
                        + max + " (largest of any parameter: " + scale + ")");
            } else {
                assertTrue(max > ROUND_OFF * scale, "parameter " + e.getKey() + " gets no gradient above round-off: "
                        + max + " (largest of any parameter: " + scale + ")");
            }
        }
        for (String name : zeroGradient) {
            assertTrue(net.paramTable().keySet().stream().anyMatch(k -> k.endsWith("_" + name)),
                    "no parameter " + name + " in the network");
        }
        assertTrue(g.getSecond().amaxNumber().doubleValue() > 0, "input gets no gradient");
    }

    /** Keys ({@code "layerIndex_name"}) of the state parameters of the network's {@link PeSameDiffLayer}s. */
    private static Set<String> stateParams(MultiLayerNetwork net) {
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < net.getnLayers(); i++) {
            org.deeplearning4j.nn.conf.layers.Layer conf = net.getLayerWiseConfigurations().getConf(i).getLayer();
            if (conf instanceof PeSameDiffLayer pe) {
                for (String name : pe.stateParams()) {
                    keys.add(i + "_" + name);
                }
            }
        }
        return keys;
    }

    /** {@code ModelSerializer} save and restore: same parameters, identical output at inference. */
    public static void assertSerializerRoundTrip(MultiLayerNetwork net, INDArray input, INDArray mask)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, bytes, true);
        MultiLayerNetwork back = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes.toByteArray()),
                true);
        assertEquals(net.params(), back.params(), "parameters after ModelSerializer round trip");
        net.clearLayerMaskArrays(); // the gradient check leaves its label mask on the output layer
        assertEquals(net.output(input, false, mask, null), back.output(input, false, mask, null),
                "output after ModelSerializer round trip");
    }

    /** As {@link #assertSerializerRoundTrip(MultiLayerNetwork, INDArray, INDArray)} for a graph. */
    public static void assertSerializerRoundTrip(ComputationGraph net, INDArray input, INDArray mask)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, bytes, true);
        ComputationGraph back = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(bytes.toByteArray()),
                true);
        assertEquals(net.params(), back.params(), "parameters after ModelSerializer round trip");
        INDArray[] masks = mask == null ? null : new INDArray[] {mask};
        net.clearLayerMaskArrays(); // the gradient check leaves its label mask on the output layer
        assertEquals(net.output(false, new INDArray[] {input}, masks)[0],
                back.output(false, new INDArray[] {input}, masks)[0],
                "output after ModelSerializer round trip");
    }

    /**
     * Runs every standard check on one layer: output shape, JSON, gradient check in both network types, a
     * gradient for every parameter, serializer round trip. {@code input} must be double precision.
     */
    public static void assertStandardChecks(org.deeplearning4j.nn.conf.layers.Layer layer, InputType inputType,
                                            INDArray input, INDArray mask, long[] expectedOutputShape)
            throws IOException {
        assertStandardChecks(layer, inputType, input, mask, expectedOutputShape, Set.of());
    }

    /**
     * As {@link #assertStandardChecks(org.deeplearning4j.nn.conf.layers.Layer, InputType, INDArray, INDArray, long[])}
     * with parameters whose gradient is zero by construction (see {@link #assertEveryParamGetsGradient(
     * MultiLayerNetwork, INDArray, INDArray, Set)}).
     */
    public static void assertStandardChecks(org.deeplearning4j.nn.conf.layers.Layer layer, InputType inputType,
                                            INDArray input, INDArray mask, long[] expectedOutputShape,
                                            Set<String> zeroGradient) throws IOException {
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
