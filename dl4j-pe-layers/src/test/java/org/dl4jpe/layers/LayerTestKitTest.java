package org.dl4jpe.layers;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4jpe.layers.Dl4jSameDiffGradientBugTest.PlainSameDiffDense;
import org.dl4jpe.layers.samediff.QuietSameDiff;
import org.dl4jpe.layers.testkit.LayerTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.opentest4j.AssertionFailedError;

/** The test kit's own checks: what it says when a layer is wrong, and that it can check layers with dropout. */
@ExtendWith(SingleThreadedNd4j.class)
class LayerTestKitTest {

    /** DL4J's plain SameDiffLayer returns twice the gradient on M2.1: a layer that is really broken. */
    @Test
    void aBrokenGradientNamesTheCheckTheParameterAndHowFarOff() {
        Nd4j.getRandom().setSeed(5);
        MultiLayerNetwork net =
                LayerTestKit.mln(InputType.feedForward(3), DataType.DOUBLE, new PlainSameDiffDense(3, 4));
        INDArray x = Nd4j.randn(DataType.DOUBLE, 4, 3);
        AssertionFailedError e = assertThrows(
                AssertionFailedError.class,
                () -> QuietSameDiff.run(() -> LayerTestKit.assertGradientCheck(net, x, null)));
        String m = e.getMessage();
        assertTrue(m.contains("gradient check (MultiLayerNetwork) failed for 2 of 4 parameter arrays"), m);
        assertTrue(m.contains("0_W [3, 4]: 12 of 12 entries off") && m.contains("0_b [1, 4]: 4 of 4 entries off"), m);
        assertTrue(m.contains("relative error 0.333") && m.contains("ratio 2.000"), m); // twice the gradient
        assertFalse(m.contains("1_W"), "the output layer's gradient is right: " + m);
    }

    @Test
    void layersWithDropoutAreCheckedWithTheirMasksHeldFixed() {
        TiedSelfAttention layer = TiedSelfAttention.builder(4, 2)
                .attnDropout(0.3)
                .projDropout(0.2)
                .build();
        MultiLayerNetwork net = LayerTestKit.mln(InputType.recurrent(4, 3), DataType.DOUBLE, layer.clone());
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, 4, 3);
        // dropout is really on in training: two passes with different seeds differ
        Nd4j.getRandom().setSeed(1);
        INDArray a = net.feedForward(x, true).get(1).dup();
        Nd4j.getRandom().setSeed(2);
        INDArray b = net.feedForward(x, true).get(1).dup();
        assertFalse(a.equalsWithEps(b, 1e-12), "dropout did not act");
        LayerTestKit.assertGradientCheck(net, x, null);
        LayerTestKit.assertGradientCheck(
                LayerTestKit.graph(
                        InputType.recurrent(4, 3),
                        DataType.DOUBLE,
                        TiedFeedForward.builder(4).hiddenDim(6).dropout(0.25).build()),
                x,
                null);
    }
}
