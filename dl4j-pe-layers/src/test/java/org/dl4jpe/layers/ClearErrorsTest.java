package org.dl4jpe.layers;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Bad input and hand-edited configurations give an error that names the layer, the shapes or the field and what is
 * valid, not a native op failure ("Op with name add_3 ... execution failed").
 */
@ExtendWith(SingleThreadedNd4j.class)
class ClearErrorsTest {
    private static final int D = 16;

    private static ComputationGraphConfiguration graphConf(org.deeplearning4j.nn.conf.layers.Layer layer) {
        return new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .seed(1)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.recurrent(D))
                .addLayer("attn", layer, "in")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "attn")
                .addLayer(
                        "out",
                        new OutputLayer.Builder(LossFunction.MCXENT)
                                .nOut(3)
                                .activation(Activation.SOFTMAX)
                                .build(),
                        "pool")
                .setOutputs("out")
                .build();
    }

    private static ComputationGraph graph(org.deeplearning4j.nn.conf.layers.Layer layer) {
        ComputationGraph net = new ComputationGraph(graphConf(layer));
        net.init();
        return net;
    }

    private static String root(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append(" | ");
        }
        return all.toString();
    }

    @Test
    void aMaskOfTheWrongShapeNamesTheLayerBothShapesAndTheValidOne() {
        for (org.deeplearning4j.nn.conf.layers.Layer layer : new org.deeplearning4j.nn.conf.layers.Layer[] {
            TiedSelfAttention.builder(D, 2).build(),
            TransformerBlock.builder(D, 2).build()
        }) {
            ComputationGraph net = graph(layer);
            INDArray x = Nd4j.rand(DataType.DOUBLE, 2, D, 5);
            INDArray mask = Nd4j.ones(DataType.DOUBLE, 2, 7);
            Exception e =
                    assertThrows(Exception.class, () -> net.output(false, new INDArray[] {x}, new INDArray[] {mask}));
            String m = root(e);
            assertTrue(
                    m.contains("'attn'")
                            && m.contains("mask [2, 7]")
                            && m.contains("input [2, 16, 5]")
                            && m.contains("[N, T] = [2, 5]"),
                    m);
        }
    }

    @Test
    void anInputWithNoExamplesSaysSo() {
        ComputationGraph net = graph(TransformerBlock.builder(D, 2).build());
        Exception e = assertThrows(Exception.class, () -> net.outputSingle(Nd4j.rand(DataType.DOUBLE, 0, D, 5)));
        String m = root(e);
        assertTrue(m.contains("TransformerBlock 'attn'") && m.contains("[0, 16, 5]") && m.contains("no examples"), m);

        MultiLayerNetwork mln = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .list()
                .layer(LayerNorm.builder(D).build())
                .layer(TiedSelfAttention.builder(D, 2).build())
                .setInputType(InputType.recurrent(D))
                .build());
        mln.init();
        e = assertThrows(Exception.class, () -> mln.output(Nd4j.rand(DataType.DOUBLE, 0, D, 3)));
        m = root(e);
        // depending on its workspace state, DL4J's MultiLayerNetwork refuses an empty batch itself first
        assertTrue(
                m.contains("[0, 16, 3]")
                        && (m.contains("LayerNorm") && m.contains("no examples")
                                || m.contains("Invalid input: length 0")),
                m);
    }

    @Test
    void aHandEditedJsonConfigurationIsCheckedAtInit() {
        String json = graphConf(TiedSelfAttention.builder(D, 4).build()).toJson();
        String edited = json.replaceFirst("\"numHeads\" : 4", "\"numHeads\" : 3");
        assertTrue(!edited.equals(json), "the test's edit did not apply");
        ComputationGraph net = new ComputationGraph(ComputationGraphConfiguration.fromJson(edited));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, net::init);
        assertTrue(
                e.getMessage().contains("TiedSelfAttention 'attn'")
                        && e.getMessage().contains("numHeads 3 does not divide embedDim 16"),
                e.getMessage());

        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .list()
                .layer(TransformerBlock.builder(D, 2).name("block").build())
                .setInputType(InputType.recurrent(D))
                .build();
        String mlnJson = conf.toJson().replaceFirst("\"attnDropout\" : 0.0", "\"attnDropout\" : 1.5");
        assertTrue(!mlnJson.equals(conf.toJson()), "the test's edit did not apply");
        MultiLayerNetwork mln = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(mlnJson));
        e = assertThrows(IllegalArgumentException.class, mln::init);
        assertTrue(
                e.getMessage().contains("TransformerBlock 'block'")
                        && e.getMessage().contains("attnDropout 1.5 must be in [0, 1)"),
                e.getMessage());
    }
}
