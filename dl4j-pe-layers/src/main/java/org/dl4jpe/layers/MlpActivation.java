package org.dl4jpe.layers;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** The nonlinearity between the two projections of a {@link TiedFeedForward}. */
public enum MlpActivation {
    /** Exact GELU {@code 0.5·x·(1 + erf(x/√2))}, as PyTorch's {@code nn.GELU()}. The default. */
    GELU,
    /** Tanh approximation {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}, as {@code nn.GELU('tanh')}. */
    GELU_TANH,
    /** {@code max(0, x)}. */
    RELU;

    /**
     * The activation without its constant factor: {@code act(x) = outputScale() · applyUnscaled(x)}. An MLP applies the factor after its output
     * projection, which is linear: there it scales D columns instead of R = r·D, and the exact GELU takes three
     * element-wise passes over the hidden activations instead of five ({@code x · erfc(−x/√2)} is
     * {@code x · (1 + erf(x/√2))} with no separate {@code + 1}).
     */
    SDVariable applyUnscaled(SameDiff sd, SDVariable x) {
        switch (this) {
            case GELU:
                return sd.math.erfc(x.mul(-1.0 / Math.sqrt(2.0))).mul(x);
            case GELU_TANH:
                SDVariable inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2.0 / Math.PI));
                return sd.math.tanh(inner).add(1.0).mul(x);
            case RELU:
                return sd.nn.relu(x, 0.0);
            default:
                throw new AssertionError(this);
        }
    }

    /** The constant factor left out of {@link #applyUnscaled}: 0.5 for both GELUs, 1 for RELU. */
    double outputScale() {
        return this == RELU ? 1.0 : 0.5;
    }
}
