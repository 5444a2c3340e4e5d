package org.dl4jpe.layers.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4jpe.layers.testkit.LayerTestKit;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The README's user-written layer passes the test kit and matches DL4J's DenseLayer exactly, gradients included. */
class MyDenseTest {

    @Test
    void passesTheTestKit() throws Exception {
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 4, 3).addi(0.1);
        LayerTestKit.assertStandardChecks(new MyDense(3, 5, 0.0), InputType.feedForward(3), x, null, new long[] {4, 5});
    }

    @Test
    void equalsBuiltInDenseLayerIncludingGradients() {
        Nd4j.getRandom().setSeed(12);
        MultiLayerNetwork ours = LayerTestKit.mln(InputType.feedForward(3), DataType.DOUBLE, new MyDense(3, 5, 0.0));
        MultiLayerNetwork dense = LayerTestKit.mln(
                InputType.feedForward(3),
                DataType.DOUBLE,
                new DenseLayer.Builder().nOut(5).activation(Activation.RELU).build());
        for (String p : new String[] {"0_W", "0_b", "1_W", "1_b"}) {
            dense.setParam(p, ours.getParam(p));
        }
        INDArray x = Nd4j.randn(DataType.DOUBLE, 6, 3);
        INDArray y = Nd4j.randn(DataType.DOUBLE, 6, 3);
        assertEquals(dense.output(x), ours.output(x));
        Pair<Gradient, INDArray> a = ours.calculateGradients(x, y, null, null);
        Pair<Gradient, INDArray> b = dense.calculateGradients(x, y, null, null);
        assertEquals(b.getFirst().getGradientFor("0_W"), a.getFirst().getGradientFor("0_W"));
        assertEquals(b.getSecond(), a.getSecond());
    }

    @Test
    void dropoutOnlyInTraining() {
        MultiLayerNetwork net = LayerTestKit.mln(InputType.feedForward(3), DataType.FLOAT, new MyDense(3, 50, 0.5));
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3);
        INDArray inference = net.feedForwardToLayer(0, x, false).get(1);
        assertEquals(inference, net.feedForwardToLayer(0, x, false).get(1));
        assertNotEquals(inference, net.feedForwardToLayer(0, x, true).get(1));
    }
}
