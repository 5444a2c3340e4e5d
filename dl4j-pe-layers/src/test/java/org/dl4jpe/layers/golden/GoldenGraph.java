package org.dl4jpe.layers.golden;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.dl4jpe.layers.ClassTokenPool;
import org.dl4jpe.layers.LayerNorm;
import org.dl4jpe.layers.PatchEmbedding;
import org.dl4jpe.layers.TiedFeedForward;
import org.dl4jpe.layers.TiedSelfAttention;
import org.dl4jpe.layers.TransformerBlock;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Writes the golden files of {@code GoldenFilesTest}: a small graph with every transformer layer, as DL4J JSON and
 * as a {@code ModelSerializer} zip (with updater state, after two training steps), and an input with the output the
 * saved model gave when it was written. They were written once, by the code of the revision that added them (this
 * main, run with the module's test class path); every later version must read them. Do not regenerate them to make a test pass: a failure means saved
 * models of users no longer load.
 */
public final class GoldenGraph {
    static final String JSON = "pe-layers-graph.json";
    static final String ZIP = "pe-layers-graph.zip";
    static final String IO = "pe-layers-graph-io.txt";
    static final long[] INPUT_SHAPE = {2, 1, 8, 8};

    private GoldenGraph() {}

    static ComputationGraphConfiguration configuration() {
        return new NeuralNetConfiguration.Builder()
                .seed(7)
                .updater(new Adam(1e-2))
                .dataType(DataType.FLOAT)
                .graphBuilder()
                .addInputs("input")
                .setInputTypes(InputType.convolutional(8, 8, 1))
                .addLayer("patch", PatchEmbedding.builder(8, 8, 1, 4, 8).build(), "input")
                .addLayer("block", TransformerBlock.builder(8, 2).build(), "patch")
                .addLayer("norm", LayerNorm.builder(8).build(), "block")
                .addLayer(
                        "attn",
                        TiedSelfAttention.builder(8, 2)
                                .scheme(TiedSelfAttention.Scheme.QK_VO)
                                .build(),
                        "norm")
                .addLayer(
                        "mlp",
                        TiedFeedForward.builder(8).tie(TiedFeedForward.Tie.NONE).build(),
                        "attn")
                .addLayer("pool", ClassTokenPool.builder().build(), "mlp")
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

    /** The golden input: fixed values, no random generator involved. */
    static INDArray input() {
        long n = Arrays.stream(INPUT_SHAPE).reduce(1, (a, b) -> a * b);
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (0.5 + 0.5 * Math.sin(0.37 * i + 0.1));
        }
        return Nd4j.create(v, INPUT_SHAPE, 'c');
    }

    static String format(INDArray a) {
        float[] v = a.dup('c').data().asFloat();
        StringBuilder sb = new StringBuilder();
        for (float f : v) {
            sb.append(sb.length() == 0 ? "" : " ").append(f);
        }
        return sb.toString();
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "dl4j-pe-layers/src/test/resources/golden");
        Files.createDirectories(dir);
        ComputationGraph net = new ComputationGraph(configuration());
        net.init();
        INDArray x = input();
        INDArray y = Nd4j.zeros(DataType.FLOAT, 2, 3);
        y.putScalar(0, 1, 1);
        y.putScalar(1, 2, 1);
        for (int i = 0; i < 2; i++) {
            net.fit(new DataSet(x, y));
        }
        Files.writeString(dir.resolve(JSON), net.getConfiguration().toJson(), StandardCharsets.UTF_8);
        ModelSerializer.writeModel(net, new File(dir.toFile(), ZIP), true);
        Files.writeString(dir.resolve(IO), format(net.outputSingle(false, x)) + "\n", StandardCharsets.UTF_8);
    }
}
