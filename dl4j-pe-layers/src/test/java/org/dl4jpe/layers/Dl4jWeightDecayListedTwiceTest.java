package org.dl4jpe.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The canary for DL4J 1.0.0-M2.1 listing a global {@code weightDecay} twice on its built-in layers (a plain DL4J
 * graph, no layer of ours), and the checks of {@link Regularizations#dedupe}. When
 * {@link #plainDl4jListsAGlobalWeightDecayTwice} fails, the DL4J in use no longer doubles it:
 * {@code Regularizations.dedupe} is then a no-op and the README's note on it can go.
 */
class Dl4jWeightDecayListedTwiceTest {

    private static ComputationGraphConfiguration graph(NeuralNetConfiguration.Builder b) {
        return b.graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(4))
                .addLayer("dense", new DenseLayer.Builder().nOut(3).build(), "in")
                .addLayer(
                        "out",
                        new OutputLayer.Builder(LossFunction.MCXENT)
                                .nOut(2)
                                .activation(Activation.SOFTMAX)
                                .build(),
                        "dense")
                .setOutputs("out")
                .build();
    }

    private static MultiLayerConfiguration list(NeuralNetConfiguration.Builder b) {
        return b.list()
                .layer(new DenseLayer.Builder().nOut(3).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT)
                        .nOut(2)
                        .activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.feedForward(4))
                .build();
    }

    private static BaseLayer layer(ComputationGraphConfiguration c, String name) {
        return (BaseLayer)
                ((LayerVertex) c.getVertices().get(name)).getLayerConf().getLayer();
    }

    private static long count(List<Regularization> l, Class<?> kind) {
        return l.stream().filter(kind::isInstance).count();
    }

    @Test
    void plainDl4jListsAGlobalWeightDecayTwice() {
        ComputationGraphConfiguration c = graph(new NeuralNetConfiguration.Builder()
                .updater(new Adam(1e-3))
                .weightDecay(0.05)
                .weightDecayBias(0.01));
        for (String name : new String[] {"dense", "out"}) {
            assertEquals(
                    2,
                    count(layer(c, name).getRegularization(), WeightDecay.class),
                    "DL4J no longer lists a global weightDecay twice on " + name + ": "
                            + layer(c, name).getRegularization() + "; Regularizations.dedupe is now a no-op");
            assertEquals(
                    2,
                    count(layer(c, name).getRegularizationBias(), WeightDecay.class),
                    "weightDecayBias on " + name + ": " + layer(c, name).getRegularizationBias());
        }
        MultiLayerConfiguration m = list(new NeuralNetConfiguration.Builder().weightDecay(0.05));
        assertEquals(2, count(((BaseLayer) m.getConf(0).getLayer()).getRegularization(), WeightDecay.class));
        // l2 (and l1) come out once: DL4J's merge skips an L2 the layer already has
        ComputationGraphConfiguration l2 =
                graph(new NeuralNetConfiguration.Builder().l2(0.05).l2Bias(0.01));
        assertEquals(1, count(layer(l2, "dense").getRegularization(), L2Regularization.class));
        assertEquals(1, count(layer(l2, "dense").getRegularizationBias(), L2Regularization.class));
    }

    @Test
    void dedupeLeavesOneOfEachKindAndIsIdempotent() {
        ComputationGraphConfiguration c = graph(new NeuralNetConfiguration.Builder()
                .updater(new Adam(1e-3))
                .weightDecay(0.05)
                .weightDecayBias(0.01));
        assertSame(c, Regularizations.dedupe(c));
        for (String name : new String[] {"dense", "out"}) {
            assertEquals(List.of(new WeightDecay(0.05, true)), layer(c, name).getRegularization());
            assertEquals(List.of(new WeightDecay(0.01, true)), layer(c, name).getRegularizationBias());
        }
        String once = c.toJson();
        Regularizations.dedupe(c);
        assertEquals(once, c.toJson(), "dedupe is idempotent");
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(once);
        assertEquals(1, layer(back, "dense").getRegularization().size(), "a deduped config stays so through JSON");

        MultiLayerConfiguration m =
                Regularizations.dedupe(list(new NeuralNetConfiguration.Builder().weightDecay(0.05)));
        assertEquals(
                List.of(new WeightDecay(0.05, true)), ((BaseLayer) m.getConf(1).getLayer()).getRegularization());
    }

    @Test
    void aLayersOwnWeightDecayWinsOverTheGlobalOne() {
        ComputationGraphConfiguration c = new NeuralNetConfiguration.Builder()
                .weightDecay(0.05)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(4))
                .addLayer(
                        "out",
                        new OutputLayer.Builder(LossFunction.MCXENT)
                                .nOut(2)
                                .weightDecay(0.2)
                                .activation(Activation.SOFTMAX)
                                .build(),
                        "in")
                .setOutputs("out")
                .build();
        assertEquals(
                2,
                layer(c, "out").getRegularization().size(),
                "DL4J adds the global one to the layer's own: "
                        + layer(c, "out").getRegularization());
        Regularizations.dedupe(c);
        assertEquals(List.of(new WeightDecay(0.2, true)), layer(c, "out").getRegularization());
    }

    @Test
    void dedupeOfANetworkChangesWhatItsUpdaterApplies() {
        ComputationGraph net = new ComputationGraph(graph(new NeuralNetConfiguration.Builder().weightDecay(0.05)));
        net.init();
        assertEquals(
                2,
                net.getLayer("out")
                        .conf()
                        .getLayer()
                        .getRegularizationByParam("W")
                        .size());
        Regularizations.dedupe(net);
        assertEquals(
                1,
                net.getLayer("out")
                        .conf()
                        .getLayer()
                        .getRegularizationByParam("W")
                        .size());
        assertEquals(
                0,
                Regularizations.duplicates(
                        net.getLayer("dense").conf().getLayer().getRegularizationByParam("W")));
    }
}
