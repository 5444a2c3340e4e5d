package org.dl4jpe.layers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.samediff.AbstractSameDiffLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's {@code summary()} table with our layers' rows as DL4J's own layers get them.
 *
 * <p>Why not {@code net.summary()}: DL4J 1.0.0-M2.1's {@code ComputationGraph.summary} and
 * {@code MultiLayerNetwork.summary} take a row's type from the runtime layer's class
 * ({@code layer.getClass().getName()}, so every SameDiff layer shows as {@code PeSameDiffLayerImpl} or its engine's
 * class), its {@code nIn,nOut} only from configurations that extend {@code FeedForwardLayer} (a SameDiff layer
 * cannot; every other layer shows {@code -,-}), and print every parameter's shape
 * ({@code conf().variables()} with {@code paramTable()} shapes; a bottleneck stage has about fifty). None of these
 * can be overridden by a layer without changing what training uses.
 *
 * <p>Here the type is the configuration's class ({@code TransformerBlock}, {@code SharedBottleneckStage}; DL4J's
 * built-in layers keep their usual names), {@code nIn,nOut} of a SameDiff layer are the feature sizes of its input
 * and output types (channels for images, D for sequences), the parameter count is DL4J's {@code numParams()}, and
 * the shapes are listed up to {@value #SHAPES_LISTED} arrays, then counted ({@code … +45 more}).
 */
public final class NetworkSummary {
    /** How many parameter arrays a row lists before it only counts the rest. */
    public static final int SHAPES_LISTED = 4;

    private NetworkSummary() {}

    /** The table of a graph; with the network's input types, also input and output shapes and SameDiff widths. */
    public static String of(ComputationGraph net, InputType... inputTypes) {
        Map<String, InputType> outTypes = inputTypes == null || inputTypes.length == 0
                ? null
                : net.getConfiguration().getLayerActivationTypes(inputTypes);
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {
            "VertexName (VertexType)",
            "nIn,nOut",
            "TotalParams",
            "ParamsShape",
            "Vertex Inputs",
            "InputShape",
            "OutputShape"
        });
        List<String> inputs = net.getConfiguration().getNetworkInputs();
        for (int idx : net.topologicalSortOrder()) {
            GraphVertex v = net.getVertices()[idx];
            String name = v.getVertexName();
            if (v.isInputVertex()) {
                InputType t = outTypes == null ? null : inputTypes[inputs.indexOf(name)];
                rows.add(new String[] {name + " (InputVertex)", "-", "-", "-", "-", "-", shape(t)});
                continue;
            }
            List<String> in = net.getConfiguration().getVertexInputs().get(name);
            InputType inType = outTypes == null || in == null || in.size() != 1 ? null : outTypes.get(in.get(0));
            InputType outType = outTypes == null ? null : outTypes.get(name);
            String type;
            String inOut = "-,-";
            String count = "-";
            String shapes = "-";
            if (v.hasLayer()) {
                Layer layer = v.getLayer();
                org.deeplearning4j.nn.conf.layers.Layer conf = layer.conf().getLayer();
                type = conf.getClass().getSimpleName();
                if (inType != null
                        && net.getConfiguration().getVertices().get(name) instanceof LayerVertex lv
                        && lv.getPreProcessor() != null) {
                    inType = lv.getPreProcessor().getOutputType(inType);
                }
                inOut = inOut(conf, inType, outType);
                count = String.format("%,d", layer.numParams());
                shapes = shapes(layer);
            } else {
                type = v.getClass().getSimpleName();
            }
            rows.add(new String[] {
                name + " (" + type + ")", inOut, count, shapes, String.valueOf(in), shape(inType), shape(outType)
            });
        }
        return table(rows, outTypes != null, net.numParams());
    }

    /** The table of a {@code MultiLayerNetwork}; with its input type, also shapes and SameDiff widths. */
    public static String of(MultiLayerNetwork net, InputType inputType) {
        List<InputType> outTypes =
                inputType == null ? null : net.getLayerWiseConfigurations().getLayerActivationTypes(inputType);
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {
            "LayerName (LayerType)", "nIn,nOut", "TotalParams", "ParamsShape", "InputShape", "OutputShape"
        });
        Layer[] layers = net.getLayers();
        for (int i = 0; i < layers.length; i++) {
            org.deeplearning4j.nn.conf.layers.Layer conf = layers[i].conf().getLayer();
            InputType inType = outTypes == null ? null : i == 0 ? inputType : outTypes.get(i - 1);
            InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(i);
            if (inType != null && pre != null) {
                inType = pre.getOutputType(inType);
            }
            InputType outType = outTypes == null ? null : outTypes.get(i);
            String name = conf.getLayerName() == null ? "layer" + i : conf.getLayerName();
            rows.add(new String[] {
                name + " (" + conf.getClass().getSimpleName() + ")",
                inOut(conf, inType, outType),
                String.format("%,d", layers[i].numParams()),
                shapes(layers[i]),
                shape(inType),
                shape(outType)
            });
        }
        return table(rows, outTypes != null, net.numParams());
    }

    private static String inOut(org.deeplearning4j.nn.conf.layers.Layer conf, InputType in, InputType out) {
        if (conf instanceof FeedForwardLayer f) {
            return f.getNIn() + "," + f.getNOut();
        }
        if (conf instanceof AbstractSameDiffLayer && in != null && out != null) {
            return features(in) + "," + features(out);
        }
        return "-,-";
    }

    /** Channels of an image, D of a sequence or a vector. */
    private static String features(InputType t) {
        if (t instanceof InputType.InputTypeConvolutional c) {
            return Long.toString(c.getChannels());
        } else if (t instanceof InputType.InputTypeRecurrent r) {
            return Long.toString(r.getSize());
        } else if (t instanceof InputType.InputTypeFeedForward f) {
            return Long.toString(f.getSize());
        } else if (t instanceof InputType.InputTypeConvolutionalFlat f) {
            return Long.toString(f.getDepth());
        }
        return "-";
    }

    /** {@code name:{a,b}} for up to {@link #SHAPES_LISTED} arrays, then {@code … +n more}. */
    static String shapes(Layer layer) {
        Map<String, INDArray> table = layer.paramTable();
        if (table == null || table.isEmpty()) {
            return "-";
        }
        List<String> parts = new ArrayList<>();
        int listed = table.size() <= SHAPES_LISTED ? table.size() : SHAPES_LISTED - 1;
        for (Map.Entry<String, INDArray> e : table.entrySet()) {
            if (parts.size() == listed) {
                break;
            }
            parts.add(e.getKey() + ":"
                    + Arrays.stream(e.getValue().shape())
                            .mapToObj(Long::toString)
                            .collect(Collectors.joining(",", "{", "}")));
        }
        String s = String.join(", ", parts);
        return table.size() > listed ? s + ", … +" + (table.size() - listed) + " more" : s;
    }

    private static String shape(InputType t) {
        if (t == null) {
            return "-";
        }
        return Arrays.stream(t.getShape(true))
                .mapToObj(d -> d < 0 ? "N" : Long.toString(d))
                .collect(Collectors.joining(",", "[", "]"));
    }

    private static String table(List<String[]> rows, boolean withShapes, long totalParams) {
        int cols = withShapes ? rows.get(0).length : rows.get(0).length - 2; // the shapes are the last two
        int[] width = new int[cols];
        for (String[] r : rows) {
            for (int c = 0; c < cols; c++) {
                width[c] = Math.max(width[c], r[c].length());
            }
        }
        StringBuilder out = new StringBuilder();
        int total = Arrays.stream(width).sum() + 3 * (cols - 1);
        String rule = "=".repeat(total) + "\n";
        out.append(rule);
        for (int i = 0; i < rows.size(); i++) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < cols; c++) {
                if (c > 0) {
                    line.append("   ");
                }
                line.append(String.format("%-" + width[c] + "s", rows.get(i)[c]));
            }
            out.append(line.toString().stripTrailing()).append('\n');
            if (i == 0) {
                out.append("-".repeat(total)).append('\n');
            }
        }
        out.append("-".repeat(total)).append('\n');
        out.append(String.format("            Total Parameters:  %,d%n", totalParams));
        out.append(rule);
        return out.toString();
    }
}
