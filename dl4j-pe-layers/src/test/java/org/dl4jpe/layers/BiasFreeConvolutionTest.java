package org.dl4jpe.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4jpe.layers.testkit.LayerTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@link BiasFreeConvolution}: the test kit's checks for both engines; the direct engine (both convolution kernels)
 * equals SameDiff's reference and DL4J's own {@code ConvolutionLayer} without bias, in double precision.
 */
class BiasFreeConvolutionTest {
    private static final int N = 2;
    private static final int C = 3;
    private static final int OUT = 4;
    private static final int HW = 7;

    private static MultiLayerNetwork net(org.deeplearning4j.nn.conf.layers.Layer layer) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(LayerTestKit.SEED)
                .dataType(DataType.DOUBLE)
                .updater(new NoOp())
                .list()
                .layer(layer)
                .layer(new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY)
                        .build())
                .setInputType(InputType.convolutional(HW, HW, C))
                .build();
        MultiLayerNetwork n = new MultiLayerNetwork(conf);
        n.init();
        return n;
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void standardChecks(Engine engine) throws Exception {
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.randn(DataType.DOUBLE, N, C, HW, HW);
        LayerTestKit.assertStandardChecks(
                BiasFreeConvolution.builder(3, OUT).stride(2).engine(engine).build(),
                InputType.convolutional(HW, HW, C),
                x,
                null,
                new long[] {N, OUT, 4, 4});
    }

    @ParameterizedTest
    @EnumSource(DirectConv.Kernel.class)
    void directEqualsSameDiffAndDl4jConvolution(DirectConv.Kernel kernel) {
        DirectConv.force(kernel);
        try {
            for (int[] ks : new int[][] {{3, 1}, {7, 2}, {1, 2}}) {
                int k = ks[0];
                int s = ks[1];
                MultiLayerNetwork direct =
                        net(BiasFreeConvolution.builder(k, OUT).stride(s).build());
                MultiLayerNetwork reference = net(BiasFreeConvolution.builder(k, OUT)
                        .stride(s)
                        .engine(Engine.SAMEDIFF)
                        .build());
                MultiLayerNetwork dl4j = net(new ConvolutionLayer.Builder(k, k)
                        .stride(s, s)
                        .padding(k / 2, k / 2)
                        .convolutionMode(ConvolutionMode.Truncate)
                        .nOut(OUT)
                        .hasBias(false)
                        .activation(Activation.IDENTITY)
                        .build());
                reference.setParams(direct.params());
                dl4j.setParams(direct.params());
                Nd4j.getRandom().setSeed(4);
                INDArray x = Nd4j.randn(DataType.DOUBLE, N, C, HW, HW);
                long out = (HW - 1) / s + 1;
                INDArray y = Nd4j.rand(DataType.DOUBLE, N, OUT, out, out);
                String what = k + "x" + k + " stride " + s + " " + kernel;
                Pair<Gradient, INDArray> d = direct.calculateGradients(x, y, null, null);
                for (MultiLayerNetwork other : new MultiLayerNetwork[] {reference, dl4j}) {
                    SharedBottleneckStageTest.assertClose(other.output(x), direct.output(x), what + ": output");
                    Pair<Gradient, INDArray> o = other.calculateGradients(x, y, null, null);
                    SharedBottleneckStageTest.assertClose(
                            o.getFirst().getGradientFor("0_W"),
                            d.getFirst().getGradientFor("0_W"),
                            what + ": weight gradient");
                    SharedBottleneckStageTest.assertClose(o.getSecond(), d.getSecond(), what + ": input gradient");
                }
                assertTrue(d.getSecond().amaxNumber().doubleValue() > 1e-3, "input gradient is not trivially zero");
            }
        } finally {
            DirectConv.force(null);
        }
    }

    @Test
    void weightStartsFromHeNormalFanOut() {
        MultiLayerNetwork n = net(BiasFreeConvolution.builder(7, 64).build());
        double std = n.getParam("0_W").stdNumber().doubleValue();
        assertEquals(Math.sqrt(2.0 / (64 * 49)), std, 0.1 * std);
    }

    @Test
    void builderAndInputErrorsNameTheLayerAndValue() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> BiasFreeConvolution.builder(4, 8).build());
        assertTrue(e.getMessage().contains("kernel 4 must be odd"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> BiasFreeConvolution.builder(3, 8).stride(0).build());
        assertTrue(e.getMessage().contains("stride"), e.getMessage());
        MultiLayerNetwork n = net(BiasFreeConvolution.builder(3, OUT).build());
        e = assertThrows(IllegalArgumentException.class, () -> n.output(Nd4j.rand(DataType.DOUBLE, N, 5, HW, HW)));
        assertTrue(e.getMessage().contains("expected input [N, 3, H, W]"), e.getMessage());
    }
}
