package org.dl4jpe.layers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.dl4jpe.layers.SharedBottleneckStage.Engine;
import org.dl4jpe.layers.SharedBottleneckStage.WeightUse;
import org.dl4jpe.layers.samediff.PeSameDiffLayerImpl;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinearDerivative;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Runs a {@link SharedBottleneckStage} with {@link Engine#DIRECT}: a hand-written forward and backward pass on
 * ND4J's native ops ({@code im2col}, {@code col2im}, matrix products, reductions and broadcasts) that keeps
 * the forward pass's activations for the backward pass. With {@link Engine#SAMEDIFF} it is
 * the SameDiff runtime of {@link PeSameDiffLayerImpl}, running {@link SharedBottleneckStage#define}.
 *
 * <p>Why: the SameDiff runtime computes the forward pass twice per training step (its gradient function
 * recomputes it) and composes each BatchNorm from about twenty small ops whose backward pass allocates full-size
 * temporaries; on ResNet50's stage 3 that made a training step 1.2–1.5× as long as the same stage built from DL4J's
 * layers (this engine: 0.75–0.9×, StageBenchmark). This engine computes what {@code define} computes (the tests hold the two equal), with BatchNorm's
 * closed-form gradient {@code dz = γ·σ⁻¹/n · (n·g − Σg − x̂·Σ(g·x̂))}. Each convolution is
 * {@code im2col} and one matrix product per sample (a 1×1, stride-1 convolution is the product alone), forward and
 * backward; libnd4j's {@code conv2d_bp} and, for the narrow convolutions of small ResNets, its {@code conv2d} were
 * 2–3× slower (no oneDNN in the linux-x86_64 build). BatchNorm is applied as {@code z·scale + shift}
 * (two broadcasts, faster than the fused {@code batchnorm} op here).
 *
 * <p>Intermediate activations live in buffers owned by the layer, outside DL4J's workspaces, reused from one pass
 * to the next while the input shape stays the same; the output and the input gradient handed to DL4J are copies
 * in DL4J's workspaces. The backward pass uses the activations of the latest training forward pass.
 */
final class SharedBottleneckStageImpl extends PeSameDiffLayerImpl {
    /** im2col/col2im integer argument after kH, kW, sH, sW, pH, pW and dilation 1, 1: explicit padding. */
    private static final int NOT_SAME = 0;

    private final transient Map<String, INDArray> buffers = new HashMap<>();
    private transient long[] buffersShape;
    /** What the latest training forward pass kept for the backward pass, per block. */
    private transient List<Block> blocks;
    private transient INDArray blocksInput;

    SharedBottleneckStageImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private SharedBottleneckStage stage() {
        return (SharedBottleneckStage) layerConf();
    }

    /** One convolution followed by BatchNorm: its weight use, geometry, and what training kept. */
    private static final class ConvBn {
        final WeightUse weight;
        final String bn;
        final int kernel;
        final int stride;
        INDArray in;
        /** im2col of {@code in}, {@code [n, in, k, k, outH, outW]}, or {@code in} itself for a 1×1, stride-1 convolution. */
        INDArray cols;
        INDArray z;
        INDArray mean;
        INDArray invStd;

        ConvBn(WeightUse weight, String bn, int kernel, int stride) {
            this.weight = weight;
            this.bn = bn;
            this.kernel = kernel;
            this.stride = stride;
        }
    }

    /** One block: reduce, 3×3 and expand (each with BN), the optional projection shortcut, and its output. */
    private static final class Block {
        final ConvBn[] convs = new ConvBn[3];
        ConvBn down;
        INDArray out;
    }

    private List<Block> layout() {
        SharedBottleneckStage s = stage();
        List<Block> list = new ArrayList<>();
        for (int i = 1; i <= s.getNumBlocks(); i++) {
            Block b = new Block();
            int stride = i == 1 ? s.getStride() : 1;
            b.convs[0] = new ConvBn(s.weightUse(i, 1), SharedBottleneckStage.bnParam(i, 1, ""), 1, 1);
            b.convs[1] = new ConvBn(s.weightUse(i, 2), SharedBottleneckStage.bnParam(i, 2, ""), 3, stride);
            b.convs[2] = new ConvBn(s.weightUse(i, 3), SharedBottleneckStage.bnParam(i, 3, ""), 1, 1);
            if (i == 1) {
                b.down = new ConvBn(new WeightUse(SharedBottleneckStage.downParam(), false),
                        SharedBottleneckStage.downBnParam(""), 1, stride);
            }
            list.add(b);
        }
        return list;
    }

    // ---- DL4J entry points -------------------------------------------------------------------------------------

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        stage().validateInput(input);
        if (training) {
            stage().validateTrainingInput(input);
        }
        if (stage().getEngine() == Engine.SAMEDIFF) {
            return super.activate(training, workspaceMgr);
        }
        INDArray out;
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            out = forward(input.castTo(dataType), training);
        }
        return workspaceMgr.dup(ArrayType.ACTIVATIONS, out);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        if (stage().getEngine() == Engine.SAMEDIFF) {
            return super.backpropGradient(epsilon, workspaceMgr);
        }
        assertInputSet(true);
        if (blocks == null || blocksInput != input) {
            // DL4J always runs a training forward pass on this input first; if it did not, run one now.
            activate(true, workspaceMgr);
        }
        INDArray dx;
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            dx = backward(epsilon.castTo(dataType));
        }
        Gradient g = new DefaultGradient();
        for (String p : paramTable.keySet()) {
            g.gradientForVariable().put(p, gradTable.get(p));
        }
        return new Pair<>(g, workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, dx));
    }

    // ---- forward ---------------------------------------------------------------------------------------------

    private INDArray forward(INDArray x, boolean training) {
        x = x.ordering() == 'c' && !x.isView() ? x : x.dup('c');
        if (!Arrays.equals(x.shape(), buffersShape)) {
            buffers.clear();
            buffersShape = x.shape();
        }
        List<Block> layout = layout();
        for (int i = 0; i < layout.size(); i++) {
            Block b = layout.get(i);
            // Training keeps every block's activations; inference reuses one set (the first block's differ in
            // resolution), alternating the block output so that the shortcut input survives.
            String at = training ? "train" + (i + 1) : "infer" + (i == 0 ? "First" : "");
            INDArray h = convBn(b.convs[0], x, training, at + "a1", true);
            h = convBn(b.convs[1], h, training, at + "a2", true);
            INDArray out = convBn(b.convs[2], h, training, at + "out" + (training ? "" : i % 2), false);
            INDArray shortcut = b.down == null ? x : convBn(b.down, x, training, at + "shortcut", false);
            out.addi(shortcut);
            Nd4j.exec(new RectifiedLinear(out, out, 0.0));
            b.out = out;
            x = out;
        }
        if (training) {
            blocks = layout;
            blocksInput = input;
        }
        return x;
    }

    /**
     * {@code BN(w ⊛ in)}, then ReLU if {@code relu}, into the buffer {@code dst}; in training keeps the convolution
     * input and output and the batch statistics in {@code c}, and updates the running statistics.
     */
    private INDArray convBn(ConvBn c, INDArray in, boolean training, String dst, boolean relu) {
        INDArray w = weightMatrix(c.weight);
        long outChannels = w.size(0);
        long[] outShape = {in.size(0), outChannels, (in.size(2) - 1) / c.stride + 1, (in.size(3) - 1) / c.stride + 1};
        INDArray z = buffer(dst + "z", outShape);
        INDArray cols = columns(c, in, outShape, training ? dst + "cols" : "inferCols");
        long inK = w.size(1);
        long positions = outShape[2] * outShape[3];
        for (long s = 0; s < in.size(0); s++) {
            Nd4j.gemm(w, cols.slice(s).reshape('c', inK, positions), z.slice(s).reshape('c', outChannels, positions),
                    false, false, 1.0, 0.0);
        }

        INDArray runMean = paramTable.get(c.bn + SharedBottleneckStage.MEAN);
        INDArray runVar = paramTable.get(c.bn + SharedBottleneckStage.VAR);
        INDArray mean = runMean;
        INDArray var = runVar;
        if (training) {
            mean = z.mean(0, 2, 3);
            var = z.var(false, 0, 2, 3);
            double n = (double) z.length() / outChannels;
            double momentum = stage().getBnMomentum();
            runMean.muli(1.0 - momentum).addi(mean.mul(momentum));
            runVar.muli(1.0 - momentum).addi(var.mul(momentum * n / (n - 1.0)));
        }
        // y = z·scale + shift, scale = γ/√(var + eps), shift = β − mean·scale (as PyTorch computes it)
        INDArray invStd = Transforms.pow(var.add(stage().getBnEps()), -0.5, false);
        INDArray scale = invStd.mul(paramTable.get(c.bn + SharedBottleneckStage.GAMMA));
        INDArray shift = paramTable.get(c.bn + SharedBottleneckStage.BETA).sub(mean.mul(scale));
        INDArray y = buffer(dst, outShape);
        Nd4j.exec(new BroadcastMulOp(z, scale, y, 1));
        Nd4j.exec(new BroadcastAddOp(y, shift, y, 1));
        if (relu) {
            Nd4j.exec(new RectifiedLinear(y, y, 0.0));
        }
        if (training) {
            c.in = in;
            c.cols = cols;
            c.z = z;
            c.mean = mean;
            c.invStd = invStd;
        }
        return y;
    }

    /**
     * The columns of a convolution's input as {@code [n, in, k, k, outH, outW]} (im2col, into the buffer
     * {@code dst}); a 1×1, stride-1 convolution's input as it is.
     */
    private INDArray columns(ConvBn c, INDArray in, long[] outShape, String dst) {
        if (c.kernel == 1 && c.stride == 1) {
            return in;
        }
        int k = c.kernel;
        int pad = k / 2;
        INDArray cols = buffer(dst, new long[] {in.size(0), in.size(1), k, k, outShape[2], outShape[3]});
        Nd4j.exec(DynamicCustomOp.builder("im2col").addInputs(in).addOutputs(cols)
                .addIntegerArguments(k, k, c.stride, c.stride, pad, pad, 1, 1, NOT_SAME)
                .addFloatingPointArguments(0.0).build());
        return cols;
    }

    /**
     * A weight use as the matrix {@code [out, in·k·k]} of the convolution it performs (a view): a 3×3 weight
     * {@code [out, in, 3, 3]} flattened; a 1×1 weight stored as the matrix {@code M}, {@code M} or, when the
     * convolution uses {@code Mᵀ}, its transpose.
     */
    private INDArray weightMatrix(WeightUse use) {
        INDArray w = paramTable.get(use.param());
        if (w.rank() == 4) {
            return w.reshape('c', w.size(0), w.size(1) * w.size(2) * w.size(3));
        }
        return use.transposed() ? w.transpose() : w;
    }

    /**
     * Adds (or, at a weight's first use in a backward pass, assigns) the gradient {@code dW} of the matrix
     * {@link #weightMatrix} of a weight use to its parameter's gradient.
     */
    private void accumulate(WeightUse use, INDArray dW, Set<String> touched) {
        INDArray view = gradTable.get(use.param());
        INDArray dw;
        if (view.rank() == 4) {
            dw = dW.reshape('c', view.shape());
        } else {
            dw = use.transposed() ? dW.transpose() : dW;
        }
        if (touched.add(use.param())) {
            view.assign(dw);
        } else {
            view.addi(dw);
        }
    }

    // ---- backward --------------------------------------------------------------------------------------------

    private INDArray backward(INDArray epsilon) {
        Set<String> touched = new HashSet<>();
        INDArray g = epsilon.ordering() == 'c' && !epsilon.isView() ? epsilon : epsilon.dup('c');
        for (int i = blocks.size() - 1; i >= 0; i--) {
            Block b = blocks.get(i);
            INDArray pre = buffer("gradPre", b.out.shape());
            Nd4j.exec(new RectifiedLinearDerivative(b.out, g, pre));
            INDArray d = convBnBackward(b.convs[2], pre, touched, "gradH3");
            d = reluBackward(b.convs[2].in, d);
            d = convBnBackward(b.convs[1], d, touched, "gradH2");
            d = reluBackward(b.convs[1].in, d);
            INDArray dx = convBnBackward(b.convs[0], d, touched, "gradX" + (i == 0 ? "first" : ""));
            if (b.down != null) {
                dx.addi(convBnBackward(b.down, pre, touched, "gradShortcut"));
            } else {
                dx.addi(pre);
            }
            g = dx;
        }
        for (Map.Entry<String, INDArray> e : gradTable.entrySet()) {
            if (!touched.contains(e.getKey())) {
                e.getValue().assign(0); // running statistics
            }
        }
        return g;
    }

    /** {@code g·[a > 0]} in place, for the gradient {@code g} at the output {@code a} of a ReLU. */
    private static INDArray reluBackward(INDArray a, INDArray g) {
        Nd4j.exec(new RectifiedLinearDerivative(a, g, g));
        return g;
    }

    /**
     * Back through BN and the convolution of {@code c}: writes the gradients of γ, β and the weight (added up over
     * a shared weight's uses) and returns the gradient at the convolution input, in the buffer {@code dst}.
     */
    private INDArray convBnBackward(ConvBn c, INDArray g, Set<String> touched, String dst) {
        INDArray dz = batchNormBackward(c, g, touched);
        return convBackward(c, dz, touched, dst);
    }

    /**
     * Back through the convolution of {@code c} as matrix products, one sample {@code s} at a time:
     * {@code dW = Σ_s dz_s · cols_sᵀ} and {@code dcols_s = Wᵀ · dz_s}, with {@code W} the weight as a matrix
     * {@code [out, in·k·k]}, {@code cols_s = im2col(in_s)} (the input itself for a 1×1, stride-1 convolution)
     * and the input gradient {@code col2im(dcols)}. Measured 2–3.5× faster than libnd4j's {@code conv2d_bp} on the
     * mini ResNet's convolutions at batch 64, where {@code conv2d_bp} reached about 1 GFLOP/s (it permutes
     * rank-6 arrays element by element).
     */
    private INDArray convBackward(ConvBn c, INDArray dz, Set<String> touched, String dst) {
        INDArray w = weightMatrix(c.weight);
        long n = dz.size(0);
        long outChannels = dz.size(1);
        long positions = dz.size(2) * dz.size(3);
        long inK = w.size(1);
        int pad = c.kernel / 2;
        boolean pointwise = c.cols == c.in;
        INDArray cols = c.cols;
        INDArray dCols = buffer(pointwise ? dst : "gradCols", cols.shape());
        INDArray dW = Nd4j.createUninitialized(dataType, outChannels, inK);
        for (long s = 0; s < n; s++) {
            INDArray dzS = dz.slice(s).reshape('c', outChannels, positions);
            Nd4j.gemm(dzS, cols.slice(s).reshape('c', inK, positions), dW, false, true, 1.0, s == 0 ? 0.0 : 1.0);
            Nd4j.gemm(w, dzS, dCols.slice(s).reshape('c', inK, positions), true, false, 1.0, 0.0);
        }
        accumulate(c.weight, dW, touched);
        if (pointwise) {
            return dCols;
        }
        INDArray dIn = buffer(dst, c.in.shape());
        Nd4j.exec(DynamicCustomOp.builder("col2im").addInputs(dCols).addOutputs(dIn)
                .addIntegerArguments(c.stride, c.stride, pad, pad, (int) c.in.size(2), (int) c.in.size(3), 1, 1, NOT_SAME)
                .build());
        return dIn;
    }

    /**
     * BatchNorm's gradient with batch statistics: {@code dβ = Σg}, {@code dγ = Σ g·x̂} and
     * {@code dz = A·g + B·z + C} per channel, with {@code A = γσ⁻¹}, {@code B = −γσ⁻³·Σ(g·(z − μ))/n} and
     * {@code C = −A·Σg/n − B·μ}: the closed form {@code γσ⁻¹/n·(n·g − Σg − x̂·Σ(g·x̂))} regrouped so that
     * {@code x̂} is never materialized.
     */
    private INDArray batchNormBackward(ConvBn c, INDArray g, Set<String> touched) {
        INDArray z = c.z;
        long channels = z.size(1);
        double n = (double) z.length() / channels;
        INDArray sumG = g.sum(0, 2, 3);
        INDArray sumGz = Nd4j.getExecutioner().exec(new Dot(g, z, Nd4j.createUninitialized(dataType, channels),
                0, 2, 3));
        INDArray sumGCentered = sumGz.sub(c.mean.mul(sumG)); // Σ g·(z − μ)
        INDArray gamma = paramTable.get(c.bn + SharedBottleneckStage.GAMMA);
        gradTable.get(c.bn + SharedBottleneckStage.BETA).assign(sumG);
        gradTable.get(c.bn + SharedBottleneckStage.GAMMA).assign(sumGCentered.mul(c.invStd));
        touched.add(c.bn + SharedBottleneckStage.BETA);
        touched.add(c.bn + SharedBottleneckStage.GAMMA);

        INDArray a = gamma.mul(c.invStd);
        INDArray bCoef = a.mul(c.invStd).muli(c.invStd).muli(sumGCentered).divi(-n);
        INDArray cCoef = a.mul(sumG).divi(-n).subi(bCoef.mul(c.mean));
        INDArray dz = buffer("gradZ", z.shape());
        INDArray tmp = buffer("gradTmp", z.shape());
        Nd4j.exec(new BroadcastMulOp(g, a, dz, 1));
        Nd4j.exec(new BroadcastMulOp(z, bCoef, tmp, 1));
        dz.addi(tmp);
        Nd4j.exec(new BroadcastAddOp(dz, cCoef, dz, 1));
        return dz;
    }

    /**
     * A detached array owned by this layer, one per name and shape, reused from pass to pass. A new input shape
     * drops the buffers of the previous one (arrays that the latest training pass kept stay referenced there).
     */
    private INDArray buffer(String name, long[] shape) {
        String key = name + Arrays.toString(shape);
        INDArray b = buffers.get(key);
        if (b == null) {
            b = Nd4j.createUninitializedDetached(dataType, shape);
            buffers.put(key, b);
        }
        return b;
    }
}
