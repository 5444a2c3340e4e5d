package org.dl4jpe.layers;

import org.deeplearning4j.nn.conf.inputs.InputType;

/**
 * A layer that states the floating-point work of its forward pass, so that benchmarks can report achieved
 * GFLOP/s against the machine's matrix-multiply rate. Counted are matrix products and convolutions only, 2 FLOPs
 * per multiply-add; normalisation, activations, softmax and additions are left out, as is usual for such
 * rates. Weight sharing changes no count: a tied or shared weight does the same products as separate ones.
 */
public interface MatmulFlops {
    /** Matrix-product FLOPs of the forward pass for one example with input {@code inputType}. */
    double forwardFlops(InputType inputType);

    /** Q, K, V and output projections ({@code 4·T·D²} multiply-adds) and the scores and their use ({@code 2·T²·D}). */
    static double attention(long tokens, long embedDim) {
        double t = tokens;
        double d = embedDim;
        return 2 * (4 * t * d * d + 2 * t * t * d);
    }

    /** The two matrices of a feed-forward block: {@code 2·T·D·R} multiply-adds. */
    static double feedForward(long tokens, long embedDim, long hiddenDim) {
        return 2 * 2.0 * tokens * embedDim * hiddenDim;
    }

    /** A convolution: {@code outH·outW·k²·in·out} multiply-adds. */
    static double convolution(long outHeight, long outWidth, long kernel, long in, long out) {
        return 2.0 * outHeight * outWidth * kernel * kernel * in * out;
    }

    /**
     * Tokens of a sequence input {@code [D, T]} (1 for a feature vector); fails with the layer's name when the
     * length is unknown.
     */
    static long tokens(InputType type, String layer) {
        if (type instanceof InputType.InputTypeRecurrent r && r.getTimeSeriesLength() > 0) {
            return r.getTimeSeriesLength();
        }
        if (type instanceof InputType.InputTypeFeedForward) {
            return 1;
        }
        throw new IllegalArgumentException(
                layer + ": counting FLOPs needs a sequence input of known length, got " + type);
    }
}
