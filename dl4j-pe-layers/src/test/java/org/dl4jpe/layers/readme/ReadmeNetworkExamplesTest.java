package org.dl4jpe.layers.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.dl4jpe.layers.ClassTokenPool;
import org.dl4jpe.layers.LayerNorm;
import org.dl4jpe.layers.PatchEmbedding;
import org.dl4jpe.layers.TiedFeedForward;
import org.dl4jpe.layers.TiedSelfAttention;
import org.dl4jpe.layers.TransformerBlock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/** The README's two examples, verbatim between the markers: they build, train (loss falls) and save/restore. */
class ReadmeNetworkExamplesTest {

    @Test
    void computationGraphExample(@TempDir Path dir) throws Exception {
        // README: ComputationGraph
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(42) // the same initial weights on every run
                .updater(new Adam(1e-3))
                .graphBuilder()
                .addInputs("tokens") // [N, 64, T], DL4J's RNN format
                .setInputTypes(InputType.recurrent(64))
                .addLayer("ln1", LayerNorm.builder(64).build(), "tokens")
                .addLayer("attn", TiedSelfAttention.builder(64, 4).build(), "ln1") // scheme QO_KV by default
                .addVertex("res1", new ElementWiseVertex(ElementWiseVertex.Op.Add), "tokens", "attn")
                .addLayer("ln2", LayerNorm.builder(64).build(), "res1")
                .addLayer("mlp", TiedFeedForward.builder(64).build(), "ln2") // y = Wᵀ GELU(W x + b1) + b2
                .addVertex("res2", new ElementWiseVertex(ElementWiseVertex.Op.Add), "res1", "mlp")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "res2")
                .addLayer(
                        "out",
                        new OutputLayer.Builder(LossFunction.MCXENT)
                                .nOut(5)
                                .activation(Activation.SOFTMAX)
                                .build(),
                        "pool")
                .setOutputs("out")
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        // README end

        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.randn(DataType.FLOAT, 8, 64, 12);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 8, 5);
        for (int i = 0; i < 8; i++) {
            y.putScalar(i, i % 5, 1.0);
        }
        DataSet ds = new DataSet(x, y);
        double before = net.score(ds);
        for (int i = 0; i < 30; i++) {
            net.fit(ds);
        }
        assertTrue(net.score(ds) < 0.5 * before, "loss falls from " + before + " to " + net.score(ds));

        File f = dir.resolve("graph.zip").toFile();
        ModelSerializer.writeModel(net, f, true);
        ComputationGraph back = ModelSerializer.restoreComputationGraph(f, true);
        assertEquals(net.outputSingle(x), back.outputSingle(x));
    }

    @Test
    void multiLayerNetworkExample(@TempDir Path dir) throws Exception {
        // README: MultiLayerNetwork
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(42) // the same initial weights on every run
                .updater(new Adam(1e-3))
                .list()
                .layer(PatchEmbedding.builder(28, 28, 1, 4, 64).build()) // [N,1,28,28] → [N,64,50] with class token
                .layer(TransformerBlock.builder(64, 4).build()) // tied attention + tied MLP, pre-norm
                .layer(TransformerBlock.builder(64, 4).build())
                .layer(LayerNorm.builder(64).build())
                .layer(ClassTokenPool.builder().build()) // [N,64,50] → [N,64]
                .layer(new OutputLayer.Builder(LossFunction.MCXENT)
                        .nOut(10)
                        .activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.convolutional(28, 28, 1))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        // README end

        Nd4j.getRandom().setSeed(2);
        INDArray x = Nd4j.rand(DataType.FLOAT, 8, 1, 28, 28);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 8, 10);
        for (int i = 0; i < 8; i++) {
            y.putScalar(i, i, 1.0);
        }
        DataSet ds = new DataSet(x, y);
        double before = net.score(ds);
        for (int i = 0; i < 30; i++) {
            net.fit(ds);
        }
        assertTrue(net.score(ds) < 0.5 * before, "loss falls from " + before + " to " + net.score(ds));

        File f = dir.resolve("mln.zip").toFile();
        ModelSerializer.writeModel(net, f, true);
        MultiLayerNetwork back = ModelSerializer.restoreMultiLayerNetwork(f, true);
        assertEquals(net.output(x), back.output(x));
    }
}
