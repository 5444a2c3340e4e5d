package org.dl4jpe.layers;

import java.util.Arrays;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Input checks whose messages name the layer and both shapes. */
final class Shapes {
    private Shapes() {
    }

    /** Input must be {@code [N, width, T]} or {@code [N, width]}. */
    static void requireFeatures(String layer, INDArray input, long width, String field) {
        int rank = input.rank();
        if ((rank != 2 && rank != 3) || input.size(1) != width) {
            throw new IllegalArgumentException(layer + ": expected input [N, " + width + ", T] (sequence) or [N, "
                    + width + "] (" + field + " " + width + "), got " + Arrays.toString(input.shape()));
        }
    }

    /** Input must be {@code [N, width, T]}. */
    static void requireSequence(String layer, INDArray input, long width, String field) {
        if (input.rank() != 3 || input.size(1) != width) {
            throw new IllegalArgumentException(layer + ": expected sequence input [N, " + width + ", T] (" + field
                    + " " + width + "), got " + Arrays.toString(input.shape()));
        }
    }

    /** Config-time check: recurrent or feed-forward input of {@code width} features. */
    static void requireInputType(String layer, InputType type, long width, String field) {
        long got;
        if (type instanceof InputType.InputTypeRecurrent r) {
            got = r.getSize();
        } else if (type instanceof InputType.InputTypeFeedForward f) {
            got = f.getSize();
        } else {
            throw new IllegalArgumentException(layer + ": expects recurrent input [N, " + width
                    + ", T] or feed-forward input [N, " + width + "], got " + type);
        }
        if (got != width) {
            throw new IllegalArgumentException(layer + ": input has " + got + " features but " + field + " is "
                    + width + " (input type " + type + ")");
        }
    }
}
