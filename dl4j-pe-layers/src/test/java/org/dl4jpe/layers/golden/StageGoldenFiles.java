package org.dl4jpe.layers.golden;

import java.io.File;
import java.io.IOException;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.dl4jpe.layers.SharedBottleneckStage;
import org.dl4jpe.layers.SharedBottleneckStage.Sharing;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Writes the golden files of {@code StageGoldenFileTest}: a small ComputationGraph with two stages (NONE, stride 1;
 * STAGE_FIRST_3X3, stride 2, momentum 0.2, eps 1e-3), trained for two Adam steps so that weights and running
 * statistics are not at their initial values, saved with ModelSerializer (with updater state), together with an
 * input and the graph's inference output on it.
 *
 * <p>The committed files were written by the code of 2026-12-01 (commit 77d603f, before the stage was
 * restructured) and must never be regenerated: they are what a model saved by that version looks like. Run
 * {@code main(dir)} only to make golden files for a new format.
 */
public final class StageGoldenFiles {
    public static final String MODEL = "stage-graph-77d603f.zip";
    public static final String INPUT = "stage-graph-77d603f-input.bin";
    public static final String OUTPUT = "stage-graph-77d603f-output.bin";

    private StageGoldenFiles() {}

    /** The graph as the golden file's code built it (weights from seed 5). */
    public static ComputationGraph graph() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(5)
                .dataType(DataType.DOUBLE)
                .updater(new Adam(1e-2))
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(6, 6, 3))
                .addLayer(
                        "s1",
                        SharedBottleneckStage.builder(3, 2, 2)
                                .sharing(Sharing.NONE)
                                .build(),
                        "in")
                .addLayer(
                        "s2",
                        SharedBottleneckStage.builder(8, 2, 3)
                                .stride(2)
                                .sharing(Sharing.STAGE_FIRST_3X3)
                                .bnMomentum(0.2)
                                .bnEps(1e-3)
                                .build(),
                        "s1")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "s2")
                .addLayer(
                        "out",
                        new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                                .nOut(3)
                                .activation(Activation.SOFTMAX)
                                .build(),
                        "pool")
                .setOutputs("out")
                .build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    public static void main(String[] args) throws IOException {
        File dir = new File(args[0]);
        ComputationGraph g = graph();
        Nd4j.getRandom().setSeed(6);
        for (int step = 0; step < 2; step++) {
            INDArray x = Nd4j.randn(DataType.DOUBLE, 4, 3, 6, 6).muli(1.3).addi(0.4);
            INDArray y = Nd4j.zeros(DataType.DOUBLE, 4, 3);
            for (int i = 0; i < 4; i++) {
                y.putScalar(i, (i + step) % 3, 1.0);
            }
            g.fit(new org.nd4j.linalg.dataset.DataSet(x, y));
        }
        INDArray x = Nd4j.randn(DataType.DOUBLE, 5, 3, 6, 6);
        INDArray out = g.outputSingle(x);
        ModelSerializer.writeModel(g, new File(dir, MODEL), true);
        Nd4j.saveBinary(x, new File(dir, INPUT));
        Nd4j.saveBinary(out, new File(dir, OUTPUT));
        System.out.println(out);
    }
}
