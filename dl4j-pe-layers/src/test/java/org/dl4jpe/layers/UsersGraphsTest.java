package org.dl4jpe.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Our layers behind DL4J's built-in layers, as DL4J's own recurrent layers go: a {@code DenseLayer} on a sequence
 * hands on {@code [N·T, D]} rows ({@code InputType.feedForward}), and the sequence layers get DL4J's
 * {@code FeedForwardToRnnPreProcessor} automatically, in a {@code ComputationGraph} and in a
 * {@code MultiLayerNetwork}. Inputs that cannot be used fail at build time naming the layer, the input and the fix.
 */
@ExtendWith(SingleThreadedNd4j.class)
class UsersGraphsTest {
    private static final int N = 2;
    private static final int T = 5;
    private static final int D = 16;

    /** The layer(s) under test between the dense layer and the pooling. */
    private static List<Supplier<Layer>> middle(String kind) {
        return switch (kind) {
            case "attention" -> List.of(() -> TiedSelfAttention.builder(D, 2).build());
            case "block" -> List.of(() -> TransformerBlock.builder(D, 2).build());
            case "mlp" ->
                List.of(
                        () -> TiedFeedForward.builder(D).build(),
                        () -> TiedSelfAttention.builder(D, 2).build());
            case "norm" ->
                List.of(
                        () -> LayerNorm.builder(D).build(),
                        () -> TiedSelfAttention.builder(D, 2).build());
            default -> throw new AssertionError(kind);
        };
    }

    private static final String[] KINDS = {"attention", "block", "mlp", "norm"};

    private static ComputationGraph graph(String kind, boolean dense, InputType in) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .seed(7)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(in);
        String prev = "in";
        if (dense) {
            g.addLayer(
                    "dense",
                    new DenseLayer.Builder().nOut(D).activation(Activation.TANH).build(),
                    prev);
            prev = "dense";
        }
        int i = 0;
        for (Supplier<Layer> l : middle(kind)) {
            g.addLayer("m" + i, l.get(), prev);
            prev = "m" + i++;
        }
        g.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), prev)
                .addLayer(
                        "out",
                        new OutputLayer.Builder(LossFunction.MCXENT)
                                .nOut(3)
                                .activation(Activation.SOFTMAX)
                                .build(),
                        "pool")
                .setOutputs("out");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }

    private static MultiLayerNetwork list(String kind) {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .seed(7)
                .list()
                .layer(new DenseLayer.Builder()
                        .nOut(D)
                        .activation(Activation.TANH)
                        .build());
        for (Supplier<Layer> l : middle(kind)) {
            b.layer(l.get());
        }
        MultiLayerConfiguration conf = b.layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT)
                        .nOut(3)
                        .activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.recurrent(8))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static DataSet data() {
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.DOUBLE, N, 8, T);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, N, 3);
        y.putScalar(0, 1, 1.0);
        y.putScalar(1, 2, 1.0);
        return new DataSet(x, y);
    }

    @Test
    void denseBeforeOurSequenceLayersInAGraphGetsDl4jsPreprocessorAndKeepsTheTokens() {
        DataSet ds = data();
        for (String kind : KINDS) {
            ComputationGraph net = graph(kind, true, InputType.recurrent(8));
            INDArray out = net.outputSingle(ds.getFeatures());
            assertArrayEquals(new long[] {N, 3}, out.shape(), kind);

            // the same layers fed the dense output as a sequence by hand: tokens must arrive in their places
            // (DL4J's RnnToFeedForwardPreProcessor lays the rows out time-major: row t·N + n, 'f' order)
            INDArray rows = net.feedForward(ds.getFeatures(), false).get("dense");
            assertArrayEquals(new long[] {N * T, D}, rows.shape(), kind);
            INDArray seq = rows.dup('f').reshape('f', N, T, D).permute(0, 2, 1).dup('c');
            ComputationGraph ref = graph(kind, false, InputType.recurrent(D));
            for (String p : ref.paramTable().keySet()) {
                ref.setParam(p, net.getParam(p));
            }
            INDArray expected = ref.outputSingle(seq);
            assertTrue(expected.equalsWithEps(out, 1e-12), kind + ": " + out + " vs " + expected);

            net.fit(ds); // trains through the preprocessor
            assertTrue(Double.isFinite(net.score()), kind);
        }
    }

    @Test
    void denseBeforeOurSequenceLayersInAMultiLayerNetworkMatchesTheGraph() {
        DataSet ds = data();
        for (String kind : KINDS) {
            MultiLayerNetwork mln = list(kind);
            ComputationGraph cg = graph(kind, true, InputType.recurrent(8));
            mln.setParams(cg.params());
            INDArray out = mln.output(ds.getFeatures());
            assertTrue(cg.outputSingle(ds.getFeatures()).equalsWithEps(out, 1e-12), kind);
            mln.fit(ds);
            assertTrue(Double.isFinite(mln.score()), kind);
        }
    }

    @Test
    void masksSurviveTheDenseLayerAndThePreprocessor() {
        ComputationGraph net = graph("attention", true, InputType.recurrent(8));
        DataSet ds = data();
        INDArray mask = Nd4j.ones(DataType.DOUBLE, N, T);
        mask.putScalar(0, 4, 0.0);
        mask.putScalar(1, 3, 0.0);
        mask.putScalar(1, 4, 0.0);
        INDArray a = net.output(false, new INDArray[] {ds.getFeatures()}, new INDArray[] {mask})[0];
        INDArray changed = ds.getFeatures().dup();
        changed.get(NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.interval(3, 5))
                .assign(9.0);
        changed.get(NDArrayIndex.point(0), NDArrayIndex.all(), NDArrayIndex.point(4))
                .assign(-9.0);
        INDArray b = net.output(false, new INDArray[] {changed}, new INDArray[] {mask})[0];
        assertTrue(a.equalsWithEps(b, 1e-12), "padded tokens leaked: " + a + " vs " + b);
    }

    @Test
    void aFeedForwardInputIsASequenceOfOneToken() {
        ComputationGraph net = graph("block", true, InputType.feedForward(8));
        INDArray out = net.outputSingle(Nd4j.rand(DataType.DOUBLE, N, 8));
        assertArrayEquals(new long[] {N, 3}, out.shape());
    }

    @Test
    void classTokenPoolBehindADenseLayerPoolsTheTokens() {
        DataSet ds = data();
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .seed(7)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.recurrent(8))
                .addLayer(
                        "dense",
                        new DenseLayer.Builder()
                                .nOut(D)
                                .activation(Activation.TANH)
                                .build(),
                        "in")
                .addLayer(
                        "pool",
                        ClassTokenPool.builder().mode(ClassTokenPool.Mode.MEAN).build(),
                        "dense")
                .setOutputs("pool")
                .build());
        net.init();
        INDArray rows = net.feedForward(ds.getFeatures(), false).get("dense");
        INDArray expected = rows.dup('f').reshape('f', N, T, D).mean(1);
        assertTrue(expected.equalsWithEps(net.outputSingle(ds.getFeatures()), 1e-12));
        MultiLayerNetwork mln = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .list()
                .layer(new DenseLayer.Builder().nOut(D).build())
                .layer(ClassTokenPool.builder().build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT)
                        .nOut(3)
                        .activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.recurrent(8))
                .build());
        mln.init();
        assertArrayEquals(new long[] {N, 3}, mln.output(ds.getFeatures()).shape());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new NeuralNetConfiguration.Builder()
                        .graphBuilder()
                        .addInputs("in")
                        .setInputTypes(InputType.convolutional(4, 4, D))
                        .addLayer("pool", ClassTokenPool.builder().build(), "in")
                        .setOutputs("pool")
                        .build());
        assertTrue(
                e.getMessage().contains("ClassTokenPool 'pool'")
                        && e.getMessage().contains("PatchEmbedding")
                        && e.getMessage().contains("[N, D, T]"),
                e.getMessage());
    }

    @Test
    void imagesAreRefusedWithTheLayerTheInputAndTheFix() {
        for (Supplier<Layer> l : List.<Supplier<Layer>>of(
                () -> TiedSelfAttention.builder(D, 2).name("attn").build(),
                () -> TransformerBlock.builder(D, 2).name("attn").build(),
                () -> LayerNorm.builder(D).name("attn").build(),
                () -> TiedFeedForward.builder(D).name("attn").build())) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> new NeuralNetConfiguration.Builder()
                            .graphBuilder()
                            .addInputs("in")
                            .setInputTypes(InputType.convolutional(4, 4, D))
                            .addLayer("attn", l.get(), "in")
                            .setOutputs("attn")
                            .build());
            String m = e.getMessage();
            assertTrue(m.contains("'attn'") && m.contains("InputTypeConvolutional") && m.contains("PatchEmbedding"), m);
        }
    }

    @Test
    void aWidthMismatchBehindADenseLayerNamesBothWidthsAndTheFix() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new NeuralNetConfiguration.Builder()
                        .graphBuilder()
                        .addInputs("in")
                        .setInputTypes(InputType.recurrent(8))
                        .addLayer("dense", new DenseLayer.Builder().nOut(12).build(), "in")
                        .addLayer("attn", TiedSelfAttention.builder(D, 2).build(), "dense")
                        .setOutputs("attn")
                        .build());
        assertTrue(
                e.getMessage().contains("'attn'")
                        && e.getMessage().contains("12")
                        && e.getMessage().contains("embedDim is 16")
                        && e.getMessage().contains("nOut(16)"),
                e.getMessage());
        assertEquals(IllegalArgumentException.class, e.getClass());
    }
}
