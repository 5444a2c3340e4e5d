package org.dl4jpe.layers;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.bytedeco.dnnl.dnnl_batch_normalization_desc_t;
import org.bytedeco.dnnl.dnnl_binary_desc_t;
import org.bytedeco.dnnl.dnnl_convolution_desc_t;
import org.bytedeco.dnnl.dnnl_eltwise_desc_t;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.global.dnnl;
import org.dl4jpe.layers.OneDnn.Native;
import org.dl4jpe.layers.OneDnn.Native.Primitive;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The {@link SharedBottleneckStage}'s direct engine on oneDNN in the channels-last (NHWC) layout, for float
 * networks where oneDNN loads ({@link OneDnn#available()}): the same function and gradients as the NCHW passes of
 * {@link SharedBottleneckStageImpl} ({@link DirectConv}, {@link DirectBatchNorm}), which stay for double networks,
 * where oneDNN is absent and with {@code -Ddl4jpe.onednn=false}; {@code OneDnnStageTest} holds the two equal in float
 * (outputs, every gradient, the running statistics).
 *
 * <p>Why: oneDNN's convolution kernels read and write NHWC activations directly, but NCHW ones only after
 * reordering them into a blocked layout and back, on every call; through libnd4j's {@code conv2d} that reordering
 * was most of the mini ResNets' convolution time. Here the stage input is reordered to NHWC once, every convolution,
 * BatchNorm (ReLU fused), residual sum (ReLU fused) and their backward passes run on NHWC arrays. The stage hands its
 * output on in NHWC (an NCHW-shaped view, see {@link SharedBottleneckStageImpl}), so that the next stage reads it in
 * place; an NCHW input (and an NCHW output gradient) is reordered once. A weight is reordered from its stored layout
 * (a kernel {@code [out, in, 3, 3]}, a matrix {@code [out, in]}, or the matrix used transposed, described by its
 * strides) into the layout
 * the convolution asks for at each use; its gradient comes back the same way, added over a shared weight's uses.
 *
 * <p>BatchNorm as in {@link DirectBatchNorm}: batch statistics in training (oneDNN's mean and biased variance), the
 * running statistics in inference, and the running-statistics update applied in the backward pass.
 */
final class OneDnnStage {
    private static final Cleaner CLEANER = Cleaner.create();
    /** Primitives kept: a stage's distinct shapes for three input shapes, with room to spare. */
    private static final int PRIMITIVES = 1024;

    private final OneDnn.State state = new OneDnn.State(PRIMITIVES);
    private final DirectBuffers buffers;
    /** What the latest training forward pass kept, per block. */
    private List<Block> kept;

    OneDnnStage(DirectBuffers buffers) {
        this.buffers = buffers;
        CLEANER.register(this, state);
    }

    /** One convolution + BatchNorm and what its training pass kept. */
    private static final class Conv {
        final StagePlan.Conv plan;
        /** Its input, z = w ⊛ src, the BN output (after ReLU for reduce and 3×3), all NHWC. */
        INDArray src;

        INDArray z;
        INDArray y;
        /** Training: batch mean and biased variance {@code [C]}, the fused ReLU's workspace. */
        INDArray mean;

        INDArray var;
        INDArray workspace;
        /** The BatchNorm's epsilon; whether the running-statistics update is still to be applied. */
        double eps;

        boolean pending;

        Conv(StagePlan.Conv plan) {
            this.plan = plan;
        }
    }

    private static final class Block {
        final Conv[] convs = new Conv[3];
        Conv shortcut;
        INDArray in;
        INDArray out;
    }

    // ---- forward -----------------------------------------------------------------------------------------------

    /**
     * The stage's output for the input {@code x} (NCHW in shape; in memory NCHW, dense, or NHWC, which is read in
     * place), as an NHWC array {@code [n, h, w, c]} in this engine's buffers, valid until its next pass; a training
     * pass keeps what backward needs.
     */
    INDArray forward(StagePlan plan, INDArray x, boolean training, Function<String, INDArray> param, double eps) {
        long n = x.size(0);
        INDArray h = OneDnn.channelsLast(x);
        if (h == null) {
            h = buffers.nd("nhwcIn", n, x.size(2), x.size(3), x.size(1));
            layout(x, h, true);
        }
        List<Block> blocks = new ArrayList<>();
        List<StagePlan.Block> planned = plan.blocks();
        for (int i = 0; i < planned.size(); i++) {
            StagePlan.Block b = planned.get(i);
            String at = training ? "train" + (i + 1) : "infer" + (i == 0 ? "First" : "");
            Block st = new Block();
            st.in = h;
            st.convs[0] = convBn(b.reduce(), h, training, param, eps, at + "a1");
            st.convs[1] = convBn(b.conv3x3(), st.convs[0].y, training, param, eps, at + "a2");
            st.convs[2] = convBn(b.expand(), st.convs[1].y, training, param, eps, at + "y3");
            INDArray residual = h;
            if (b.shortcut() != null) {
                st.shortcut = convBn(b.shortcut(), h, training, param, eps, at + "shortcut");
                residual = st.shortcut.y;
            }
            INDArray y3 = st.convs[2].y;
            INDArray out = buffers.nd(at + "out" + (training ? "" : i % 2), y3.shape());
            state.execute(primitive("add relu " + dims(out), () -> binaryAdd(out, true)), y3, residual, out);
            st.out = out;
            blocks.add(st);
            h = out;
        }
        if (training) {
            kept = blocks;
        }
        return h;
    }

    /** {@code y = relu?(BN(w ⊛ src))} into the buffers {@code dst + "z"} and {@code dst}. */
    private Conv convBn(
            StagePlan.Conv c,
            INDArray src,
            boolean training,
            Function<String, INDArray> param,
            double eps,
            String dst) {
        Conv st = new Conv(c);
        st.src = src;
        st.eps = eps;
        long n = src.size(0);
        long oh = (src.size(1) - 1) / c.stride() + 1;
        long ow = (src.size(2) - 1) / c.stride() + 1;
        st.z = buffers.nd(dst + "z", n, oh, ow, c.out());
        ConvShape shape = new ConvShape(n, c.in(), src.size(1), src.size(2), c.out(), c.kernel(), c.stride());
        INDArray w = param.apply(c.weight().param());
        boolean t = c.weight().transposed();
        Primitive conv =
                primitive("conv " + (training ? "train " : "infer ") + shape, () -> convForward(shape, training));
        INDArray kernel = reordered(w, t, shape, conv, dnnl.dnnl_query_weights_md, "fwd");
        state.execute(conv, src, kernel, st.z);

        String bn = c.bn();
        INDArray gamma = param.apply(bn + BatchNorm.GAMMA);
        INDArray beta = param.apply(bn + BatchNorm.BETA);
        st.y = buffers.nd(dst, st.z.shape());
        String key = "bn " + (training ? "train " : "infer ") + (c.relu() ? "relu " : "") + dims(st.z) + " " + eps;
        Primitive norm = primitive(key, () -> bnForward(st.z, training, c.relu(), eps));
        if (training) {
            st.mean = buffers.nd(dst + "mean", c.out());
            st.var = buffers.nd(dst + "var", c.out());
            st.pending = true;
            if (c.relu()) {
                st.workspace = buffers.nd(dst + "ws", floats(query(norm, dnnl.dnnl_query_workspace_md)));
                state.execute(norm, st.z, st.y, gamma, beta, st.mean, st.var, st.workspace);
            } else {
                state.execute(norm, st.z, st.y, gamma, beta, st.mean, st.var);
            }
        } else {
            state.execute(
                    norm, st.z, st.y, gamma, beta, param.apply(bn + BatchNorm.MEAN), param.apply(bn + BatchNorm.VAR));
        }
        return st;
    }

    // ---- backward ----------------------------------------------------------------------------------------------

    /**
     * Back through the stage from the gradient {@code g} at its output (NCHW in shape; dense NCHW or NHWC in memory):
     * writes every weight's and BatchNorm's gradient (a weight's added up over its uses; the names written go into
     * {@code touched}), applies the running statistics update of the training pass, and returns the gradient at the
     * stage input as an NHWC array {@code [n, h, w, c]} in this engine's buffers.
     */
    INDArray backward(
            INDArray g,
            Function<String, INDArray> param,
            Function<String, INDArray> grad,
            double momentum,
            Set<String> touched) {
        if (kept == null) {
            throw new IllegalStateException("backward before a training forward pass");
        }
        INDArray d = OneDnn.channelsLast(g);
        if (d == null) {
            d = buffers.nd("nhwcGrad", g.size(0), g.size(2), g.size(3), g.size(1));
            layout(g, d, true);
        }
        for (int i = kept.size() - 1; i >= 0; i--) {
            Block b = kept.get(i);
            INDArray pre = buffers.nd("gradPre", b.out.shape());
            state.execute(primitive("relu' " + dims(pre), () -> reluBackward(pre)), b.out, d, pre);
            INDArray dx = convBnBackward(b.convs[2], pre, param, grad, momentum, touched, "gradH3");
            dx = convBnBackward(b.convs[1], dx, param, grad, momentum, touched, "gradH2");
            dx = convBnBackward(b.convs[0], dx, param, grad, momentum, touched, "gradX" + (i == 0 ? "First" : ""));
            INDArray other = b.shortcut == null
                    ? pre
                    : convBnBackward(b.shortcut, pre, param, grad, momentum, touched, "gradShortcut");
            INDArray sum = dx;
            state.execute(primitive("add " + dims(sum), () -> binaryAdd(sum, false)), sum, other, sum);
            d = sum;
        }
        return d;
    }

    private INDArray convBnBackward(
            Conv st,
            INDArray g,
            Function<String, INDArray> param,
            Function<String, INDArray> grad,
            double momentum,
            Set<String> touched,
            String dst) {
        StagePlan.Conv c = st.plan;
        String bn = c.bn();
        INDArray gamma = param.apply(bn + BatchNorm.GAMMA);
        INDArray beta = param.apply(bn + BatchNorm.BETA);
        INDArray dz = buffers.nd("gradZ", st.z.shape());
        Primitive norm = primitive(
                "bn' " + (c.relu() ? "relu " : "") + dims(st.z) + " " + st.eps,
                () -> bnBackward(st.z, c.relu(), st.eps));
        INDArray dGamma = grad.apply(bn + BatchNorm.GAMMA);
        INDArray dBeta = grad.apply(bn + BatchNorm.BETA);
        if (c.relu()) {
            state.execute(norm, st.z, st.mean, st.var, g, gamma, beta, st.workspace, dz, dGamma, dBeta);
        } else {
            state.execute(norm, st.z, st.mean, st.var, g, gamma, beta, dz, dGamma, dBeta);
        }
        touched.add(bn + BatchNorm.GAMMA);
        touched.add(bn + BatchNorm.BETA);
        updateRunning(st, param.apply(bn + BatchNorm.MEAN), param.apply(bn + BatchNorm.VAR), momentum);

        INDArray src = st.src;
        ConvShape shape = new ConvShape(src.size(0), c.in(), src.size(1), src.size(2), c.out(), c.kernel(), c.stride());
        boolean t = c.weight().transposed();
        String wName = c.weight().param();
        boolean first = touched.add(wName);
        Primitive bwdWeights = primitive("conv'w " + shape, () -> convBackwardWeights(shape));
        INDArray dW = buffers.nd("gradW " + shape, floats(query(bwdWeights, dnnl.dnnl_query_diff_weights_md)));
        state.execute(bwdWeights, src, dz, dW);
        INDArray wGrad = grad.apply(wName);
        Primitive back = primitive(
                "reorder w' " + shape + (t ? " t" : "") + (first ? "" : " sum"),
                () -> reorder(query(bwdWeights, dnnl.dnnl_query_diff_weights_md), userWeight(wGrad, t), !first));
        state.execute(back, dW, wGrad);

        Primitive bwdData = primitive("conv'd " + shape, () -> convBackwardData(shape));
        INDArray kernel = reordered(param.apply(wName), t, shape, bwdData, dnnl.dnnl_query_weights_md, "bwd");
        INDArray dSrc = buffers.nd(dst, src.shape());
        state.execute(bwdData, dz, kernel, dSrc);
        return dSrc;
    }

    /** Applies a training pass's running-statistics update, once, as {@link DirectBatchNorm#updateRunning}. */
    private static void updateRunning(Conv st, INDArray runMean, INDArray runVar, double momentum) {
        if (!st.pending) {
            return;
        }
        DirectBatchNorm.Batch b = new DirectBatchNorm.Batch();
        b.mean = st.mean.toDoubleVector();
        b.var = st.var.toDoubleVector();
        b.n = (double) st.z.length() / st.z.size(3);
        b.pending = true;
        DirectBatchNorm.updateRunning(b, runMean, runVar, momentum);
        st.pending = false;
    }

    // ---- primitives --------------------------------------------------------------------------------------------

    /** A convolution's geometry: batch, input channels and size, output channels, kernel, stride. */
    private record ConvShape(long n, long in, long h, long w, long out, int k, int stride) {
        long oh() {
            return (h - 1) / stride + 1;
        }

        long ow() {
            return (w - 1) / stride + 1;
        }

        dnnl_memory_desc_t src() {
            return Native.tagged(dnnl.dnnl_nhwc, n, in, h, w);
        }

        dnnl_memory_desc_t dst() {
            return Native.tagged(dnnl.dnnl_nhwc, n, out, oh(), ow());
        }

        dnnl_memory_desc_t anyWeights() {
            return anyTag(out, in, k, k);
        }

        long[] strides() {
            return new long[] {stride, stride};
        }

        long[] padding() {
            return new long[] {k / 2, k / 2};
        }

        @Override
        public String toString() {
            return n + "x" + in + "x" + h + "x" + w + " -> " + out + " k" + k + " s" + stride;
        }
    }

    private Primitive primitive(String key, java.util.function.Supplier<Primitive> create) {
        return state.primitive(key, create);
    }

    /**
     * The weight {@code w} (its stored layout, transposed if {@code t}) in the layout {@code prim} reads it in (its
     * {@code query} descriptor), in a buffer of this engine.
     */
    private INDArray reordered(INDArray w, boolean t, ConvShape shape, Primitive prim, int query, String use) {
        dnnl_memory_desc_t target = query(prim, query);
        INDArray buf = buffers.nd("w " + use + " " + shape, floats(target));
        Primitive r = primitive(
                "reorder w " + use + " " + shape + (t ? " t" : ""), () -> reorder(userWeight(w, t), target, false));
        state.execute(r, w, buf);
        return buf;
    }

    /**
     * The stored layout of a convolution weight: a kernel {@code [out, in, k, k]} or a matrix {@code [out, in]} as
     * OIHW, or a matrix {@code M [a, b]} used transposed ({@code [b, a]}, 1×1) by its strides.
     */
    private static dnnl_memory_desc_t userWeight(INDArray w, boolean transposed) {
        if (w.rank() == 4) {
            return Native.tagged(dnnl.dnnl_oihw, w.shape());
        }
        long a = w.size(0);
        long b = w.size(1);
        if (!transposed) {
            return Native.tagged(dnnl.dnnl_oihw, a, b, 1, 1);
        }
        return Native.byStrides(new long[] {b, a, 1, 1}, new long[] {1, b, a * b, a * b});
    }

    private static dnnl_memory_desc_t anyTag(long... dims) {
        return Native.tagged(dnnl.dnnl_format_tag_any, dims);
    }

    private static dnnl_memory_desc_t query(Primitive p, int what) {
        return dnnl.dnnl_primitive_desc_query_md(p.pd(), what, 0);
    }

    /** The number of floats that hold a memory of this descriptor. */
    private static long floats(dnnl_memory_desc_t md) {
        return Math.max(1, (dnnl.dnnl_memory_desc_get_size(md) + 3) / 4);
    }

    private static String dims(INDArray a) {
        return java.util.Arrays.toString(a.shape());
    }

    /** Copies the NHWC array {@code nhwc} into {@code nchw}, its values in NCHW order (a dense array). */
    void toNchw(INDArray nhwc, INDArray nchw) {
        layout(nhwc, nchw, false);
    }

    /** Reorders {@code x} between NCHW and NHWC ({@code toNhwc}: x is NCHW, y NHWC of the same logical shape). */
    private void layout(INDArray x, INDArray y, boolean toNhwc) {
        long[] nchw = toNhwc ? x.shape() : new long[] {x.size(0), x.size(3), x.size(1), x.size(2)};
        String key = (toNhwc ? "to nhwc " : "to nchw ") + java.util.Arrays.toString(nchw);
        Primitive r = primitive(key, () -> {
            dnnl_memory_desc_t a = Native.tagged(dnnl.dnnl_nchw, nchw);
            dnnl_memory_desc_t b = Native.tagged(dnnl.dnnl_nhwc, nchw);
            return toNhwc ? reorder(a, b, false) : reorder(b, a, false);
        });
        state.execute(r, x, y);
    }

    private static Primitive reorder(dnnl_memory_desc_t from, dnnl_memory_desc_t to, boolean accumulate) {
        dnnl_primitive_attr attr = accumulate ? Native.postOp(false) : null;
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        Native.check(
                dnnl.dnnl_reorder_primitive_desc_create(pd, from, Native.engine(), to, Native.engine(), attr),
                "reorder");
        if (attr != null) {
            dnnl.dnnl_primitive_attr_destroy(attr);
        }
        return Primitive.of(pd, new int[] {dnnl.DNNL_ARG_FROM, dnnl.DNNL_ARG_TO}, from, to);
    }

    private static dnnl_convolution_desc_t convDesc(ConvShape s, int prop) {
        dnnl_convolution_desc_t d = new dnnl_convolution_desc_t();
        Native.check(
                dnnl.dnnl_convolution_forward_desc_init(
                        d,
                        prop,
                        dnnl.dnnl_convolution_direct,
                        s.src(),
                        s.anyWeights(),
                        null,
                        s.dst(),
                        s.strides(),
                        s.padding(),
                        s.padding()),
                "convolution");
        return d;
    }

    private static Primitive convForward(ConvShape s, boolean training) {
        dnnl_primitive_desc pd =
                Native.pd(convDesc(s, training ? dnnl.dnnl_forward_training : dnnl.dnnl_forward_inference), null);
        return Primitive.of(
                pd,
                new int[] {dnnl.DNNL_ARG_SRC, dnnl.DNNL_ARG_WEIGHTS, dnnl.DNNL_ARG_DST},
                s.src(),
                dnnl.dnnl_primitive_desc_query_md(pd, dnnl.dnnl_query_weights_md, 0),
                s.dst());
    }

    private static Primitive convBackwardData(ConvShape s) {
        dnnl_primitive_desc hint = Native.pd(convDesc(s, dnnl.dnnl_forward_training), null);
        dnnl_convolution_desc_t d = new dnnl_convolution_desc_t();
        Native.check(
                dnnl.dnnl_convolution_backward_data_desc_init(
                        d,
                        dnnl.dnnl_convolution_direct,
                        s.src(),
                        s.anyWeights(),
                        s.dst(),
                        s.strides(),
                        s.padding(),
                        s.padding()),
                "convolution backward data");
        dnnl_primitive_desc pd = Native.pd(d, hint);
        dnnl.dnnl_primitive_desc_destroy(hint);
        return Primitive.of(
                pd,
                new int[] {dnnl.DNNL_ARG_DIFF_DST, dnnl.DNNL_ARG_WEIGHTS, dnnl.DNNL_ARG_DIFF_SRC},
                s.dst(),
                dnnl.dnnl_primitive_desc_query_md(pd, dnnl.dnnl_query_weights_md, 0),
                s.src());
    }

    private static Primitive convBackwardWeights(ConvShape s) {
        dnnl_primitive_desc hint = Native.pd(convDesc(s, dnnl.dnnl_forward_training), null);
        dnnl_convolution_desc_t d = new dnnl_convolution_desc_t();
        Native.check(
                dnnl.dnnl_convolution_backward_weights_desc_init(
                        d,
                        dnnl.dnnl_convolution_direct,
                        s.src(),
                        s.anyWeights(),
                        null,
                        s.dst(),
                        s.strides(),
                        s.padding(),
                        s.padding()),
                "convolution backward weights");
        dnnl_primitive_desc pd = Native.pd(d, hint);
        dnnl.dnnl_primitive_desc_destroy(hint);
        return Primitive.of(
                pd,
                new int[] {dnnl.DNNL_ARG_SRC, dnnl.DNNL_ARG_DIFF_DST, dnnl.DNNL_ARG_DIFF_WEIGHTS},
                s.src(),
                s.dst(),
                dnnl.dnnl_primitive_desc_query_md(pd, dnnl.dnnl_query_diff_weights_md, 0));
    }

    private static dnnl_memory_desc_t nhwc(INDArray a) {
        return Native.tagged(dnnl.dnnl_nhwc, a.size(0), a.size(3), a.size(1), a.size(2));
    }

    private static int bnFlags(boolean training, boolean relu) {
        return dnnl.dnnl_use_scale
                | dnnl.dnnl_use_shift
                | (training ? 0 : dnnl.dnnl_use_global_stats)
                | (relu ? dnnl.dnnl_fuse_norm_relu : 0);
    }

    private static dnnl_primitive_desc bnForwardPd(dnnl_memory_desc_t md, boolean training, boolean relu, double eps) {
        dnnl_batch_normalization_desc_t d = new dnnl_batch_normalization_desc_t();
        Native.check(
                dnnl.dnnl_batch_normalization_forward_desc_init(
                        d,
                        training ? dnnl.dnnl_forward_training : dnnl.dnnl_forward_inference,
                        md,
                        (float) eps,
                        bnFlags(training, relu)),
                "batch normalization");
        return Native.pd(d, null);
    }

    /**
     * BatchNorm forward: training (src, dst, scale, shift, mean, variance [, workspace]) or inference (src, dst,
     * scale, shift, mean, variance as inputs).
     */
    private static Primitive bnForward(INDArray z, boolean training, boolean relu, double eps) {
        dnnl_memory_desc_t md = nhwc(z);
        dnnl_memory_desc_t vec = Native.tagged(dnnl.dnnl_a, z.size(3));
        dnnl_primitive_desc pd = bnForwardPd(md, training, relu, eps);
        int[] args = {
            dnnl.DNNL_ARG_SRC,
            dnnl.DNNL_ARG_DST,
            dnnl.DNNL_ARG_SCALE,
            dnnl.DNNL_ARG_SHIFT,
            dnnl.DNNL_ARG_MEAN,
            dnnl.DNNL_ARG_VARIANCE,
            dnnl.DNNL_ARG_WORKSPACE
        };
        if (training && relu) {
            return Primitive.of(
                    pd,
                    args,
                    md,
                    md,
                    vec,
                    vec,
                    vec,
                    vec,
                    dnnl.dnnl_primitive_desc_query_md(pd, dnnl.dnnl_query_workspace_md, 0));
        }
        return Primitive.of(pd, java.util.Arrays.copyOf(args, 6), md, md, vec, vec, vec, vec);
    }

    /**
     * BatchNorm backward with batch statistics: (src, mean, variance, diff_dst, scale, shift [, workspace],
     * diff_src, diff_scale, diff_shift).
     */
    private static Primitive bnBackward(INDArray z, boolean relu, double eps) {
        dnnl_memory_desc_t md = nhwc(z);
        dnnl_memory_desc_t vec = Native.tagged(dnnl.dnnl_a, z.size(3));
        dnnl_primitive_desc hint = bnForwardPd(md, true, relu, eps);
        dnnl_batch_normalization_desc_t d = new dnnl_batch_normalization_desc_t();
        Native.check(
                dnnl.dnnl_batch_normalization_backward_desc_init(
                        d, dnnl.dnnl_backward, md, md, (float) eps, bnFlags(true, relu)),
                "batch normalization backward");
        dnnl_primitive_desc pd = Native.pd(d, hint);
        dnnl.dnnl_primitive_desc_destroy(hint);
        List<Integer> args = new ArrayList<>(List.of(
                dnnl.DNNL_ARG_SRC,
                dnnl.DNNL_ARG_MEAN,
                dnnl.DNNL_ARG_VARIANCE,
                dnnl.DNNL_ARG_DIFF_DST,
                dnnl.DNNL_ARG_SCALE,
                dnnl.DNNL_ARG_SHIFT));
        List<dnnl_memory_desc_t> descs = new ArrayList<>(List.of(md, vec, vec, md, vec, vec));
        if (relu) {
            args.add(dnnl.DNNL_ARG_WORKSPACE);
            descs.add(dnnl.dnnl_primitive_desc_query_md(pd, dnnl.dnnl_query_workspace_md, 0));
        }
        args.addAll(List.of(dnnl.DNNL_ARG_DIFF_SRC, dnnl.DNNL_ARG_DIFF_SCALE, dnnl.DNNL_ARG_DIFF_SHIFT));
        descs.addAll(List.of(md, vec, vec));
        return Primitive.of(
                pd, args.stream().mapToInt(Integer::intValue).toArray(), descs.toArray(new dnnl_memory_desc_t[0]));
    }

    /** {@code dst = relu?(src0 + src1)} on NHWC arrays of {@code like}'s shape ({@code dst} may be {@code src0}). */
    private static Primitive binaryAdd(INDArray like, boolean relu) {
        dnnl_memory_desc_t md = nhwc(like);
        dnnl_binary_desc_t d = new dnnl_binary_desc_t();
        Native.check(dnnl.dnnl_binary_desc_init(d, dnnl.dnnl_binary_add, md, md, md), "binary");
        dnnl_primitive_attr attr = relu ? Native.postOp(true) : null;
        dnnl_primitive_desc pd = Native.pd(d, attr, null);
        if (attr != null) {
            dnnl.dnnl_primitive_attr_destroy(attr);
        }
        return Primitive.of(pd, new int[] {dnnl.DNNL_ARG_SRC_0, dnnl.DNNL_ARG_SRC_1, dnnl.DNNL_ARG_DST}, md, md, md);
    }

    /** {@code diffSrc = diffDst·[dst > 0]} (ReLU's backward pass from its output): (dst, diff_dst, diff_src). */
    private static Primitive reluBackward(INDArray like) {
        dnnl_memory_desc_t md = nhwc(like);
        dnnl_eltwise_desc_t fd = new dnnl_eltwise_desc_t();
        Native.check(
                dnnl.dnnl_eltwise_forward_desc_init(
                        fd, dnnl.dnnl_forward_training, dnnl.dnnl_eltwise_relu_use_dst_for_bwd, md, 0f, 0f),
                "eltwise");
        dnnl_primitive_desc hint = Native.pd(fd, null);
        dnnl_eltwise_desc_t bd = new dnnl_eltwise_desc_t();
        Native.check(
                dnnl.dnnl_eltwise_backward_desc_init(bd, dnnl.dnnl_eltwise_relu_use_dst_for_bwd, md, md, 0f, 0f),
                "eltwise backward");
        dnnl_primitive_desc pd = Native.pd(bd, hint);
        dnnl.dnnl_primitive_desc_destroy(hint);
        return Primitive.of(
                pd, new int[] {dnnl.DNNL_ARG_DST, dnnl.DNNL_ARG_DIFF_DST, dnnl.DNNL_ARG_DIFF_SRC}, md, md, md);
    }
}
