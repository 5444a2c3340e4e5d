package org.dl4jpe.layers;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.samediff.AbstractSameDiffLayer;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * Makes every layer of a configuration apply each kind of regularization once: the fix for DL4J 1.0.0-M2.1
 * listing a global {@code weightDecay} twice on its built-in layers.
 *
 * <p><b>The defect.</b> {@code NeuralNetConfiguration.Builder.configureLayer} first copies the builder's
 * regularization list into a built-in layer ({@code copyConfigToLayer}: the layer's list is empty, so it gets a copy
 * of the global one), then calls {@code LayerValidation.generalValidation}, whose {@code configureBaseLayer} merges
 * the global list into the layer's list once more. The merge skips an {@code L1Regularization} or
 * {@code L2Regularization} the layer already has, but appends everything else, so a global
 * {@code .weightDecay(0.05)} ends up as {@code [WeightDecay(0.05), WeightDecay(0.05)]} on every {@code DenseLayer},
 * {@code OutputLayer}, {@code ConvolutionLayer}, ... and decays their weights at an effective 0.1 (likewise
 * {@code weightDecayBias} on their biases). {@code l1}/{@code l2} come out once. SameDiff layers (every layer of
 * this library) take the global list through {@code applyGlobalConfigToLayer} and get it once. The same merge
 * means a layer's own {@code .weightDecay(x)} does not replace a global one but adds to it.
 *
 * <p><b>The fix.</b> {@link #dedupe(ComputationGraphConfiguration)} (and the overloads) keep, in each layer's weight
 * and bias lists, the first regularization of each class: for the doubled list that is one {@code WeightDecay};
 * where a layer set its own value, the layer's own comes first and wins, as DL4J already does for L1 and L2.
 * Idempotent; it returns its argument, changed in place. Call it on the built configuration, before creating the
 * network, or on a network restored from a file saved before the fix ({@code dedupe(net)}; the updater reads the
 * lists at every step).
 */
public final class Regularizations {
    private Regularizations() {}

    /** Dedupes every layer vertex of {@code conf}; returns {@code conf}. */
    public static ComputationGraphConfiguration dedupe(ComputationGraphConfiguration conf) {
        for (GraphVertex v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv && lv.getLayerConf() != null) {
                dedupe(lv.getLayerConf().getLayer());
            }
        }
        return conf;
    }

    /** Dedupes every layer of {@code conf}; returns {@code conf}. */
    public static MultiLayerConfiguration dedupe(MultiLayerConfiguration conf) {
        for (NeuralNetConfiguration c : conf.getConfs()) {
            dedupe(c.getLayer());
        }
        return conf;
    }

    /** Dedupes the configuration of an existing network and of each of its layers; returns {@code net}. */
    public static ComputationGraph dedupe(ComputationGraph net) {
        dedupe(net.getConfiguration());
        for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
            dedupe(l.conf().getLayer());
        }
        return net;
    }

    /** Dedupes the configuration of an existing network and of each of its layers; returns {@code net}. */
    public static MultiLayerNetwork dedupe(MultiLayerNetwork net) {
        dedupe(net.getLayerWiseConfigurations());
        for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
            dedupe(l.conf().getLayer());
        }
        return net;
    }

    /** Dedupes one layer configuration (and the layers it wraps); returns {@code layer}. */
    public static Layer dedupe(Layer layer) {
        if (layer instanceof BaseLayer b) {
            b.setRegularization(onePerKind(b.getRegularization()));
            b.setRegularizationBias(onePerKind(b.getRegularizationBias()));
        } else if (layer instanceof AbstractSameDiffLayer s) {
            s.setRegularization(onePerKind(s.getRegularization()));
            s.setRegularizationBias(onePerKind(s.getRegularizationBias()));
        }
        if (layer instanceof FrozenLayer f) {
            dedupe(f.getLayer());
        } else if (layer instanceof FrozenLayerWithBackprop f) {
            dedupe(f.getUnderlying());
        } else if (layer instanceof BaseWrapperLayer w) {
            dedupe(w.getUnderlying());
        } else if (layer instanceof Bidirectional bi) {
            dedupe(bi.getFwd());
            dedupe(bi.getBwd());
        }
        return layer;
    }

    /** The first regularization of each class, in the original order; null stays null. */
    static List<Regularization> onePerKind(List<Regularization> list) {
        if (list == null) {
            return null;
        }
        List<Regularization> out = new ArrayList<>(list.size());
        for (Regularization r : list) {
            boolean seen = false;
            for (Regularization kept : out) {
                if (kept.getClass() == r.getClass()) {
                    seen = true;
                    break;
                }
            }
            if (!seen) {
                out.add(r);
            }
        }
        return out;
    }

    /** How many entries of {@code list} share their class with an earlier entry (0 once deduped). */
    public static int duplicates(List<Regularization> list) {
        return list == null ? 0 : list.size() - onePerKind(list).size();
    }
}
