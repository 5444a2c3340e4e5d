package org.dl4jpe.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4jpe.layers.samediff.QuietSameDiff;
import org.dl4jpe.layers.testkit.LayerTestKit;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Documents the bug that {@link org.dl4jpe.layers.samediff.PeSameDiffLayer} exists for: a plain DL4J
 * {@code SameDiffLayer} computing {@code x·W + b} returns twice the gradient of a built-in {@code DenseLayer} with
 * the same weights on 1.0.0-M2.1. When this test fails, the DL4J in use has changed that behaviour: read the
 * release notes and decide whether {@code PeSameDiffLayerImpl} is still needed (its own gradients stay exact
 * either way; the guard for that is {@code TiedFeedForwardTest.gradientsEqualBuiltInDenseLayers}).
 */
class Dl4jSameDiffGradientBugTest {

    /** The minimal SameDiff dense layer from DL4J's examples. */
    public static final class PlainSameDiffDense extends SameDiffLayer {
        private int nIn;
        private int nOut;

        private PlainSameDiffDense() {}

        PlainSameDiffDense(int nIn, int nOut) {
            this.nIn = nIn;
            this.nOut = nOut;
        }

        @Override
        public SDVariable defineLayer(SameDiff sd, SDVariable in, Map<String, SDVariable> p, SDVariable mask) {
            return in.mmul(p.get("W")).add(p.get("b"));
        }

        @Override
        public void defineParameters(SDLayerParams params) {
            params.addWeightParam("W", nIn, nOut);
            params.addBiasParam("b", 1, nOut);
        }

        @Override
        public void initializeParameters(Map<String, INDArray> params) {
            params.get("W").assign(Nd4j.randn(DataType.DOUBLE, nIn, nOut));
            params.get("b").assign(0.1);
        }

        @Override
        public org.deeplearning4j.nn.conf.inputs.InputType getOutputType(int i, InputType in) {
            return InputType.feedForward(nOut);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void dl4jSameDiffLayerStillDoublesGradients() {
        Nd4j.getRandom().setSeed(7);
        MultiLayerNetwork sd =
                LayerTestKit.mln(InputType.feedForward(3), DataType.DOUBLE, new PlainSameDiffDense(3, 4));
        MultiLayerNetwork dense = LayerTestKit.mln(
                InputType.feedForward(3),
                DataType.DOUBLE,
                new DenseLayer.Builder().nOut(4).activation(Activation.IDENTITY).build());
        dense.setParam("0_W", sd.getParam("0_W"));
        dense.setParam("0_b", sd.getParam("0_b"));
        dense.setParam("1_W", sd.getParam("1_W"));
        dense.setParam("1_b", sd.getParam("1_b"));
        INDArray x = Nd4j.randn(DataType.DOUBLE, 5, 3);
        INDArray y = Nd4j.randn(DataType.DOUBLE, 5, 3);
        assertEquals(dense.output(x), sd.output(x));
        // DL4J's own runtime prints "Added differentiated op" lines; keep them off standard output.
        Pair<Gradient, INDArray>[] holder = new Pair[1];
        QuietSameDiff.run(() -> holder[0] = sd.calculateGradients(x, y, null, null));
        Pair<Gradient, INDArray> s = holder[0];
        Pair<Gradient, INDArray> d = dense.calculateGradients(x, y, null, null);
        String hint = " (DL4J's SameDiffLayer gradient changed: see this class's Javadoc)";
        assertEquals(
                2.0,
                ratio(s.getFirst().getGradientFor("0_W"), d.getFirst().getGradientFor("0_W")),
                1e-9,
                "dW ratio SameDiffLayer/DenseLayer" + hint);
        assertEquals(2.0, ratio(s.getSecond(), d.getSecond()), 1e-9, "epsilon ratio SameDiffLayer/DenseLayer" + hint);
    }

    private static double ratio(INDArray a, INDArray b) {
        return a.norm2Number().doubleValue() / b.norm2Number().doubleValue();
    }
}
