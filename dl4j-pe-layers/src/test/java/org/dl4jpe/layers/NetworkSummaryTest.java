package org.dl4jpe.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/** {@link NetworkSummary}: our layers' rows read like DL4J's own; and why DL4J's {@code summary()} cannot. */
@ExtendWith(SingleThreadedNd4j.class)
class NetworkSummaryTest {

    private static ComputationGraph graph() {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .graphBuilder()
                .addInputs("image")
                .setInputTypes(InputType.convolutional(8, 8, 8))
                .addLayer(
                        "stage",
                        SharedBottleneckStage.builder(8, 4, 3).stride(2).build(),
                        "image")
                .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "stage")
                .addLayer("dense", new DenseLayer.Builder().nOut(16).build(), "gap")
                .addLayer("block", TransformerBlock.builder(16, 2).build(), "dense")
                .addLayer(
                        "out",
                        new OutputLayer.Builder(LossFunction.MCXENT)
                                .nOut(3)
                                .activation(Activation.SOFTMAX)
                                .build(),
                        "block")
                .setOutputs("out")
                .build());
        net.init();
        return net;
    }

    private static String row(String table, String start) {
        return Arrays.stream(table.split("\n"))
                .filter(l -> l.startsWith(start))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no row " + start + " in\n" + table));
    }

    @Test
    void ourRowsNameTheLayerItsWidthsItsParametersAndAShortShapeList() {
        ComputationGraph net = graph();
        String s = NetworkSummary.of(net, InputType.convolutional(8, 8, 8));
        String stage = row(s, "stage (SharedBottleneckStage)");
        assertTrue(stage.contains("8,16"), stage); // C in, 4m out
        assertTrue(stage.contains(String.format("%,d", net.getLayer("stage").numParams())), stage);
        assertTrue(stage.contains("more") && stage.length() < 260, stage.length() + ": " + stage);
        assertTrue(stage.contains("[N,8,8,8]") && stage.contains("[N,16,4,4]"), stage);

        String block = row(s, "block (TransformerBlock)");
        assertTrue(
                block.contains("16,16")
                        && block.contains(
                                String.format("%,d", net.getLayer("block").numParams())),
                block);
        assertTrue(row(s, "dense (DenseLayer)").contains("16,16"), s); // DL4J's own rows as DL4J has them
        assertTrue(row(s, "out (OutputLayer)").contains("16,3"), s);
        assertTrue(s.contains(String.format("Total Parameters:  %,d", net.numParams())), s);
        for (String line : s.split("\n")) {
            assertTrue(line.length() < 300, "a row of " + line.length() + " characters: " + line);
        }
    }

    @Test
    void aMultiLayerNetworkToo() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .list()
                .layer(PatchEmbedding.builder(8, 8, 1, 4, 16).build())
                .layer(TransformerBlock.builder(16, 2).build())
                .layer(ClassTokenPool.builder().build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT)
                        .nOut(3)
                        .activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.convolutional(8, 8, 1))
                .build());
        net.init();
        String s = NetworkSummary.of(net, InputType.convolutional(8, 8, 1));
        String patch = row(s, "layer0 (PatchEmbedding)");
        assertTrue(patch.contains("1,16") && patch.contains("[N,16,5]"), patch);
        assertTrue(row(s, "layer1 (TransformerBlock)").contains("16,16"), s);
        assertEquals(6 + 4, s.split("\n").length, s);
    }

    /** Documents what DL4J's own summary shows for our layers (the reason for {@link NetworkSummary}). */
    @Test
    void dl4jsOwnSummaryShowsTheRuntimeClassAndNoWidths() {
        String s = graph().summary();
        String block = row(s, "block (");
        assertTrue(block.contains("-,-") && !block.startsWith("block (TransformerBlock)"), block);
    }
}
