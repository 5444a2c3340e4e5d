package org.dl4jpe.layers;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.dl4jpe.layers.samediff.LayerContext;
import org.dl4jpe.layers.samediff.PeSameDiffLayer;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonIgnore;

/**
 * A ResNet v1.5 bottleneck stage whose 1×1 reduce and expand convolutions are one matrix and its transpose, shared
 * across the blocks of the stage (arXiv 2401.16438; docs/what-it-computes.md).
 *
 * <p>Block i (1-based) computes
 * {@code y = ReLU(BN3ᵢ(Qᵢ ⊛ ReLU(BN2ᵢ(Sᵢ ⊛ ReLU(BN1ᵢ(Pᵢ ⊛ x))))) + shortcutᵢ(x))}, with {@code Pᵢ} the 1×1 reduce
 * (in → m), {@code Sᵢ} the 3×3 (m → m, padding 1) and {@code Qᵢ} the 1×1 expand (m → 4m); convolutions have no
 * bias. Block 1 strides on its 3×3 (v1.5) and always has a projection shortcut {@code BN(D ⊛ x)} with a 1×1
 * convolution {@code D} of the same stride; the other blocks add their input unchanged. What is shared is set by
 * {@link Sharing}. A shared matrix is one parameter; its gradient is the sum over every place it is used.
 *
 * <p>Shapes (N batch, C {@code inChannels}, m {@code midChannels}, H×W image, s {@code stride}): input
 * {@code [N, C, H, W]} (NCHW), output {@code [N, 4m, H', W']} with {@code H' = ⌊(H − 1)/s⌋ + 1} and likewise W'.
 * Parameters, as {@code [out, in]} matrices for 1×1 convolutions and {@code [out, in, 3, 3]} for 3×3:
 * {@code blockIConv1 [m, in]} (P), {@code blockIConv2 [m, m, 3, 3]} (S), {@code blockIConv3 [4m, m]} (Q),
 * {@code block1Down [4m, C]}; shared {@link #SHARED_1X1} {@code W [m, 4m]} (used as {@code P = W}, {@code Q = Wᵀ}) and
 * {@link #SHARED_3X3} {@code S [m, m, 3, 3]}; each BatchNorm has {@code …Gamma}, {@code …Beta} (trained) and
 * {@code …Mean}, {@code …Var} (running statistics, state: no gradient, no updater, no regularization). Only
 * parameters that are used exist: with one block, {@link Sharing#STAGE} has no {@code W} and
 * {@link Sharing#STAGE_FIRST_3X3} no {@code S}.
 *
 * <p>BatchNorm follows every convolution and is never shared; it is {@link BatchNorm}'s: batch statistics in
 * training, running statistics at inference (so the output of an example does not depend on the rest of its
 * batch), and the running statistics change only when a training step is taken (in the backward pass of
 * {@code fit}; {@code output(x, true)}, {@code feedForward(x, true)} or {@code score(ds, true)} leave them), by
 * PyTorch's formula (momentum 0.1, the unbiased batch variance, eps 1e-5). Training needs more than one value per
 * channel (batch × output height × output width ≥ 2), as in PyTorch.
 *
 * <p>Initialization (torchvision's ResNet): convolutions {@code kaiming_normal_(mode="fan_out",
 * nonlinearity="relu")}, i.e. {@code N(0, 2/fan_out)} with the fan-out of the stored tensor
 * ({@link HeNormalFanOutInit}): {@code √(2/m)} for a reduce P {@code [m, in]} and for the shared W {@code [m, 4m]}
 * (its untransposed use, the reduce; the natural reading of "fan-out" for a tensor used both ways, and what
 * {@code kaiming_normal_} computes for it), {@code √(2/4m)} for an own expand {@code [4m, m]} and the shortcut,
 * {@code √(2/9m)} for a 3×3. BN γ = 1 ({@link Builder#zeroInitLastBnGamma}: 0 for each block's last BN, as
 * torchvision's {@code zero_init_residual}), β = 0, running mean 0, running variance 1. Setting
 * {@link Builder#weightInit(WeightInit)} on the layer uses DL4J's initialization instead. γ and β are bias
 * parameters for regularization (no weight decay unless {@code weightDecayBias}); running statistics are state.
 *
 * <p>DL4J runs the stage on the {@link Engine#DIRECT} engine: a hand-written forward and backward pass on ND4J's
 * native ops. {@link #define} states the same computation for SameDiff ({@link Engine#SAMEDIFF}), the reference the
 * direct engine is tested against. Both, the parameter declarations, their initialization and the FLOP count read
 * one description of the blocks and convolutions, derived from the sharing level ({@code StagePlan}).
 */
public final class SharedBottleneckStage extends PeSameDiffLayer implements MatmulFlops {
    /** What the blocks of a stage share (docs/what-it-computes.md; blocks numbered from 1; block 1's reduce P₁ is
     * never shared). */
    public enum Sharing {
        /** Nothing: the standard ResNet bottleneck stage. */
        NONE,
        /** Each block i ≥ 2 has its own W and uses {@code Pᵢ = W}, {@code Qᵢ = Wᵀ}. */
        TIED,
        /** One W for the stage: blocks i ≥ 2 use {@code Pᵢ = W}, {@code Qᵢ = Wᵀ}; 3×3 per block. */
        STAGE,
        /** {@link #STAGE}, and block 1's expand {@code Q₁ = Wᵀ} too. */
        STAGE_FIRST,
        /** {@link #STAGE_FIRST}, and one 3×3 weight S for all blocks i ≥ 2. ResNet50-PE's choice; the default. */
        STAGE_FIRST_3X3
    }

    /** How DL4J runs the stage; both compute the same function and gradients (the tests hold them equal). */
    public enum Engine {
        /**
         * A hand-written forward and backward pass on ND4J's native ops that keeps the forward activations for
         * the backward pass. The default.
         */
        DIRECT,
        /**
         * SameDiff's automatic differentiation of {@link #define}: the reference formulation, about 1.5× the direct
         * engine's training time on ResNet50's stage 3 (the backward pass recomputes the forward pass, BatchNorm is
         * composed from elementary ops), and its input height and width are fixed by the first input it sees.
         */
        SAMEDIFF
    }

    /** How the convolution weights start. */
    public enum ConvInit {
        /** torchvision's ResNet: {@code kaiming_normal_(mode="fan_out", nonlinearity="relu")}. The default. */
        HE_FAN_OUT,
        /** DL4J's weight initialization of the layer ({@code weightInit}; fan-in and fan-out of the convolution). */
        LAYER_WEIGHT_INIT
    }

    /** The stage's shared 1×1 matrix W [m, 4m]. */
    public static final String SHARED_1X1 = "W";
    /** The stage's shared 3×3 weight S [m, m, 3, 3]. */
    public static final String SHARED_3X3 = "S";
    /** Suffixes of a BatchNorm's parameters. */
    public static final String GAMMA = BatchNorm.GAMMA;

    public static final String BETA = BatchNorm.BETA;
    public static final String MEAN = BatchNorm.MEAN;
    public static final String VAR = BatchNorm.VAR;

    /** Default BatchNorm momentum (PyTorch): weight of the batch statistic in the running-statistics update. */
    public static final double DEFAULT_BN_MOMENTUM = BatchNorm.DEFAULT_MOMENTUM;
    /** Default BatchNorm epsilon (PyTorch). */
    public static final double DEFAULT_BN_EPS = BatchNorm.DEFAULT_EPS;

    private long inChannels;
    private long midChannels;
    private int numBlocks;
    private int stride = 1;
    private Sharing sharing = Sharing.STAGE_FIRST_3X3;
    private double bnMomentum = DEFAULT_BN_MOMENTUM;
    private double bnEps = DEFAULT_BN_EPS;
    private Engine engine = Engine.DIRECT;
    private ConvInit convInit = ConvInit.HE_FAN_OUT;
    private boolean zeroInitLastBnGamma;
    /** {@link #plan()}, made once from the fields above (which do not change after building or reading JSON). */
    @JsonIgnore
    private transient StagePlan plan;

    private SharedBottleneckStage() {
        // JSON
    }

    private SharedBottleneckStage(Builder b) {
        super(b);
        this.inChannels = b.inChannels;
        this.midChannels = b.midChannels;
        this.numBlocks = b.numBlocks;
        this.stride = b.stride;
        this.sharing = b.sharing;
        this.bnMomentum = b.bnMomentum;
        this.bnEps = b.bnEps;
        this.engine = b.engine;
        this.convInit = b.convInit;
        this.zeroInitLastBnGamma = b.zeroInitLastBnGamma;
    }

    /**
     * A builder for a stage of {@code numBlocks} bottleneck blocks on {@code inChannels} input channels with mid
     * width {@code midChannels} (output width {@code 4·midChannels}).
     */
    public static Builder builder(long inChannels, long midChannels, int numBlocks) {
        return new Builder(inChannels, midChannels, numBlocks);
    }

    public long getInChannels() {
        return inChannels;
    }

    public long getMidChannels() {
        return midChannels;
    }

    /** Output channels: {@code 4·midChannels}. */
    public long getOutChannels() {
        return 4 * midChannels;
    }

    public int getNumBlocks() {
        return numBlocks;
    }

    public int getStride() {
        return stride;
    }

    public Sharing getSharing() {
        return sharing;
    }

    public double getBnMomentum() {
        return bnMomentum;
    }

    public double getBnEps() {
        return bnEps;
    }

    public Engine getEngine() {
        return engine;
    }

    public ConvInit getConvInit() {
        return convInit;
    }

    public boolean isZeroInitLastBnGamma() {
        return zeroInitLastBnGamma;
    }

    /** The initialization in words, for model descriptions and summaries. */
    public String describeInit() {
        String conv = convInit == ConvInit.HE_FAN_OUT
                ? "convolutions He normal fan-out (torchvision: std sqrt(2/(out*kH*kW)) of the stored weight)"
                : "convolutions by the layer's weightInit " + getWeightInit();
        return conv + ", BN gamma 1" + (zeroInitLastBnGamma ? " (each block's last BN: 0)" : "") + ", beta 0";
    }

    /** The blocks and convolutions of this stage: the one description that everything else reads. */
    StagePlan plan() {
        StagePlan p = plan;
        if (p == null) {
            p = StagePlan.of(inChannels, midChannels, numBlocks, stride, sharing);
            plan = p;
        }
        return p;
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(
            NeuralNetConfiguration conf,
            Collection<TrainingListener> trainingListeners,
            int layerIndex,
            INDArray layerParamsView,
            boolean initializeParams,
            DataType networkDataType) {
        SharedBottleneckStageImpl ret = new SharedBottleneckStageImpl(conf, networkDataType);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(layerParamsView);
        ret.setParamTable(initializer().init(conf, layerParamsView, initializeParams));
        ret.setConf(conf);
        ret.setListeners(trainingListeners);
        return ret;
    }

    // ---- parameter names -------------------------------------------------------------------------------------

    /** The own weight of convolution {@code conv} (1 reduce, 2 3×3, 3 expand) of block {@code block} (from 1). */
    public static String convParam(int block, int conv) {
        return "block" + block + "Conv" + conv;
    }

    /** The projection shortcut's 1×1 weight (block 1). */
    public static String downParam() {
        return "block1Down";
    }

    /** A parameter of the BatchNorm after convolution {@code conv} of block {@code block} (suffix {@link #GAMMA} …). */
    public static String bnParam(int block, int conv, String suffix) {
        return "block" + block + "Bn" + conv + suffix;
    }

    /** A parameter of the projection shortcut's BatchNorm. */
    public static String downBnParam(String suffix) {
        return "block1DownBn" + suffix;
    }

    /** A convolution's weight: the parameter it reads, and whether the convolution uses its transpose. */
    public record WeightUse(String param, boolean transposed) {}

    /**
     * Which parameter convolution {@code conv} (1 reduce P, 2 3×3 S, 3 expand Q) of block {@code block} (from 1)
     * uses under this stage's {@link Sharing}, following docs/what-it-computes.md. A 1×1 weight is read as an
     * {@code [out, in]} matrix; {@code transposed} means the convolution uses its transpose (e.g. {@code Qᵢ = Wᵀ}).
     */
    public WeightUse weightUse(int block, int conv) {
        if (block < 1 || block > numBlocks || conv < 1 || conv > 3) {
            throw new IllegalArgumentException(describe() + ": no convolution " + conv + " in block " + block
                    + " (blocks 1.." + numBlocks + ", convolutions 1..3)");
        }
        StagePlan.Block b = plan().blocks().get(block - 1);
        return (conv == 1 ? b.reduce() : conv == 2 ? b.conv3x3() : b.expand()).weight();
    }

    @Override
    public Set<String> stateParams() {
        return plan().stateParams();
    }

    /**
     * The weights that exist, then block by block its own weights and its BatchNorms (γ, β, running mean, running
     * variance): the order of the flattened parameter vector of saved models.
     */
    @Override
    public void defineParameters(SDLayerParams params) {
        StagePlan plan = plan();
        declareWeights(params, plan, 0);
        for (StagePlan.Block b : plan.blocks()) {
            declareWeights(params, plan, b.index());
            for (StagePlan.Conv c : b.convs()) {
                BatchNorm.declare(params, c.bn(), c.out());
            }
        }
    }

    private static void declareWeights(SDLayerParams params, StagePlan plan, int block) {
        for (StagePlan.Weight w : plan.weights().values()) {
            if (w.block() == block) {
                params.addWeightParam(w.name(), w.shape());
            }
        }
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        StagePlan plan = plan();
        Set<String> zeroGamma = zeroInitLastBnGamma ? plan.lastBatchNorms() : Set.of();
        for (String bn : plan.batchNorms().keySet()) {
            BatchNorm.initialize(params, bn, zeroGamma.contains(bn));
        }
        HeNormalFanOutInit he = new HeNormalFanOutInit();
        for (StagePlan.Weight w : plan.weights().values()) {
            long[] shape = w.shape();
            long k2 = shape.length == 4 ? shape[2] * shape[3] : 1;
            boolean ownInit = paramWeightInit != null && paramWeightInit.containsKey(w.name());
            if (convInit == ConvInit.HE_FAN_OUT && !ownInit) {
                INDArray view = params.get(w.name());
                he.init(shape[1] * k2, shape[0] * k2, shape, 'c', view);
            } else {
                initWeight(params, w.name(), shape[1] * k2, shape[0] * k2);
            }
        }
    }

    // ---- forward pass ----------------------------------------------------------------------------------------

    /**
     * The stage in SameDiff ({@link Engine#SAMEDIFF}); the training flag selects batch or running statistics and
     * registers the running-statistics updates. {@link Engine#DIRECT} computes the same without SameDiff.
     */
    @Override
    public SDVariable define(LayerContext ctx, SDVariable input, Map<String, SDVariable> p, SDVariable mask) {
        return StageSameDiff.define(plan(), ctx, input, p, bnMomentum, bnEps);
    }

    // ---- shapes ----------------------------------------------------------------------------------------------

    /** Output height or width for an input of {@code size}: {@code ⌊(size − 1)/stride⌋ + 1}. */
    private long outSize(long size) {
        return (size - 1) / stride + 1;
    }

    @Override
    public void validateInput(INDArray input) {
        if (input.rank() != 4 || input.size(1) != inChannels || input.size(2) < 1 || input.size(3) < 1) {
            throw new IllegalArgumentException(describe() + ": expected input [N, " + inChannels
                    + ", H, W] (inChannels " + inChannels + ", NCHW), got " + Arrays.toString(input.shape()));
        }
    }

    /**
     * In training, BatchNorm needs more than one value per channel (the unbiased variance of one value is
     * undefined): the batch size times the output height and width must exceed 1, as in PyTorch.
     */
    void validateTrainingInput(INDArray input) {
        long n = input.size(0) * outSize(input.size(2)) * outSize(input.size(3));
        if (n < 2) {
            throw new IllegalArgumentException(describe() + ": training needs more than one value per BatchNorm"
                    + " channel, but input " + Arrays.toString(input.shape()) + " gives batch × output height ×"
                    + " output width = " + n + " (stride " + stride + "); use a larger batch or image");
        }
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        requireInputType(inputType);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        InputType.InputTypeConvolutional c = requireInputType(inputType);
        return InputType.convolutional(
                outSize(c.getHeight()), outSize(c.getWidth()), 4 * midChannels, CNN2DFormat.NCHW);
    }

    private InputType.InputTypeConvolutional requireInputType(InputType type) {
        if (!(type instanceof InputType.InputTypeConvolutional c) || c.getFormat() != CNN2DFormat.NCHW) {
            throw new IllegalArgumentException(describe() + ": expects convolutional input [N, " + inChannels
                    + ", H, W] in NCHW format, got " + type);
        }
        if (c.getChannels() != inChannels) {
            throw new IllegalArgumentException(describe() + ": input has " + c.getChannels()
                    + " channels but inChannels is " + inChannels + " (input type " + type + ")");
        }
        return c;
    }

    /** Every convolution of the plan, at its resolution (the plan says how much smaller its input is). */
    @Override
    public double forwardFlops(InputType inputType) {
        InputType.InputTypeConvolutional c = requireInputType(inputType);
        double flops = 0;
        for (StagePlan.Conv conv : plan().convs()) {
            flops += MatmulFlops.convolution(
                    conv.outSize(c.getHeight()), conv.outSize(c.getWidth()), conv.kernel(), conv.in(), conv.out());
        }
        return flops;
    }

    /**
     * Builder: {@code inChannels}, {@code midChannels} and {@code numBlocks} are required; everything else has the
     * default given on its method.
     */
    public static final class Builder extends SameDiffLayer.Builder<Builder> {
        private final long inChannels;
        private final long midChannels;
        private final int numBlocks;
        private int stride = 1;
        private Sharing sharing = Sharing.STAGE_FIRST_3X3;
        private double bnMomentum = DEFAULT_BN_MOMENTUM;
        private double bnEps = DEFAULT_BN_EPS;
        private Engine engine = Engine.DIRECT;
        private ConvInit convInit = ConvInit.HE_FAN_OUT;
        private boolean zeroInitLastBnGamma;

        private Builder(long inChannels, long midChannels, int numBlocks) {
            this.inChannels = inChannels;
            this.midChannels = midChannels;
            this.numBlocks = numBlocks;
        }

        /** Stride of the first block's 3×3 and projection shortcut; default 1. */
        public Builder stride(int stride) {
            this.stride = stride;
            return this;
        }

        /** What is shared; default {@link Sharing#STAGE_FIRST_3X3} (ResNet50-PE's choice). */
        public Builder sharing(Sharing sharing) {
            this.sharing = sharing;
            return this;
        }

        /** Weight of the batch statistic in the running-statistics update, in (0, 1]; default 0.1 (PyTorch). */
        public Builder bnMomentum(double bnMomentum) {
            this.bnMomentum = bnMomentum;
            return this;
        }

        /** Added to the variance before the square root; default 1e-5 (PyTorch). */
        public Builder bnEps(double bnEps) {
            this.bnEps = bnEps;
            return this;
        }

        /** How DL4J runs the stage; default {@link Engine#DIRECT}. */
        public Builder engine(Engine engine) {
            this.engine = engine;
            return this;
        }

        /** How the convolution weights start; default {@link ConvInit#HE_FAN_OUT} (torchvision). */
        public Builder convInit(ConvInit convInit) {
            this.convInit = convInit;
            return this;
        }

        /** DL4J's weight initialization for the convolutions (sets {@link ConvInit#LAYER_WEIGHT_INIT}). */
        @Override
        public Builder weightInit(WeightInit weightInit) {
            super.weightInit(weightInit);
            this.convInit = ConvInit.LAYER_WEIGHT_INIT;
            return this;
        }

        /**
         * Start each block's last BN γ (after the expand) at 0, so that each block starts as its shortcut
         * (torchvision's {@code zero_init_residual}); default false, as torchvision.
         */
        public Builder zeroInitLastBnGamma(boolean zero) {
            this.zeroInitLastBnGamma = zero;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public SharedBottleneckStage build() {
            String who = "SharedBottleneckStage" + (layerName == null ? "" : " '" + layerName + "'");
            Check.positive(who, "inChannels", inChannels);
            Check.positive(who, "midChannels", midChannels);
            Check.positive(who, "numBlocks", numBlocks);
            Check.positive(who, "stride", stride);
            Check.notNull(who, "sharing", sharing);
            BatchNorm.checkMomentumAndEps(who, "bnMomentum", bnMomentum, "bnEps", bnEps);
            Check.notNull(who, "engine", engine);
            Check.notNull(who, "convInit", convInit);
            return new SharedBottleneckStage(this);
        }
    }
}
