package org.dl4jpe.layers;

import java.util.Arrays;
import java.util.Map;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.dl4jpe.layers.samediff.LayerContext;
import org.dl4jpe.layers.samediff.PeSameDiffLayerImpl;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Collapses a token sequence to one vector so a feed-forward head ({@code DenseLayer}, {@code OutputLayer}) can
 * follow: the class token (timm's {@code global_pool='token'}, the ViT/DeiT default) or the mean of the valid tokens.
 * <pre>
 *   CLASS_TOKEN:  y = x[:, :, 0]
 *   MEAN:         y = Σ_t m_t x[:, :, t] / max(1, Σ_t m_t),   m_t = mask_t · [t ≥ numPrefixTokens]
 * </pre>
 *
 * <p>Shapes (N batch, D features, T tokens): input {@code [N, D, T]} (DL4J's recurrent format) with an optional mask
 * {@code [N, T]}; output {@code [N, D]} ({@code InputType.feedForward(D)}). The output carries no mask: the sequence
 * is gone. No parameters.
 *
 * <p>{@link Mode#CLASS_TOKEN} ignores the mask (the class token is always present). {@link Mode#MEAN} averages the
 * tokens the mask marks as present, skipping the first {@code numPrefixTokens} (timm's {@code global_pool='avg'}
 * on a model with a class token is {@code MEAN} with {@code numPrefixTokens(1)}); a sequence with no such token
 * gives zeros.
 *
 * <p>{@link Engine#DIRECT} (the default) computes it in Java on the token rows ({@link ClassTokenPoolImpl});
 * {@link Engine#SAMEDIFF} runs {@link #define}, the reference.
 */
public final class ClassTokenPool extends EngineLayer {
    /** Which summary of the sequence the layer returns. */
    public enum Mode {
        /** Token 0, the class token. The default. */
        CLASS_TOKEN,
        /** The mean over the valid tokens (mask-aware), after the first {@code numPrefixTokens}. */
        MEAN
    }

    private Mode mode = Mode.CLASS_TOKEN;
    private long numPrefixTokens;

    private ClassTokenPool() {
        // JSON
    }

    private ClassTokenPool(Builder b) {
        super(b);
        this.mode = b.mode;
        this.numPrefixTokens = b.numPrefixTokens;
    }

    /** A builder; with no options set, the layer returns the class token. */
    public static Builder builder() {
        return new Builder();
    }

    public Mode getMode() {
        return mode;
    }

    public long getNumPrefixTokens() {
        return numPrefixTokens;
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        // none
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        // none
    }

    @Override
    public SDVariable define(LayerContext ctx, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        if (mode == Mode.CLASS_TOKEN) {
            return input.get(SDIndex.all(), SDIndex.all(), SDIndex.point(0)); // [N, D]
        }
        SameDiff sd = ctx.sd();
        SDVariable m = mask.castTo(ctx.dataType()); // [N, T]
        if (numPrefixTokens > 0) {
            SDVariable position = sd.cumsum(sd.scalarSet(m, 1.0), true, false, 1); // 0, 1, …, T-1 in every row
            m = m.mul(position.gte(numPrefixTokens).castTo(ctx.dataType()));
        }
        SDVariable sum = sd.sum(input.mul(sd.expandDims(m, 1)), 2); // [N, D]
        SDVariable count = sd.scalarMax(sd.sum(m, true, 1), 1.0); // [N, 1]
        return sum.div(count);
    }

    @Override
    protected PeSameDiffLayerImpl directImpl(NeuralNetConfiguration conf, DataType networkDataType) {
        return new ClassTokenPoolImpl(conf, networkDataType);
    }

    /** The sequence is collapsed, so the output has no mask. */
    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(
            INDArray maskArray, MaskState currentMaskState, int minibatchSize) {
        return new Pair<>(null, null);
    }

    @Override
    public void validateInput(INDArray input) {
        if (input.rank() != 3) {
            throw new IllegalArgumentException(
                    describe() + ": expected sequence input [N, D, T], got " + Arrays.toString(input.shape()));
        }
        requireLength(input.size(2), Arrays.toString(input.shape()));
    }

    private void requireLength(long t, String what) {
        long min = mode == Mode.MEAN ? numPrefixTokens + 1 : 1;
        if (t < min) {
            throw new IllegalArgumentException(describe() + ": mode " + mode + " needs at least " + min
                    + " tokens" + (mode == Mode.MEAN ? " (numPrefixTokens " + numPrefixTokens + ")" : "") + ", got "
                    + what);
        }
    }

    @Override
    public void validateConfiguration() {
        String who = describe();
        Check.notNull(who, "mode", mode);
        if (numPrefixTokens < 0) {
            throw new IllegalArgumentException(
                    who + ": numPrefixTokens " + numPrefixTokens + " must be zero or positive");
        }
        if (numPrefixTokens > 0 && mode != Mode.MEAN) {
            throw new IllegalArgumentException(
                    who + ": numPrefixTokens " + numPrefixTokens + " applies only to mode MEAN, not " + mode);
        }
    }

    /**
     * DL4J's recurrent-layer preprocessor for feed-forward input (rows {@code [N·T, D]} from a {@code DenseLayer} on a
     * sequence); images are refused with the fix.
     */
    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        if (inputType instanceof InputType.InputTypeFeedForward f) {
            return Shapes.sequencePreProcessor(describe(), inputType, f.getSize(), "D");
        }
        if (inputType instanceof InputType.InputTypeRecurrent) {
            return null;
        }
        return Shapes.sequencePreProcessor(describe(), inputType, -1, "D");
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        requireSequenceType(inputType);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.feedForward(requireSequenceType(inputType).getSize());
    }

    private InputType.InputTypeRecurrent requireSequenceType(InputType type) {
        if (!(type instanceof InputType.InputTypeRecurrent r)) {
            throw new IllegalArgumentException(describe() + ": expects recurrent input [N, D, T], got " + type);
        }
        if (r.getTimeSeriesLength() > 0) {
            requireLength(r.getTimeSeriesLength(), "input type " + type);
        }
        return r;
    }

    /** Builder: every option has the default given on its method. */
    public static final class Builder extends EngineLayer.Builder<Builder> {
        private Mode mode = Mode.CLASS_TOKEN;
        private long numPrefixTokens;

        private Builder() {}

        /** Default {@link Mode#CLASS_TOKEN}. */
        public Builder mode(Mode mode) {
            this.mode = mode;
            return this;
        }

        /** {@link Mode#MEAN} only: leading tokens left out of the mean (1 skips a class token); default 0. */
        public Builder numPrefixTokens(long numPrefixTokens) {
            this.numPrefixTokens = numPrefixTokens;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public ClassTokenPool build() {
            ClassTokenPool layer = new ClassTokenPool(this);
            layer.validateConfiguration();
            return layer;
        }
    }
}
