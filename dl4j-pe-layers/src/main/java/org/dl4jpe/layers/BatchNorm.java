package org.dl4jpe.layers;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.dl4jpe.layers.samediff.LayerContext;
import org.dl4jpe.layers.samediff.PeSameDiffLayerImpl;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * BatchNorm over the channels of NCHW activations with PyTorch's semantics ({@code nn.BatchNorm2d}), the one
 * BatchNorm of the zoo's ResNets (the stem uses this layer, the stages' BatchNorms are the same).
 *
 * <p>Training normalizes with the batch mean and the biased batch variance over N, H, W; inference with the running
 * statistics. The running statistics change only when a training step is taken, i.e. in the backward pass of
 * DL4J's {@code fit} (as DL4J's own {@code BatchNormalization}): {@code output(x, true)}, {@code feedForward(x,
 * true)}, {@code score(ds, true)}, listeners or MC-dropout style training-mode inference leave them where they are.
 * The update is PyTorch's: {@code running ← (1 − momentum)·running + momentum·batch}, the variance term with the
 * unbiased batch variance {@code n/(n − 1)·var} (n values per channel), momentum 0.1 and eps 1e-5 by default. DL4J's
 * {@code BatchNormalization} (decay = 1 − momentum) averages the biased variance instead. Training needs more than
 * one value per channel.
 *
 * <p>Parameters {@code [C]}: {@link #GAMMA} (starts at 1) and {@link #BETA} (0), trained, bias parameters for
 * regularization (no weight decay unless {@code weightDecayBias}); {@link #MEAN} (0) and {@link #VAR} (1), state:
 * no gradient, no updater, no regularization.
 *
 * <p>{@link Engine#DIRECT} (the default; the builder's {@code engine} option, shared with the other
 * {@link EngineLayer}s) is a hand-written forward and backward pass ({@link DirectBatchNorm});
 * {@link Engine#SAMEDIFF} differentiates {@link #define}, the reference the tests hold it equal to.
 */
public final class BatchNorm extends EngineLayer {
    /** Parameter name suffixes (alone for this layer, after a prefix in {@link SharedBottleneckStage}). */
    public static final String GAMMA = "Gamma";

    public static final String BETA = "Beta";
    public static final String MEAN = "Mean";
    public static final String VAR = "Var";
    /** PyTorch's defaults. */
    public static final double DEFAULT_MOMENTUM = 0.1;

    public static final double DEFAULT_EPS = 1e-5;

    private long channels;
    private double momentum = DEFAULT_MOMENTUM;
    private double eps = DEFAULT_EPS;

    private BatchNorm() {
        // JSON
    }

    private BatchNorm(Builder b) {
        super(b);
        this.channels = b.channels;
        this.momentum = b.momentum;
        this.eps = b.eps;
    }

    /** A builder; the channel count is taken from the input type unless given. */
    public static Builder builder() {
        return new Builder();
    }

    public long getChannels() {
        return channels;
    }

    public double getMomentum() {
        return momentum;
    }

    public double getEps() {
        return eps;
    }

    // ---- shared with the stage's BatchNorms -------------------------------------------------------------------

    /** Declares γ, β, running mean and running variance {@code [width]} of the BatchNorm named by {@code prefix}. */
    static void declare(SDLayerParams params, String prefix, long width) {
        for (String suffix : new String[] {GAMMA, BETA, MEAN, VAR}) {
            params.addBiasParam(prefix + suffix, width);
        }
    }

    /** γ = 1 (0 if {@code zeroGamma}), β = 0, running mean 0, running variance 1. */
    static void initialize(Map<String, INDArray> params, String prefix, boolean zeroGamma) {
        params.get(prefix + GAMMA).assign(zeroGamma ? 0 : 1);
        params.get(prefix + BETA).assign(0);
        params.get(prefix + MEAN).assign(0);
        params.get(prefix + VAR).assign(1);
    }

    static void checkMomentumAndEps(String who, String momentumField, double momentum, String epsField, double eps) {
        if (!(momentum > 0.0 && momentum <= 1.0)) {
            throw new IllegalArgumentException(who + ": " + momentumField + " " + momentum + " must be in (0, 1]");
        }
        Check.positive(who, epsField, eps);
    }

    /** Training needs more than one value per channel (the unbiased variance of one value is undefined). */
    static void checkTrainingValues(String who, INDArray z) {
        long n = z.length() / z.size(1);
        if (n < 2) {
            throw new IllegalArgumentException(who + ": training needs more than one value per BatchNorm channel,"
                    + " but input " + Arrays.toString(z.shape()) + " gives batch × height × width = " + n
                    + "; use a larger batch or image");
        }
    }

    // ---- the layer ---------------------------------------------------------------------------------------------

    @Override
    protected PeSameDiffLayerImpl newImpl(NeuralNetConfiguration conf, DataType networkDataType) {
        return new BatchNormImpl(conf, networkDataType); // runs either engine
    }

    @Override
    public Set<String> stateParams() {
        return Set.of(MEAN, VAR);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        declare(params, "", channels);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        initialize(params, "", false);
    }

    @Override
    public SDVariable define(LayerContext ctx, SDVariable input, Map<String, SDVariable> p, SDVariable mask) {
        return new SameDiffBatchNorm(ctx, p, momentum, eps).apply(input, "", channels, "input");
    }

    @Override
    public void validateInput(INDArray input) {
        if (input.rank() != 4 || input.size(1) != channels) {
            throw new IllegalArgumentException(describe() + ": expected input [N, " + channels + ", H, W] (NCHW), got "
                    + Arrays.toString(input.shape()));
        }
    }

    void validateTrainingInput(INDArray input) {
        checkTrainingValues(describe(), input);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        InputType.InputTypeConvolutional c = requireInputType(inputType);
        if (channels <= 0 || override) {
            channels = c.getChannels();
        }
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        requireInputType(inputType);
        return inputType;
    }

    private InputType.InputTypeConvolutional requireInputType(InputType type) {
        if (!(type instanceof InputType.InputTypeConvolutional c) || c.getFormat() != CNN2DFormat.NCHW) {
            throw new IllegalArgumentException(
                    describe() + ": expects convolutional input [N, C, H, W] in NCHW" + " format, got " + type);
        }
        if (channels > 0 && c.getChannels() != channels) {
            throw new IllegalArgumentException(describe() + ": input has " + c.getChannels()
                    + " channels but channels is " + channels + " (input type " + type + ")");
        }
        return c;
    }

    /** Builder: every field has the default given on its method. */
    public static final class Builder extends EngineLayer.Builder<Builder> {
        private long channels;
        private double momentum = DEFAULT_MOMENTUM;
        private double eps = DEFAULT_EPS;

        private Builder() {}

        /** Channels; default: from the input type. */
        public Builder channels(long channels) {
            this.channels = channels;
            return this;
        }

        /** Weight of the batch statistic in the running-statistics update, in (0, 1]; default 0.1 (PyTorch). */
        public Builder momentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        /** Added to the variance before the square root; default 1e-5 (PyTorch). */
        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public BatchNorm build() {
            String who = "BatchNorm" + (layerName == null ? "" : " '" + layerName + "'");
            if (channels < 0) {
                throw new IllegalArgumentException(
                        who + ": channels " + channels + " must be positive (or 0: from the input type)");
            }
            checkMomentumAndEps(who, "momentum", momentum, "eps", eps);
            return new BatchNorm(this);
        }
    }
}
