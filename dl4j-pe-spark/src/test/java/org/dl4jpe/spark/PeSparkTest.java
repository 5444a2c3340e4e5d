package org.dl4jpe.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.dl4jpe.layers.ClassTokenPool;
import org.dl4jpe.layers.LayerNorm;
import org.dl4jpe.layers.PatchEmbedding;
import org.dl4jpe.layers.TransformerBlock;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/** The Java API: a user's own network of our layers on Spark in one call; Kryo refused with a reason. */
class PeSparkTest {

    @Test
    void usersOwnNetworkOfOurLayersTrainsOnSpark() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(5)
                .updater(new Adam(1e-3))
                .list()
                .layer(PatchEmbedding.builder(8, 8, 1, 4, 16).build())
                .layer(TransformerBlock.builder(16, 2).build())
                .layer(LayerNorm.builder(16).build())
                .layer(ClassTokenPool.builder().build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT)
                        .nOut(2)
                        .activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.convolutional(8, 8, 1))
                .build();
        // two classes: bright and dark images (far apart: the test is about Spark, not about learning)
        List<DataSet> batches = new ArrayList<>();
        Nd4j.getRandom().setSeed(3);
        for (int b = 0; b < 8; b++) {
            var x = Nd4j.rand(DataType.FLOAT, 8, 1, 8, 8).muli(0.25);
            var y = Nd4j.zeros(DataType.FLOAT, 8, 2);
            for (int i = 0; i < 8; i++) {
                int c = i % 2;
                if (c == 1) {
                    x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).addi(1.0);
                }
                y.putScalar(i, c, 1);
            }
            batches.add(new DataSet(x, y));
        }
        try (SparkRuntime spark = SparkRuntime.start("local[2]", "PeSparkTest", false)) {
            JavaSparkContext sc = spark.context();
            SparkDl4jMultiLayer net = PeSpark.multiLayer(
                    sc,
                    conf,
                    new ParameterAveragingTrainingMaster.Builder(2, 8)
                            .batchSizePerWorker(8)
                            .averagingFrequency(2)
                            .build());
            var rdd = sc.parallelize(batches, 2);
            double before = net.calculateScore(rdd, true);
            for (int e = 0; e < 6; e++) {
                net.fit(rdd);
            }
            double after = net.calculateScore(rdd, true);
            assertTrue(after < before, "loss " + before + " -> " + after);
            assertEquals(conf, net.getNetwork().getLayerWiseConfigurations());
        }
    }

    @Test
    void kryoIsRefusedWithTheReason() {
        var c = PeSpark.conf("local[1]", "kryo").set("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        try (JavaSparkContext sc = new JavaSparkContext(c)) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> PeSpark.computationGraph(
                            sc,
                            org.dl4jpe.zoo.Zoo.create("vit_pe_micro_patch4_28").getConfiguration(),
                            new ParameterAveragingTrainingMaster.Builder(1, 8).build()));
            assertTrue(e.getMessage().contains("Kryo") && e.getMessage().contains("JavaSerializer"), e.getMessage());
        }
    }

    @Test
    void badMastersAreRefusedClearly() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> PeSpark.conf("local-cluster[2]", "x"));
        assertTrue(e.getMessage().contains("local-cluster[executors,cores,MB]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PeSpark.conf(" ", "x"));
        assertTrue(e.getMessage().contains("master is empty; a Spark master is"), e.getMessage());
    }
}
