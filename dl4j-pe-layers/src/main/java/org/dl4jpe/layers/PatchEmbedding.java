package org.dl4jpe.layers;

import java.util.Arrays;
import java.util.Map;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.deeplearning4j.nn.weights.WeightInit;
import org.dl4jpe.layers.samediff.LayerContext;
import org.dl4jpe.layers.samediff.PeSameDiffLayerImpl;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * ViT patch embedding: cuts the image into non-overlapping {@code p×p} patches, projects each to {@code D} features
 * (a convolution with kernel = stride = {@code patchSize}, with bias), prepends a learned class token and adds a
 * learned positional embedding (timm's {@code PatchEmbed} + {@code cls_token} + {@code pos_embed}):
 * <pre>
 *   e_i = W · vec(patch_i) + b                     i = 1 … P   (vec orders a patch as C, kh, kw)
 *   z   = [clsToken; e_1; …; e_P] + posEmbed       [(P+1), D]
 * </pre>
 *
 * <p>Shapes (N batch, C {@code inChannels}, H×W image, p {@code patchSize}, P = (H/p)·(W/p) patches, D
 * {@code embedDim}): input {@code [N, C, H, W]} (DL4J's CNN format NCHW; {@code InputType.convolutional(H, W, C)},
 * or {@code convolutionalFlat(H, W, C)} through DL4J's {@code FeedForwardToCnnPreProcessor}); output
 * {@code [N, D, P+1]} (DL4J's recurrent format, {@code InputType.recurrent(D, P+1)}), token 0 the class token.
 *
 * <p>Parameters: {@code W [D, C·p·p]} (a PyTorch conv weight {@code [D, C, p, p]} reshaped in C order),
 * {@code b [D]}, {@code clsToken [D]}, {@code posEmbed [(P+1), D]}: {@code C·p·p·D + D + D + (P+1)·D} in all.
 * {@code b}, {@code clsToken} and {@code posEmbed} are declared as bias parameters, so weight decay / L2 set for
 * weights does not reach them (timm's {@code no_weight_decay()} lists {@code pos_embed} and {@code cls_token}).
 *
 * <p>Initialization (docs/what-it-computes.md, DeiT): {@code W}, {@code clsToken} and {@code posEmbed} from
 * {@link TruncatedNormalInit#of(double) TruncatedNormalInit.of(0.02)} unless the builder's {@code weightInit} says
 * otherwise ({@code weightInit(param, init)} overrides one parameter); {@code b = 0}.
 *
 * <p>The convolution is computed as patch extraction (reshape to {@code [N, C, H/p, p, W/p, p]}, permute to
 * {@code [N, H/p, W/p, C, p, p]}, reshape to {@code [N·P, C·p·p]}) and one 2-D matrix product with {@code Wᵀ}:
 * {@link Engine#DIRECT} (the default) by hand ({@link PatchEmbeddingImpl}), {@link Engine#SAMEDIFF} as
 * {@link #define} states it, the reference.
 */
public final class PatchEmbedding extends EngineLayer implements MatmulFlops {
    public static final String W = "W";
    public static final String B = "b";
    public static final String CLS_TOKEN = "clsToken";
    public static final String POS_EMBED = "posEmbed";

    /** The default initialization of {@code W}, {@code clsToken} and {@code posEmbed}. */
    public static final double INIT_STD = 0.02;

    private long imageHeight;
    private long imageWidth;
    private long inChannels;
    private long patchSize;
    private long embedDim;
    private IWeightInit embedInit;

    private PatchEmbedding() {
        // JSON
    }

    private PatchEmbedding(Builder b) {
        super(b);
        this.imageHeight = b.imageHeight;
        this.imageWidth = b.imageWidth;
        this.inChannels = b.inChannels;
        this.patchSize = b.patchSize;
        this.embedDim = b.embedDim;
        this.embedInit = b.embedInit;
    }

    /**
     * A builder for {@code inChannels}-channel {@code imageHeight × imageWidth} images cut into
     * {@code patchSize × patchSize} patches, each embedded in {@code embedDim} features.
     */
    public static Builder builder(long imageHeight, long imageWidth, long inChannels, long patchSize, long embedDim) {
        return new Builder(imageHeight, imageWidth, inChannels, patchSize, embedDim);
    }

    public long getImageHeight() {
        return imageHeight;
    }

    public long getImageWidth() {
        return imageWidth;
    }

    public long getInChannels() {
        return inChannels;
    }

    public long getPatchSize() {
        return patchSize;
    }

    public long getEmbedDim() {
        return embedDim;
    }

    /** The initialization of {@code W}, {@code clsToken} and {@code posEmbed} (unless overridden per parameter). */
    public IWeightInit getEmbedInit() {
        return embedInit;
    }

    /** P, the number of patches: {@code (imageHeight / patchSize) · (imageWidth / patchSize)}. */
    public long numPatches() {
        return (imageHeight / patchSize) * (imageWidth / patchSize);
    }

    /** P + 1, the output sequence length (the class token and one token per patch). */
    public long numTokens() {
        return numPatches() + 1;
    }

    private long patchDim() {
        return inChannels * patchSize * patchSize;
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.addWeightParam(W, embedDim, patchDim());
        params.addBiasParam(B, embedDim);
        params.addBiasParam(CLS_TOKEN, embedDim);
        params.addBiasParam(POS_EMBED, numTokens(), embedDim);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        init(params, W, patchDim(), embedDim);
        init(params, CLS_TOKEN, embedDim, embedDim);
        init(params, POS_EMBED, embedDim, embedDim);
        params.get(B).assign(0);
    }

    private void init(Map<String, INDArray> params, String name, double fanIn, double fanOut) {
        IWeightInit fn =
                paramWeightInit != null && paramWeightInit.containsKey(name) ? paramWeightInit.get(name) : embedInit;
        INDArray view = params.get(name);
        fn.init(fanIn, fanOut, view.shape(), 'c', view);
    }

    @Override
    public SDVariable define(LayerContext ctx, SDVariable input, Map<String, SDVariable> p, SDVariable mask) {
        SameDiff sd = ctx.sd();
        long gh = imageHeight / patchSize;
        long gw = imageWidth / patchSize;
        SDVariable grid = sd.reshape(input, -1, inChannels, gh, patchSize, gw, patchSize);
        SDVariable patches = sd.reshape(sd.permute(grid, 0, 2, 4, 1, 3, 5), -1, patchDim()); // [N·P, C·p·p]
        SDVariable e = sd.mmul(patches, p.get(W), false, true, false).add(p.get(B)); // [N·P, D]
        SDVariable tokens = sd.reshape(e, -1, numPatches(), embedDim); // [N, P, D]
        SDVariable cls = sd.zerosLike(sd.sum(tokens, true, 1)).add(sd.reshape(p.get(CLS_TOKEN), 1, 1, embedDim));
        SDVariable z = sd.concat(1, cls, tokens).add(p.get(POS_EMBED)); // [N, P+1, D]
        return sd.permute(z, 0, 2, 1); // [N, D, P+1]
    }

    @Override
    protected PeSameDiffLayerImpl directImpl(NeuralNetConfiguration conf, DataType networkDataType) {
        return new PatchEmbeddingImpl(conf, networkDataType);
    }

    /** The image carries no sequence mask; the output sequence has none either (every token is real). */
    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(
            INDArray maskArray, MaskState currentMaskState, int minibatchSize) {
        return new Pair<>(null, null);
    }

    @Override
    public void validateInput(INDArray input) {
        long[] s = input.shape();
        if (s.length != 4 || s[1] != inChannels || s[2] != imageHeight || s[3] != imageWidth) {
            throw new IllegalArgumentException(describe() + ": expected input [N, " + inChannels + ", " + imageHeight
                    + ", " + imageWidth + "] (NCHW: inChannels " + inChannels + ", imageHeight " + imageHeight
                    + ", imageWidth " + imageWidth + "), got " + Arrays.toString(s));
        }
    }

    @Override
    public void validateConfiguration() {
        String who = describe();
        Check.positive(who, "imageHeight", imageHeight);
        Check.positive(who, "imageWidth", imageWidth);
        Check.positive(who, "inChannels", inChannels);
        Check.positive(who, "patchSize", patchSize);
        Check.positive(who, "embedDim", embedDim);
        if (imageHeight % patchSize != 0) {
            throw new IllegalArgumentException(
                    who + ": patchSize " + patchSize + " does not divide imageHeight " + imageHeight);
        }
        if (imageWidth % patchSize != 0) {
            throw new IllegalArgumentException(
                    who + ": patchSize " + patchSize + " does not divide imageWidth " + imageWidth);
        }
        Check.notNull(who, "weightInit", embedInit);
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        if (inputType instanceof InputType.InputTypeConvolutionalFlat f) {
            requireImage(f.getHeight(), f.getWidth(), f.getDepth(), inputType);
            return new FeedForwardToCnnPreProcessor(f.getHeight(), f.getWidth(), f.getDepth());
        }
        return null;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        requireInputType(inputType);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        requireInputType(inputType);
        return InputType.recurrent(embedDim, numTokens());
    }

    private void requireInputType(InputType type) {
        if (type instanceof InputType.InputTypeConvolutional c) {
            if (c.getFormat() != CNN2DFormat.NCHW) {
                throw new IllegalArgumentException(describe() + ": expects images in NCHW format, got " + type);
            }
            requireImage(c.getHeight(), c.getWidth(), c.getChannels(), type);
        } else if (type instanceof InputType.InputTypeConvolutionalFlat f) {
            requireImage(f.getHeight(), f.getWidth(), f.getDepth(), type);
        } else {
            throw new IllegalArgumentException(describe() + ": expects image input [N, " + inChannels + ", "
                    + imageHeight + ", " + imageWidth + "] (InputType.convolutional(" + imageHeight + ", "
                    + imageWidth + ", " + inChannels + ")), got " + type);
        }
    }

    private void requireImage(long h, long w, long c, InputType type) {
        if (h != imageHeight || w != imageWidth || c != inChannels) {
            throw new IllegalArgumentException(describe() + ": input type " + type + " is not the configured image "
                    + "(imageHeight " + imageHeight + ", imageWidth " + imageWidth + ", inChannels " + inChannels
                    + ")");
        }
    }

    /**
     * Builder: image size, channels, patch size and width are required; the initialization has the default given
     * on its method.
     */
    public static final class Builder extends EngineLayer.Builder<Builder> {
        private final long imageHeight;
        private final long imageWidth;
        private final long inChannels;
        private final long patchSize;
        private final long embedDim;
        private IWeightInit embedInit = TruncatedNormalInit.of(INIT_STD);

        private Builder(long imageHeight, long imageWidth, long inChannels, long patchSize, long embedDim) {
            this.imageHeight = imageHeight;
            this.imageWidth = imageWidth;
            this.inChannels = inChannels;
            this.patchSize = patchSize;
            this.embedDim = embedDim;
        }

        /**
         * Initialization of {@code W}, {@code clsToken} and {@code posEmbed}; default
         * {@code TruncatedNormalInit.of(0.02)} (DeiT/timm). {@code weightInit(param, init)} still overrides one
         * parameter.
         */
        public Builder weightInit(IWeightInit init) {
            this.embedInit = init;
            return this;
        }

        /** As {@link #weightInit(IWeightInit)} with one of DL4J's named initializations. */
        @Override
        public Builder weightInit(WeightInit weightInit) {
            if (weightInit == WeightInit.DISTRIBUTION) {
                throw new IllegalArgumentException("PatchEmbedding: weightInit DISTRIBUTION needs a distribution: "
                        + "use weightInit(new WeightInitDistribution(distribution))");
            }
            super.weightInit(weightInit);
            this.embedInit = weightInit == null ? null : weightInit.getWeightInitFunction();
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public PatchEmbedding build() {
            PatchEmbedding layer = new PatchEmbedding(this);
            layer.validateConfiguration();
            return layer;
        }
    }

    /** The patch projection: a {@code patchSize}-strided convolution of the image into {@code embedDim} channels. */
    @Override
    public double forwardFlops(InputType inputType) {
        return MatmulFlops.convolution(
                imageHeight / patchSize, imageWidth / patchSize, patchSize, inChannels, embedDim);
    }
}
