package org.dl4jpe.layers;

import java.util.Arrays;
import java.util.Map;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.dl4jpe.layers.samediff.LayerContext;
import org.dl4jpe.layers.samediff.PeSameDiffLayerImpl;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;

/**
 * A k×k convolution without bias, padding {@code k / 2}, NCHW: a ResNet stem's convolution (torchvision's
 * {@code nn.Conv2d(..., bias=False)}), run by {@link DirectConv} like the stage's convolutions. DL4J's own
 * {@code ConvolutionLayer} computes it with its legacy im2col op (forward, and again in the backward pass), which
 * was about a quarter of a ResNet50 training step on one core; here oneDNN's conv2d runs it where the build has it.
 *
 * <p>Parameter {@link #WEIGHT} {@code [out, in, k, k]}, He normal with fan-out by default ({@link HeNormalFanOutInit},
 * torchvision's ResNet init; the builder's {@code weightInit("W", init)} overrides it). Output {@code [N, out, H', W']},
 * {@code H' = ⌊(H − 1)/stride⌋ + 1}. {@link Engine#DIRECT} (default) runs {@link DirectConv}; {@link Engine#SAMEDIFF}
 * differentiates {@link #define}, the reference the tests hold it equal to.
 */
public final class BiasFreeConvolution extends EngineLayer implements MatmulFlops {
    /** The weight's parameter name. */
    public static final String WEIGHT = "W";

    private long inChannels;
    private long outChannels;
    private int kernel;
    private int stride = 1;

    private BiasFreeConvolution() {
        // JSON
    }

    private BiasFreeConvolution(Builder b) {
        super(b);
        this.inChannels = b.inChannels;
        this.outChannels = b.outChannels;
        this.kernel = b.kernel;
        this.stride = b.stride;
    }

    /** A builder for a {@code kernel}×{@code kernel} convolution to {@code outChannels}; inputs from the input type. */
    public static Builder builder(int kernel, long outChannels) {
        return new Builder(kernel, outChannels);
    }

    public long getInChannels() {
        return inChannels;
    }

    public long getOutChannels() {
        return outChannels;
    }

    public int getKernel() {
        return kernel;
    }

    public int getStride() {
        return stride;
    }

    @Override
    protected PeSameDiffLayerImpl newImpl(NeuralNetConfiguration conf, DataType networkDataType) {
        return new BiasFreeConvolutionImpl(conf, networkDataType); // runs either engine
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.addWeightParam(WEIGHT, outChannels, inChannels, kernel, kernel);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        long k2 = (long) kernel * kernel;
        long[] shape = {outChannels, inChannels, kernel, kernel};
        if (paramWeightInit != null && paramWeightInit.containsKey(WEIGHT)) {
            initWeight(params, WEIGHT, inChannels * k2, outChannels * k2);
        } else {
            new HeNormalFanOutInit().init(inChannels * k2, outChannels * k2, shape, 'c', params.get(WEIGHT));
        }
    }

    /** SameDiff's conv2d in its kernel layout [kH, kW, in, out] (see {@link StageSameDiff} for why). */
    @Override
    public SDVariable define(LayerContext ctx, SDVariable input, Map<String, SDVariable> p, SDVariable mask) {
        Conv2DConfig cfg = Conv2DConfig.builder()
                .kH(kernel)
                .kW(kernel)
                .sH(stride)
                .sW(stride)
                .pH(kernel / 2)
                .pW(kernel / 2)
                .paddingMode(PaddingMode.VALID)
                .dataFormat(Conv2DConfig.NCHW)
                .build();
        return ctx.sd().cnn().conv2d(input, ctx.sd().permute(p.get(WEIGHT), 2, 3, 1, 0), cfg);
    }

    private long outSize(long size) {
        return (size - 1) / stride + 1;
    }

    @Override
    public void validateInput(INDArray input) {
        if (input.rank() != 4 || input.size(1) != inChannels) {
            throw new IllegalArgumentException(describe() + ": expected input [N, " + inChannels
                    + ", H, W] (NCHW), got " + Arrays.toString(input.shape()));
        }
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        InputType.InputTypeConvolutional c = requireInputType(inputType);
        if (inChannels <= 0 || override) {
            inChannels = c.getChannels();
        }
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        InputType.InputTypeConvolutional c = requireInputType(inputType);
        return InputType.convolutional(outSize(c.getHeight()), outSize(c.getWidth()), outChannels, CNN2DFormat.NCHW);
    }

    @Override
    public double forwardFlops(InputType inputType) {
        InputType.InputTypeConvolutional c = requireInputType(inputType);
        return MatmulFlops.convolution(
                outSize(c.getHeight()), outSize(c.getWidth()), kernel, c.getChannels(), outChannels);
    }

    private InputType.InputTypeConvolutional requireInputType(InputType type) {
        if (!(type instanceof InputType.InputTypeConvolutional c) || c.getFormat() != CNN2DFormat.NCHW) {
            throw new IllegalArgumentException(
                    describe() + ": expects convolutional input [N, C, H, W] in NCHW" + " format, got " + type);
        }
        if (inChannels > 0 && c.getChannels() != inChannels) {
            throw new IllegalArgumentException(describe() + ": input has " + c.getChannels()
                    + " channels but inChannels is " + inChannels + " (input type " + type + ")");
        }
        return c;
    }

    /** Builder: kernel and output channels are required; input channels come from the input type unless given. */
    public static final class Builder extends EngineLayer.Builder<Builder> {
        private final int kernel;
        private final long outChannels;
        private long inChannels;
        private int stride = 1;

        private Builder(int kernel, long outChannels) {
            this.kernel = kernel;
            this.outChannels = outChannels;
        }

        /** Input channels; default: from the input type. */
        public Builder inChannels(long inChannels) {
            this.inChannels = inChannels;
            return this;
        }

        /** Stride in both directions; default 1. */
        public Builder stride(int stride) {
            this.stride = stride;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public BiasFreeConvolution build() {
            String who = "BiasFreeConvolution" + (layerName == null ? "" : " '" + layerName + "'");
            Check.positive(who, "kernel", kernel);
            if (kernel % 2 == 0) {
                throw new IllegalArgumentException(who + ": kernel " + kernel + " must be odd (padding kernel / 2)");
            }
            Check.positive(who, "outChannels", outChannels);
            if (inChannels < 0) {
                throw new IllegalArgumentException(
                        who + ": inChannels " + inChannels + " must be positive (or 0: from the input type)");
            }
            Check.positive(who, "stride", stride);
            return new BiasFreeConvolution(this);
        }
    }
}
