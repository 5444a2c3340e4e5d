package org.dl4jpe.zoo.bench;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.dl4jpe.layers.MatmulFlops;

/**
 * Matrix-product FLOPs of a graph's forward pass per example, layer by layer, counted as {@link MatmulFlops}
 * counts them (2 per multiply-add, products and convolutions only): our layers state their own count, DL4J's
 * convolution, dense and output layers are counted here, every other layer counts 0. A training step is taken as 3×
 * the forward count (the backward pass does two products for each forward one).
 */
public final class ModelFlops {
    private ModelFlops() {}

    /** Forward FLOPs per example of every layer vertex with a non-zero count, in the graph's order. */
    public static Map<String, Double> perLayer(ComputationGraphConfiguration conf, InputType... inputs) {
        Map<String, InputType> types = new HashMap<>(conf.getLayerActivationTypes(inputs));
        List<String> networkInputs = conf.getNetworkInputs();
        for (int i = 0; i < networkInputs.size(); i++) {
            types.put(networkInputs.get(i), inputs[i]);
        }
        Map<String, Double> flops = new LinkedHashMap<>();
        for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
            String name = e.getKey();
            if (!(e.getValue() instanceof LayerVertex lv)) {
                continue;
            }
            InputType in = types.get(conf.getVertexInputs().get(name).get(0));
            if (lv.getPreProcessor() != null) {
                in = lv.getPreProcessor().getOutputType(in);
            }
            double f = layer(lv.getLayerConf().getLayer(), in, types.get(name));
            if (f > 0) {
                flops.put(name, f);
            }
        }
        return flops;
    }

    /** Forward FLOPs per example of the whole graph. */
    public static double forward(ComputationGraphConfiguration conf, InputType... inputs) {
        return perLayer(conf, inputs).values().stream()
                .mapToDouble(Double::doubleValue)
                .sum();
    }

    static double layer(Layer layer, InputType in, InputType out) {
        if (layer instanceof MatmulFlops m) {
            return m.forwardFlops(in);
        }
        if (layer instanceof ConvolutionLayer c && out instanceof InputType.InputTypeConvolutional o) {
            int[] k = c.getKernelSize();
            return 2.0 * o.getHeight() * o.getWidth() * k[0] * k[1] * c.getNIn() * c.getNOut();
        }
        if (layer instanceof DenseLayer || layer instanceof OutputLayer) {
            FeedForwardLayer f = (FeedForwardLayer) layer;
            long positions = in instanceof InputType.InputTypeRecurrent r && r.getTimeSeriesLength() > 0
                    ? r.getTimeSeriesLength()
                    : 1;
            return 2.0 * positions * f.getNIn() * f.getNOut();
        }
        return 0;
    }
}
