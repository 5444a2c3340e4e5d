package org.dl4jpe.layers;

import java.util.Arrays;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.InputTypeUtil;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Input checks whose messages name the layer and both shapes. */
final class Shapes {
    private Shapes() {}

    /** At least one example (an engine may call this without {@code PeSameDiffLayer.validateInput(input, mask)}). */
    static void requireExamples(String layer, INDArray input) {
        if (input.rank() >= 1 && input.size(0) == 0) {
            throw new IllegalArgumentException(layer + ": input " + Arrays.toString(input.shape())
                    + " has no examples (N = 0); give at least one");
        }
    }

    /** Input must be {@code [N, width, T]} or {@code [N, width]}. */
    static void requireFeatures(String layer, INDArray input, long width, String field) {
        requireExamples(layer, input);
        int rank = input.rank();
        if ((rank != 2 && rank != 3) || input.size(1) != width) {
            throw new IllegalArgumentException(layer + ": expected input [N, " + width + ", T] (sequence) or [N, "
                    + width + "] (" + field + " " + width + "), got " + Arrays.toString(input.shape()));
        }
    }

    /** Input must be {@code [N, width, T]}. */
    static void requireSequence(String layer, INDArray input, long width, String field) {
        requireExamples(layer, input);
        if (input.rank() != 3 || input.size(1) != width) {
            throw new IllegalArgumentException(layer + ": expected sequence input [N, " + width + ", T] (" + field + " "
                    + width + "), got " + Arrays.toString(input.shape()));
        }
    }

    /**
     * The preprocessor a sequence layer needs for {@code type}, as DL4J's recurrent layers choose it
     * ({@code InputTypeUtil.getPreprocessorForInputTypeRnnLayers}): {@code FeedForwardToRnnPreProcessor} for
     * feed-forward input (a {@code DenseLayer} on a sequence hands on {@code [N·T, D]} rows; a plain
     * {@code [N, D]} input becomes a sequence of one token), none for a sequence. Images are refused: flattening an
     * image into one token is never attention over patches.
     */
    static InputPreProcessor sequencePreProcessor(String layer, InputType type, long width, String field) {
        if (type instanceof InputType.InputTypeRecurrent) {
            return null;
        }
        requireInputType(layer, type, width, field);
        return InputTypeUtil.getPreprocessorForInputTypeRnnLayers(type, RNNFormat.NCW, layer);
    }

    /** Config-time check: recurrent or feed-forward input of {@code width} features. */
    static void requireInputType(String layer, InputType type, long width, String field) {
        String w = width < 0 ? "D" : Long.toString(width); // width < 0: any width
        long got;
        if (type instanceof InputType.InputTypeRecurrent r) {
            got = r.getSize();
        } else if (type instanceof InputType.InputTypeFeedForward f) {
            got = f.getSize();
        } else if (type instanceof InputType.InputTypeConvolutional
                || type instanceof InputType.InputTypeConvolutionalFlat
                || type instanceof InputType.InputTypeConvolutional3D) {
            throw new IllegalArgumentException(layer + ": expects a sequence [N, " + w + ", T] (or rows [N, "
                    + w + "]), got images " + type + "; to make tokens of an image put a PatchEmbedding before "
                    + "it (InputType.convolutional(H, W, C) -> [N, D, P+1]), or a GlobalPoolingLayer / DenseLayer for "
                    + "one feature vector per image");
        } else {
            throw new IllegalArgumentException(layer + ": expects recurrent input [N, " + w
                    + ", T] or feed-forward input [N, " + w + "], got " + type);
        }
        if (width >= 0 && got != width) {
            throw new IllegalArgumentException(layer + ": input has " + got + " features but " + field + " is "
                    + width + " (input type " + type + "); make the layer before it produce " + width
                    + " (e.g. DenseLayer nOut(" + width + ")) or build this layer with " + field + " " + got);
        }
    }

    /** Config-time check for layers that take sequences only (after {@link #sequencePreProcessor}). */
    static void requireSequenceType(String layer, InputType type, long width, String field) {
        requireInputType(layer, type, width, field);
        if (!(type instanceof InputType.InputTypeRecurrent)) {
            throw new IllegalArgumentException(layer + ": expects recurrent input [N, " + width + ", T], got " + type
                    + " (DL4J adds a FeedForwardToRnnPreProcessor for feed-forward input unless the layer is given "
                    + "another preprocessor)");
        }
    }
}
