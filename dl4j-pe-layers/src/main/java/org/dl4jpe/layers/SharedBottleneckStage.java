package org.dl4jpe.layers;

import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.dl4jpe.layers.samediff.LayerContext;
import org.dl4jpe.layers.samediff.PeSameDiffLayer;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;

/**
 * A ResNet v1.5 bottleneck stage whose 1×1 reduce and expand convolutions are one matrix and its transpose, shared
 * across the blocks of the stage (arXiv 2401.16438; SPEC §3).
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
 * <p>BatchNorm follows every convolution and is never shared. In training it normalizes with the batch mean and
 * the biased batch variance over N, H, W, and after each training forward pass the running statistics become
 * {@code (1 − momentum)·running + momentum·batch}, the variance term using the unbiased batch variance (PyTorch's
 * convention); at inference it normalizes with the running statistics, so the output of an example does not depend
 * on the rest of its batch. Defaults: momentum 0.1, eps 1e-5 (PyTorch). DL4J's own {@code BatchNormalization}
 * (decay 0.9 = 1 − momentum) differs in one point: its running variance uses the biased batch variance. Training
 * needs more than one value per channel (batch × output height × output width ≥ 2), as in PyTorch.
 *
 * <p>Initialization: γ = 1, β = 0, running mean 0, running variance 1; convolution weights use the layer's weight
 * initialization (DL4J's default is Xavier; torchvision's ResNet uses He normal with fan-out). γ and β are bias
 * parameters for regularization ({@code l2Bias}, {@code weightDecayBias}).
 *
 * <p>DL4J runs the stage on the {@link Engine#DIRECT} engine: a hand-written forward and backward pass on ND4J's
 * native ops. {@link #define} states the same computation for SameDiff ({@link Engine#SAMEDIFF}), the reference the
 * direct engine is tested against.
 */
public final class SharedBottleneckStage extends PeSameDiffLayer implements MatmulFlops {
    /** What the blocks of a stage share (SPEC §3; blocks numbered from 1; block 1's reduce P₁ is never shared). */
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

    /** The stage's shared 1×1 matrix W [m, 4m]. */
    public static final String SHARED_1X1 = "W";
    /** The stage's shared 3×3 weight S [m, m, 3, 3]. */
    public static final String SHARED_3X3 = "S";
    /** Suffixes of a BatchNorm's parameters. */
    public static final String GAMMA = "Gamma";
    public static final String BETA = "Beta";
    public static final String MEAN = "Mean";
    public static final String VAR = "Var";

    /** Default BatchNorm momentum (PyTorch): weight of the batch statistic in the running-statistics update. */
    public static final double DEFAULT_BN_MOMENTUM = 0.1;
    /** Default BatchNorm epsilon (PyTorch). */
    public static final double DEFAULT_BN_EPS = 1e-5;

    private long inChannels;
    private long midChannels;
    private int numBlocks;
    private int stride = 1;
    private Sharing sharing = Sharing.STAGE_FIRST_3X3;
    private double bnMomentum = DEFAULT_BN_MOMENTUM;
    private double bnEps = DEFAULT_BN_EPS;
    private Engine engine = Engine.DIRECT;

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

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
                                                       Collection<TrainingListener> trainingListeners, int layerIndex,
                                                       INDArray layerParamsView, boolean initializeParams,
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
    public record WeightUse(String param, boolean transposed) {
    }

    /**
     * Which parameter convolution {@code conv} (1 reduce P, 2 3×3 S, 3 expand Q) of block {@code block} (from 1)
     * uses under this stage's {@link Sharing}, following SPEC §3. A 1×1 weight is read as an {@code [out, in]}
     * matrix; {@code transposed} means the convolution uses its transpose (e.g. {@code Qᵢ = Wᵀ}).
     */
    public WeightUse weightUse(int block, int conv) {
        if (block < 1 || block > numBlocks || conv < 1 || conv > 3) {
            throw new IllegalArgumentException(describe() + ": no convolution " + conv + " in block " + block
                    + " (blocks 1.." + numBlocks + ", convolutions 1..3)");
        }
        switch (conv) {
            case 1:
                return new WeightUse(ownReduce(block) ? convParam(block, 1) : SHARED_1X1, false);
            case 2:
                return new WeightUse(ownConv3x3(block) ? convParam(block, 2) : SHARED_3X3, false);
            default:
                if (ownExpand(block)) {
                    return new WeightUse(convParam(block, 3), false);
                }
                return new WeightUse(sharing == Sharing.TIED ? convParam(block, 1) : SHARED_1X1, true);
        }
    }

    /** Whether block {@code i} has its own reduce weight P (else it uses W). */
    private boolean ownReduce(int i) {
        return i == 1 || sharing == Sharing.NONE || sharing == Sharing.TIED;
    }

    /** Whether block {@code i} has its own expand weight Q (else Q is the transpose of its P or of W). */
    private boolean ownExpand(int i) {
        switch (sharing) {
            case NONE:
                return true;
            case TIED:
            case STAGE:
                return i == 1;
            default:
                return false;
        }
    }

    /** Whether block {@code i} has its own 3×3 weight (else it uses S). */
    private boolean ownConv3x3(int i) {
        return i == 1 || sharing != Sharing.STAGE_FIRST_3X3;
    }

    private boolean hasShared1x1() {
        return sharing == Sharing.STAGE_FIRST || sharing == Sharing.STAGE_FIRST_3X3
                || (sharing == Sharing.STAGE && numBlocks >= 2);
    }

    private boolean hasShared3x3() {
        return sharing == Sharing.STAGE_FIRST_3X3 && numBlocks >= 2;
    }

    private long blockIn(int i) {
        return i == 1 ? inChannels : 4 * midChannels;
    }

    @Override
    public Set<String> stateParams() {
        Set<String> s = new LinkedHashSet<>();
        for (int i = 1; i <= numBlocks; i++) {
            for (int c = 1; c <= 3; c++) {
                s.add(bnParam(i, c, MEAN));
                s.add(bnParam(i, c, VAR));
            }
        }
        s.add(downBnParam(MEAN));
        s.add(downBnParam(VAR));
        return s;
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        long m = midChannels;
        if (hasShared1x1()) {
            params.addWeightParam(SHARED_1X1, m, 4 * m);
        }
        if (hasShared3x3()) {
            params.addWeightParam(SHARED_3X3, m, m, 3, 3);
        }
        for (int i = 1; i <= numBlocks; i++) {
            if (ownReduce(i)) {
                params.addWeightParam(convParam(i, 1), m, blockIn(i));
            }
            if (ownConv3x3(i)) {
                params.addWeightParam(convParam(i, 2), m, m, 3, 3);
            }
            if (ownExpand(i)) {
                params.addWeightParam(convParam(i, 3), 4 * m, m);
            }
            if (i == 1) {
                params.addWeightParam(downParam(), 4 * m, inChannels);
            }
            for (int c = 1; c <= 3; c++) {
                addBatchNorm(params, bnParam(i, c, ""), c == 3 ? 4 * m : m);
            }
            if (i == 1) {
                addBatchNorm(params, downBnParam(""), 4 * m);
            }
        }
    }

    /** γ, β, running mean and running variance {@code [width]} of the BatchNorm whose names start with prefix. */
    private static void addBatchNorm(SDLayerParams params, String prefix, long width) {
        for (String suffix : new String[] {GAMMA, BETA, MEAN, VAR}) {
            params.addBiasParam(prefix + suffix, width);
        }
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        long m = midChannels;
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            String name = e.getKey();
            if (name.endsWith(GAMMA) || name.endsWith(VAR)) {
                e.getValue().assign(1);
            } else if (name.endsWith(BETA) || name.endsWith(MEAN)) {
                e.getValue().assign(0);
            }
        }
        if (hasShared1x1()) {
            initWeight(params, SHARED_1X1, 4 * m, m);
        }
        if (hasShared3x3()) {
            initWeight(params, SHARED_3X3, 9 * m, 9 * m);
        }
        for (int i = 1; i <= numBlocks; i++) {
            if (ownReduce(i)) {
                initWeight(params, convParam(i, 1), blockIn(i), m);
            }
            if (ownConv3x3(i)) {
                initWeight(params, convParam(i, 2), 9 * m, 9 * m);
            }
            if (ownExpand(i)) {
                initWeight(params, convParam(i, 3), m, 4 * m);
            }
        }
        initWeight(params, downParam(), inChannels, 4 * m);
    }

    // ---- forward pass ----------------------------------------------------------------------------------------

    /**
     * The stage in SameDiff ({@link Engine#SAMEDIFF}); the training flag selects batch or running statistics and
     * registers the running-statistics updates. {@link Engine#DIRECT} computes the same without SameDiff.
     */
    @Override
    public SDVariable define(LayerContext ctx, SDVariable input, Map<String, SDVariable> p, SDVariable mask) {
        SameDiff sd = ctx.sd();
        BatchNorms bn = new BatchNorms(ctx, p);
        Kernels kernels = new Kernels(sd, p);
        long m = midChannels;
        SDVariable x = input;
        for (int i = 1; i <= numBlocks; i++) {
            int s = i == 1 ? stride : 1;
            SDVariable h = conv1x1(sd, x, kernels.matrix(weightUse(i, 1)), m, blockIn(i), 1);
            h = sd.nn.relu(bn.apply(h, bnParam(i, 1, ""), m, i == 1 ? "input" : "output"), 0);
            h = conv3x3(sd, h, kernels.conv3x3(weightUse(i, 2).param()), s);
            h = sd.nn.relu(bn.apply(h, bnParam(i, 2, ""), m, "output"), 0);
            h = conv1x1(sd, h, kernels.matrix(weightUse(i, 3)), 4 * m, m, 1);
            h = bn.apply(h, bnParam(i, 3, ""), 4 * m, "output");
            SDVariable shortcut = x;
            if (i == 1) {
                shortcut = conv1x1(sd, x, kernels.matrix(new WeightUse(downParam(), false)), 4 * m, inChannels, s);
                shortcut = bn.apply(shortcut, downBnParam(""), 4 * m, "output");
            }
            x = sd.nn.relu(h.add(shortcut), 0);
        }
        return x;
    }

    /*
     * Convolutions use SameDiff's conv2d with its default kernel layout [kH, kW, in, out] (YXIO): on 1.0.0-M2.1 the
     * gradient function's copy of conv2d loses any other weightsFormat, and conv2d_bp then fails. Parameters keep
     * DL4J's (and PyTorch's) layout [out, in, kH, kW]; the permutation is a copy of the (small) kernel.
     */

    /**
     * Kernels in conv2d's layout, each built once per parameter use (a shared weight's layout change is one op
     * whose gradient SameDiff sums over all uses).
     */
    private static final class Kernels {
        private final SameDiff sd;
        private final Map<String, SDVariable> p;
        private final Map<WeightUse, SDVariable> matrices = new java.util.HashMap<>();
        private final Map<String, SDVariable> kernels3x3 = new java.util.HashMap<>();

        Kernels(SameDiff sd, Map<String, SDVariable> p) {
            this.sd = sd;
            this.p = p;
        }

        /**
         * The {@code [in, out]} kernel matrix of a 1×1 convolution whose weight is {@code use}: the transpose of the
         * stored {@code [out, in]} matrix, or the stored matrix itself when the convolution uses its transpose.
         */
        SDVariable matrix(WeightUse use) {
            return matrices.computeIfAbsent(use,
                    u -> u.transposed() ? p.get(u.param()) : sd.transpose(p.get(u.param())));
        }

        /** {@code [out, in, 3, 3]} as {@code [3, 3, in, out]}. */
        SDVariable conv3x3(String param) {
            return kernels3x3.computeIfAbsent(param, name -> sd.permute(p.get(name), 2, 3, 1, 0));
        }
    }

    /** 1×1 convolution with the kernel matrix {@code wt [in, out]}. */
    private static SDVariable conv1x1(SameDiff sd, SDVariable x, SDVariable wt, long out, long in, int stride) {
        SDVariable kernel = sd.reshape(wt, 1, 1, in, out);
        return sd.cnn().conv2d(x, kernel, Conv2DConfig.builder().kH(1).kW(1).sH(stride).sW(stride)
                .paddingMode(PaddingMode.VALID).dataFormat(Conv2DConfig.NCHW).build());
    }

    /** 3×3 convolution, padding 1, with the kernel {@code [3, 3, in, out]}. */
    private static SDVariable conv3x3(SameDiff sd, SDVariable x, SDVariable kernel, int stride) {
        return sd.cnn().conv2d(x, kernel, Conv2DConfig.builder().kH(3).kW(3).sH(stride).sW(stride).pH(1).pW(1)
                .paddingMode(PaddingMode.VALID).dataFormat(Conv2DConfig.NCHW).build());
    }

    /**
     * BatchNorm over the channels of NCHW activations, with the training flag choosing the statistics.
     *
     * <p>Composed from elementary SameDiff ops: on 1.0.0-M2.1 the gradient function is built from a serialized
     * copy of the graph that drops fields which are not op arguments, so the fused {@code batchnorm} op loses its
     * axis (its backward pass fails) and {@code variance} loses {@code biasCorrected = false} (its backward pass
     * differentiates the unbiased variance). The variance is therefore {@code mean((z − mean)²)}.
     */
    private final class BatchNorms {
        private final SameDiff sd;
        private final LayerContext ctx;
        private final Map<String, SDVariable> p;
        private final SDVariable training;
        private final SDVariable inference;
        /** {@code momentum·n/(n − 1)} per activation resolution (n values per channel), shared by its BNs. */
        private final Map<String, SDVariable> varUpdateWeights = new java.util.HashMap<>();

        BatchNorms(LayerContext ctx, Map<String, SDVariable> p) {
            this.ctx = ctx;
            this.sd = ctx.sd();
            this.p = p;
            this.training = ctx.training();
            this.inference = training.rsub(1.0);
        }

        /**
         * {@code y = (z − mean)·γ/√(var + eps) + β}, where (mean, var) are the batch mean and biased batch variance
         * in training and the running statistics at inference: with the training flag t (exactly 1 or 0),
         * {@code t·batch + (1 − t)·running}, which is exact. Registers the running-statistics update
         * {@code (1 − momentum)·running + momentum·batch}, with the unbiased batch variance
         * {@code n/(n − 1)·var}.
         *
         * @param z          activations {@code [N, width, H, W]}
         * @param prefix     the BatchNorm's parameter name prefix
         * @param resolution a name for z's resolution: BNs whose inputs have the same N·H·W share it
         */
        SDVariable apply(SDVariable z, String prefix, long width, String resolution) {
            SDVariable runMean = p.get(prefix + MEAN);
            SDVariable runVar = p.get(prefix + VAR);
            SDVariable batchMean = sd.mean(z, false, 0, 2, 3);
            SDVariable mean = batchMean.mul(training).add(runMean.mul(inference));
            SDVariable centered = z.sub(sd.reshape(mean, 1, width, 1, 1));
            SDVariable batchVar = sd.mean(sd.math.square(centered), false, 0, 2, 3); // biased; used in training only
            SDVariable var = batchVar.mul(training).add(runVar.mul(inference));
            SDVariable scale = sd.math.rsqrt(var.add(bnEps)).mul(p.get(prefix + GAMMA));
            SDVariable y = centered.mul(sd.reshape(scale, 1, width, 1, 1))
                    .add(sd.reshape(p.get(prefix + BETA), 1, width, 1, 1));

            SDVariable varWeight = varUpdateWeights.computeIfAbsent(resolution, r -> {
                SDVariable n = sd.prod(sd.shape(z).castTo(ctx.dataType()), 0).div(width);
                return n.mul(bnMomentum).div(n.sub(1.0)); // momentum·n/(n − 1)
            });
            ctx.updateState(prefix + MEAN, runMean.mul(1.0 - bnMomentum).add(batchMean.mul(bnMomentum)));
            ctx.updateState(prefix + VAR, runVar.mul(1.0 - bnMomentum).add(batchVar.mul(varWeight)));
            return y;
        }
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
        return InputType.convolutional(outSize(c.getHeight()), outSize(c.getWidth()), 4 * midChannels,
                CNN2DFormat.NCHW);
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

        /** What is shared; default {@link Sharing#STAGE_FIRST_3X3} (ResNet50-PE's choice in SPEC §3). */
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

        @Override
        @SuppressWarnings("unchecked")
        public SharedBottleneckStage build() {
            String who = "SharedBottleneckStage" + (layerName == null ? "" : " '" + layerName + "'");
            Check.positive(who, "inChannels", inChannels);
            Check.positive(who, "midChannels", midChannels);
            Check.positive(who, "numBlocks", numBlocks);
            Check.positive(who, "stride", stride);
            Check.notNull(who, "sharing", sharing);
            if (!(bnMomentum > 0.0 && bnMomentum <= 1.0)) {
                throw new IllegalArgumentException(who + ": bnMomentum " + bnMomentum + " must be in (0, 1]");
            }
            Check.positive(who, "bnEps", bnEps);
            Check.notNull(who, "engine", engine);
            return new SharedBottleneckStage(this);
        }
    }

    /** Every block's reduce, 3×3 and expand convolutions and the first block's projection shortcut. */
    @Override
    public double forwardFlops(InputType inputType) {
        InputType.InputTypeConvolutional c = requireInputType(inputType);
        long inH = c.getHeight();
        long inW = c.getWidth();
        long outH = outSize(inH);
        long outW = outSize(inW);
        long out = 4 * midChannels;
        double flops = MatmulFlops.convolution(outH, outW, 1, inChannels, out); // projection shortcut
        for (int i = 1; i <= numBlocks; i++) {
            long in = i == 1 ? inChannels : out;
            flops += MatmulFlops.convolution(i == 1 ? inH : outH, i == 1 ? inW : outW, 1, in, midChannels)
                    + MatmulFlops.convolution(outH, outW, 3, midChannels, midChannels)
                    + MatmulFlops.convolution(outH, outW, 1, midChannels, out);
        }
        return flops;
    }

}
