package org.dl4jpe.layers;

import org.deeplearning4j.nn.weights.IWeightInit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * torchvision's ResNet initialization of convolutions, {@code kaiming_normal_(w, mode="fan_out",
 * nonlinearity="relu")}: {@code N(0, 2 / fan_out)} with {@code fan_out = shape[0]·kH·kW} of the weight tensor as
 * stored ({@code [out, in, kH, kW]}, or {@code [out, in]} for a 1×1 convolution kept as a matrix).
 *
 * <p>Unlike DL4J's {@code WeightInit.RELU} (He normal with fan-in) and DL4J's fan-out for convolutions (divided by
 * the stride), the fan-out is read from the tensor's shape, as PyTorch does; DL4J's fan arguments are ignored.
 * Values come from ND4J's random generator, so network seeds apply. Serializes to JSON as DL4J's other
 * {@link IWeightInit}s do (class name, no fields).
 */
public final class HeNormalFanOutInit implements IWeightInit {
    private static final long serialVersionUID = 1L;

    /** {@code √(2 / fan_out)} for a weight of this shape. */
    public static double std(long[] shape) {
        if (shape.length < 2) {
            throw new IllegalArgumentException(
                    "HeNormalFanOutInit: a weight has shape [out, in, ...], got " + java.util.Arrays.toString(shape));
        }
        long fanOut = shape[0];
        for (int d = 2; d < shape.length; d++) {
            fanOut *= shape[d];
        }
        return Math.sqrt(2.0 / fanOut);
    }

    @Override
    public INDArray init(double fanIn, double fanOut, long[] shape, char order, INDArray paramView) {
        INDArray values = Nd4j.randn(paramView.dataType(), shape).muli(std(shape));
        paramView.assign(values.reshape(order, paramView.shape()));
        return paramView.reshape(order, shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HeNormalFanOutInit;
    }

    @Override
    public int hashCode() {
        return HeNormalFanOutInit.class.hashCode();
    }

    @Override
    public String toString() {
        return "HeNormalFanOutInit(kaiming_normal_, fan_out, relu)";
    }
}
