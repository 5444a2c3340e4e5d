package org.dl4jpe.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.dl4jpe.layers.Regularizations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class CheckpointRegularizationTest {

    @Test
    void aCheckpointSavedWithWeightDecayListedTwiceDecaysOnceAfterLoading(@TempDir Path tmp) throws Exception {
        // a plain DL4J graph, as a checkpoint of a version before the fix was built: DL4J lists the decay twice
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .updater(new Adam(1e-3))
                .weightDecay(0.05)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(4))
                .addLayer("dense", new DenseLayer.Builder().nOut(3).build(), "in")
                .addLayer(
                        "out",
                        new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                                .nOut(2)
                                .activation(Activation.SOFTMAX)
                                .build(),
                        "dense")
                .setOutputs("out")
                .build());
        net.init();
        BaseLayer saved = (BaseLayer) net.getLayer("out").conf().getLayer();
        assertEquals(1, Regularizations.duplicates(saved.getRegularization()), "DL4J M2.1 lists it twice");
        Path file = tmp.resolve("checkpoint-e0001.zip");
        ModelSerializer.writeModel(net, file.toFile(), true);

        ComputationGraph loaded = RunDirectory.load(file);
        for (String layer : new String[] {"dense", "out"}) {
            BaseLayer conf = (BaseLayer) loaded.getLayer(layer).conf().getLayer();
            assertEquals(0, Regularizations.duplicates(conf.getRegularization()), layer);
            assertEquals(1, conf.getRegularization().size(), layer + " keeps its weight decay, once");
        }
    }
}
