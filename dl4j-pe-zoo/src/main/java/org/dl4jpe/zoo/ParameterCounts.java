package org.dl4jpe.zoo;

import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.layers.samediff.PeSameDiffLayer;

/**
 * Parameter counts as docs/what-it-computes.md states them: every parameter that training changes through gradients.
 * BatchNorm
 * running mean and variance and the state parameters of our layers ({@link PeSameDiffLayer#stateParams()}) are
 * not counted, although DL4J's {@code numParams()} counts them: {@link #total} gives that number.
 */
public final class ParameterCounts {
    private ParameterCounts() {}

    /** Trainable parameters of a configuration whose nIn values are set (built with input types). */
    public static long trainable(ComputationGraphConfiguration conf) {
        long n = 0;
        for (GraphVertex v : conf.getVertices().values()) {
            n += trainable(v);
        }
        return n;
    }

    public static long trainable(ComputationGraph net) {
        return trainable(net.getConfiguration());
    }

    /** All parameters, as DL4J counts them ({@code numParams()}), without building the graph. */
    public static long total(ComputationGraphConfiguration conf) {
        long n = 0;
        for (GraphVertex v : conf.getVertices().values()) {
            n += v.numParams(true);
        }
        return n;
    }

    /** Trainable parameters of one vertex. */
    public static long trainable(GraphVertex vertex) {
        if (!(vertex instanceof LayerVertex lv)) {
            return vertex.numParams(true);
        }
        Layer layer = lv.getLayerConf().getLayer();
        if (layer instanceof FrozenLayer || layer instanceof FrozenLayerWithBackprop) {
            return 0;
        }
        if (layer instanceof PeSameDiffLayer pe) {
            return pe.numTrainableParams();
        }
        if (layer instanceof BatchNormalization bn) {
            return bn.isLockGammaBeta() ? 0 : 2 * bn.getNOut();
        }
        return layer.initializer().numParams(layer);
    }

    /** Trainable parameters per vertex name, for summaries. */
    public static Map<String, Long> byVertex(ComputationGraphConfiguration conf) {
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
            m.put(e.getKey(), trainable(e.getValue()));
        }
        return m;
    }
}
