package org.dl4jpe.layers;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.bytedeco.dnnl.const_dnnl_op_desc_t;
import org.bytedeco.dnnl.dnnl_eltwise_desc_t;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_layer_normalization_desc_t;
import org.bytedeco.dnnl.dnnl_matmul_desc_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_post_ops;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_softmax_desc_t;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * oneDNN's vectorized primitives, called on ND4J's float buffers in place (no copies), for the per-row work of the
 * transformer's direct engine: the exact (erf) GELU, the attention's softmax and layer normalization, forward and
 * backward. oneDNN comes from {@code org.bytedeco:dnnl} (its
 * Java bindings and, for the platform, its native library), an optional dependency: where it is absent, or on a
 * backend other than ND4J's CPU one, or with {@code -Ddl4jpe.onednn=false}, the kernels use their Java passes
 * ({@link VectorMath}, the per-row loops of the kernels), which also serve double-precision networks (oneDNN computes in float only).
 *
 * <p>Accuracy in float: the softmax and layer normalization agree with the Java passes to float rounding. The GELU is
 * computed as {@code 0.5·x·(1 + erf(x/√2))} in float, as PyTorch's CPU kernel does: its absolute error is that of
 * float rounding of {@code 1 + erf}, below 3e-7·max(1, |x|), and for x > 0 its relative error is below 1e-6; for
 * x < 0 the relative error grows as GELU shrinks (below x ≈ −5.4, where GELU is below 1e-7 in magnitude, the result
 * is 0). {@link VectorMath#gelu}, within 1 ulp everywhere, is the Java pass. {@code OneDnnTest} holds these bounds
 * and holds a float transformer block with oneDNN equal to the Java passes (outputs and every gradient).
 */
final class OneDnn {
    private static final Logger log = LoggerFactory.getLogger(OneDnn.class);
    /** The system property that turns oneDNN off ({@code false}); on by default where it loads. */
    static final String PROPERTY = "dl4jpe.onednn";

    private static final Cleaner CLEANER = Cleaner.create();
    private static volatile Boolean available;
    private static dnnl_engine engine;

    private OneDnn() {}

    /** Whether oneDNN loads here, the backend is ND4J's CPU one and {@value #PROPERTY} is not {@code false}. */
    static boolean available() {
        Boolean a = available;
        if (a == null) {
            synchronized (OneDnn.class) {
                a = available;
                if (a == null) {
                    a = probe();
                    available = a;
                }
            }
        }
        return a;
    }

    /**
     * Turns oneDNN off, or on again where it loads, for this JVM (tests compare the two paths; applications set
     * {@value #PROPERTY}). Kernels check at every pass.
     */
    static synchronized void use(boolean on) {
        available = on && probe();
    }

    private static boolean probe() {
        if (engine != null) {
            return true;
        }
        if ("false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"))) {
            log.debug("oneDNN turned off by -D{}=false", PROPERTY);
            return false;
        }
        if (!Nd4j.getBackend().getClass().getName().startsWith("org.nd4j.linalg.cpu.")) {
            return false;
        }
        try {
            Class.forName("org.bytedeco.dnnl.global.dnnl");
            return Native.createEngine();
        } catch (ClassNotFoundException | LinkageError e) {
            log.debug("oneDNN (org.bytedeco:dnnl) not usable here: {}", e.toString());
            return false;
        }
    }

    /**
     * Whether {@code a} is a float array whose values are one row-major run of its data buffer (a dense array, or a
     * contiguous view such as a DL4J parameter: ND4J gives a view a buffer of its own that starts at the view's first
     * value).
     */
    static boolean contiguous(INDArray a) {
        return a.dataType() == DataType.FLOAT && a.data().length() >= a.length() && NativeRows.hasRowMajorStrides(a);
    }

    /**
     * The channels-last array {@code [n, h, w, c]} whose NCHW view {@code a} is, when {@code a}'s values lie in memory
     * as a dense NHWC float array (the layout {@link OneDnnStage} hands on); otherwise null.
     */
    static INDArray channelsLast(INDArray a) {
        if (a.rank() != 4 || a.dataType() != DataType.FLOAT) {
            return null;
        }
        INDArray nhwc = a.permute(0, 2, 3, 1);
        return contiguous(nhwc) ? nhwc : null;
    }

    /** Whether {@code a} can be handed to oneDNN as it is: a dense row-major float array. */
    static boolean accepts(INDArray a) {
        return a.dataType() == DataType.FLOAT && NativeRows.isDense(a);
    }

    /**
     * The oneDNN primitives of one kernel (its GELU, softmax or layer normalization, forward and backward), cached
     * per shape, run on dense float arrays in place. One instance per kernel: not thread-safe (each holds its own
     * oneDNN stream). Every method returns false, having done nothing, where oneDNN is unavailable or an array is
     * not a dense row-major float array; the caller then runs its Java pass.
     */
    static final class Ops {
        private final State state = new State(16);

        Ops() {
            CLEANER.register(this, state);
        }

        /** {@code a = gelu(z)} (the exact, erf GELU), element-wise. */
        boolean gelu(INDArray z, INDArray a) {
            long len = z.length();
            return usable(z, a) && same(len, a) && state.run("gelu " + len, () -> Native.gelu(true, len), z, a);
        }

        /** {@code dz = gelu'(z)·da}, element-wise. */
        boolean geluBackward(INDArray z, INDArray da, INDArray dz) {
            long len = z.length();
            return usable(z, da, dz)
                    && same(len, da, dz)
                    && state.run("gelu' " + len, () -> Native.gelu(false, len), z, da, dz);
        }

        /** Row-wise softmax of {@code [rows, cols]}: {@code dst = softmax(src)} ({@code dst} may be {@code src}). */
        boolean softmax(INDArray src, INDArray dst, long rows, long cols) {
            return usable(src, dst)
                    && same(rows * cols, src, dst)
                    && state.run("softmax " + rows + "x" + cols, () -> Native.softmax(true, rows, cols), src, dst);
        }

        /** The softmax's backward pass: {@code dsrc = dst·(ddst − Σ dst·ddst)} per row. */
        boolean softmaxBackward(INDArray dst, INDArray ddst, INDArray dsrc, long rows, long cols) {
            return usable(dst, ddst, dsrc)
                    && same(rows * cols, dst, ddst, dsrc)
                    && state.run(
                            "softmax' " + rows + "x" + cols, () -> Native.softmax(false, rows, cols), dst, ddst, dsrc);
        }

        /**
         * Layer normalization of the rows of {@code x [rows, cols]}: {@code y = (x − mean)/√(var + eps)·gamma + beta};
         * a training pass also writes each row's {@code mean} and {@code var} ({@code [rows]}, for the backward pass;
         * null in inference).
         */
        boolean layerNorm(
                INDArray x,
                INDArray gamma,
                INDArray beta,
                INDArray y,
                INDArray mean,
                INDArray var,
                long rows,
                long cols,
                double eps) {
            boolean training = mean != null;
            if (!(usable(x, gamma, beta, y) && same(rows * cols, x, y) && same(cols, gamma, beta))) {
                return false;
            }
            if (training && !(usable(mean, var) && same(rows, mean, var))) {
                return false;
            }
            String key = (training ? "layer norm train " : "layer norm ") + rows + "x" + cols + " " + eps;
            return training
                    ? state.run(key, () -> Native.layerNorm(1, rows, cols, eps), x, y, gamma, beta, mean, var)
                    : state.run(key, () -> Native.layerNorm(0, rows, cols, eps), x, y, gamma, beta);
        }

        /** Layer normalization's backward pass: {@code dx}, and {@code dgamma}, {@code dbeta} (overwritten). */
        boolean layerNormBackward(
                INDArray x,
                INDArray mean,
                INDArray var,
                INDArray dy,
                INDArray gamma,
                INDArray beta,
                INDArray dx,
                INDArray dgamma,
                INDArray dbeta,
                long rows,
                long cols,
                double eps) {
            if (!(usable(x, mean, var, dy, gamma, beta, dx, dgamma, dbeta)
                    && same(rows * cols, x, dy, dx)
                    && same(rows, mean, var)
                    && same(cols, gamma, beta, dgamma, dbeta))) {
                return false;
            }
            return state.run(
                    "layer norm' " + rows + "x" + cols + " " + eps,
                    () -> Native.layerNorm(2, rows, cols, eps),
                    x,
                    mean,
                    var,
                    dy,
                    gamma,
                    beta,
                    dx,
                    dgamma,
                    dbeta);
        }

        /**
         * {@code c = op(a)·op(b) + bias} (bias a row added to every row) for 2-D float matrices, as one oneDNN matmul
         * with the bias fused; {@code a}, {@code b} and {@code bias} may be views into larger buffers (DL4J's
         * parameter views) as long as each is contiguous in its own layout.
         */
        boolean matmulBias(INDArray a, INDArray b, INDArray bias, INDArray c, boolean transA, boolean transB) {
            if (!available() || !contiguous(a) || !contiguous(b) || !contiguous(bias) || !accepts(c)) {
                return false;
            }
            if (a.rank() != 2 || b.rank() != 2 || c.rank() != 2) {
                return false;
            }
            long m = transA ? a.size(1) : a.size(0);
            long k = transA ? a.size(0) : a.size(1);
            long n = transB ? b.size(0) : b.size(1);
            long kb = transB ? b.size(1) : b.size(0);
            if (k != kb || c.size(0) != m || c.size(1) != n || bias.length() != n) {
                return false;
            }
            String key = "matmul " + m + "x" + k + "x" + n + (transA ? " tA" : "") + (transB ? " tB" : "");
            return state.run(key, () -> Native.matmul(m, k, n, transA, transB), a, b, bias, c);
        }

        /**
         * The per-head products {@link HeadGemm#run} describes, {@code C = op(A)·op(B)} for every sequence and head,
         * as one batched matmul over {@code [n, heads]}: each operand is described by its strides where it lies (a
         * transposed one too), so nothing is copied. The blocks' arrays must be dense float arrays.
         */
        boolean headProducts(
                int n,
                int heads,
                int rows,
                int cols,
                int inner,
                HeadGemm.Blocks a,
                boolean transA,
                HeadGemm.Blocks b,
                boolean transB,
                HeadGemm.Blocks c) {
            if (!usable(a.array(), b.array(), c.array())) {
                return false;
            }
            long[] dimsA = {n, heads, rows, inner};
            long[] dimsB = {n, heads, inner, cols};
            long[] dimsC = {n, heads, rows, cols};
            long[] sa = strides(a, transA);
            long[] sb = strides(b, transB);
            long[] sc = strides(c, false);
            String key = "heads " + Arrays.toString(dimsA) + Arrays.toString(sa) + Arrays.toString(dimsB)
                    + Arrays.toString(sb) + Arrays.toString(dimsC) + Arrays.toString(sc);
            Native.Primitive p = state.primitive(key, () -> Native.matmul(dimsA, sa, dimsB, sb, dimsC, sc));
            state.executeAt(p, at(a), at(b), at(c));
            return true;
        }

        /** The strides of a {@link HeadGemm.Blocks} operand, {@code [sequence, head, row, column]}. */
        private static long[] strides(HeadGemm.Blocks m, boolean transposed) {
            return transposed
                    ? new long[] {m.seqStride(), m.headStride(), 1, m.ld()}
                    : new long[] {m.seqStride(), m.headStride(), m.ld(), 1};
        }

        /** The address of the first value of a {@link HeadGemm.Blocks} operand. */
        private static Pointer at(HeadGemm.Blocks m) {
            return new FloatPointer(m.array().data().addressPointer()).getPointer(m.base());
        }

        private static boolean usable(INDArray... arrays) {
            if (!available()) {
                return false;
            }
            for (INDArray a : arrays) {
                if (!accepts(a)) {
                    return false;
                }
            }
            return true;
        }

        private static boolean same(long length, INDArray... arrays) {
            for (INDArray a : arrays) {
                if (a.length() != length) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * The native objects of one {@link Ops} (or one {@link OneDnnStage}): its stream and its primitives, the
     * {@code capacity} latest used kept by key; freed when the owner is collected.
     */
    static final class State implements Runnable {
        private final int capacity;
        private final Map<String, Native.Primitive> primitives = new LinkedHashMap<>(16, 0.75f, true);
        private dnnl_stream stream;

        State(int capacity) {
            this.capacity = capacity;
        }

        boolean run(String key, Supplier<Native.Primitive> create, INDArray... arrays) {
            execute(primitive(key, create), arrays);
            return true;
        }

        /** Runs {@code p} on these arrays (their data in place) and waits for it. */
        void execute(Native.Primitive p, INDArray... arrays) {
            executeAt(p, Native.Primitive.handles(arrays));
        }

        /** Runs {@code p} on memory at these addresses (one per argument) and waits for it. */
        void executeAt(Native.Primitive p, Pointer... handles) {
            if (stream == null) {
                stream = Native.stream();
            }
            p.executeAt(stream, handles);
        }

        /** The primitive of this key, created by {@code create} on first use. */
        Native.Primitive primitive(String key, Supplier<Native.Primitive> create) {
            Native.Primitive p = primitives.get(key);
            if (p == null) {
                if (primitives.size() >= capacity) {
                    String eldest = primitives.keySet().iterator().next();
                    primitives.remove(eldest).destroy();
                }
                p = create.get();
                primitives.put(key, p);
            }
            return p;
        }

        @Override
        public void run() {
            for (Native.Primitive p : primitives.values()) {
                p.destroy();
            }
            primitives.clear();
            if (stream != null) {
                dnnl.dnnl_stream_destroy(stream);
            }
        }
    }

    /** The calls into oneDNN, in a class of their own so that nothing loads oneDNN where it is absent. */
    static final class Native {
        static boolean createEngine() {
            dnnl_engine e = new dnnl_engine();
            int s = dnnl.dnnl_engine_create(e, dnnl.dnnl_cpu, 0);
            if (s != dnnl.dnnl_success) {
                log.warn("oneDNN is on the class path but its CPU engine did not start (status {}); using Java", s);
                return false;
            }
            engine = e;
            return true;
        }

        static dnnl_stream stream() {
            dnnl_stream s = new dnnl_stream();
            check(dnnl.dnnl_stream_create(s, engine, dnnl.dnnl_stream_default_flags), "stream_create");
            return s;
        }

        /** A dense row-major float memory descriptor of {@code dims}. */
        static dnnl_memory_desc_t desc(long... dims) {
            int tag = switch (dims.length) {
                case 1 -> dnnl.dnnl_a;
                case 2 -> dnnl.dnnl_ab;
                default -> throw new IllegalArgumentException("rank " + dims.length);
            };
            dnnl_memory_desc_t md = new dnnl_memory_desc_t();
            check(dnnl.dnnl_memory_desc_init_by_tag(md, dims.length, dims, dnnl.dnnl_f32, tag), "memory_desc_init");
            return md;
        }

        static dnnl_primitive_desc pd(Pointer opDesc, dnnl_primitive_desc hint) {
            return pd(opDesc, null, hint);
        }

        static dnnl_primitive_desc pd(Pointer opDesc, dnnl_primitive_attr attr, dnnl_primitive_desc hint) {
            dnnl_primitive_desc pd = new dnnl_primitive_desc();
            check(dnnl.dnnl_primitive_desc_create(pd, new const_dnnl_op_desc_t(opDesc), attr, engine, hint), "pd");
            return pd;
        }

        /** A float memory descriptor of logical {@code dims} in the layout {@code tag} (e.g. {@code dnnl_nhwc}). */
        static dnnl_memory_desc_t tagged(int tag, long... dims) {
            dnnl_memory_desc_t md = new dnnl_memory_desc_t();
            check(dnnl.dnnl_memory_desc_init_by_tag(md, dims.length, dims, dnnl.dnnl_f32, tag), "memory_desc_init");
            return md;
        }

        /** A float memory descriptor of logical {@code dims} with these strides (in elements). */
        static dnnl_memory_desc_t byStrides(long[] dims, long[] strides) {
            dnnl_memory_desc_t md = new dnnl_memory_desc_t();
            check(
                    dnnl.dnnl_memory_desc_init_by_strides(md, dims.length, dims, dnnl.dnnl_f32, strides),
                    "memory_desc_init_by_strides");
            return md;
        }

        /** An attribute with one post-op: ReLU ({@code relu}) or a sum into the destination. */
        static dnnl_primitive_attr postOp(boolean relu) {
            dnnl_post_ops po = new dnnl_post_ops();
            check(dnnl.dnnl_post_ops_create(po), "post_ops_create");
            check(
                    relu
                            ? dnnl.dnnl_post_ops_append_eltwise(po, 1f, dnnl.dnnl_eltwise_relu, 0f, 0f)
                            : dnnl.dnnl_post_ops_append_sum(po, 1f),
                    "post_ops_append");
            dnnl_primitive_attr attr = new dnnl_primitive_attr();
            check(dnnl.dnnl_primitive_attr_create(attr), "attr_create");
            check(dnnl.dnnl_primitive_attr_set_post_ops(attr, po), "attr_set_post_ops");
            dnnl.dnnl_post_ops_destroy(po);
            return attr;
        }

        static dnnl_engine engine() {
            return engine;
        }

        /** GELU over {@code length} contiguous floats: forward (src, dst) or backward (src, diff_dst, diff_src). */
        static Primitive gelu(boolean forward, long length) {
            dnnl_memory_desc_t md = desc(length);
            dnnl_eltwise_desc_t fd = new dnnl_eltwise_desc_t();
            int prop = forward ? dnnl.dnnl_forward_inference : dnnl.dnnl_forward_training;
            check(dnnl.dnnl_eltwise_forward_desc_init(fd, prop, dnnl.dnnl_eltwise_gelu_erf, md, 0f, 0f), "eltwise");
            dnnl_primitive_desc fpd = pd(fd, null);
            if (forward) {
                return Primitive.of(fpd, new int[] {dnnl.DNNL_ARG_SRC, dnnl.DNNL_ARG_DST}, md, md);
            }
            dnnl_eltwise_desc_t bd = new dnnl_eltwise_desc_t();
            check(dnnl.dnnl_eltwise_backward_desc_init(bd, dnnl.dnnl_eltwise_gelu_erf, md, md, 0f, 0f), "eltwise'");
            dnnl_primitive_desc bpd = pd(bd, fpd);
            dnnl.dnnl_primitive_desc_destroy(fpd);
            return Primitive.of(
                    bpd, new int[] {dnnl.DNNL_ARG_SRC, dnnl.DNNL_ARG_DIFF_DST, dnnl.DNNL_ARG_DIFF_SRC}, md, md, md);
        }

        /** Softmax over the last axis of {@code [rows, cols]}: forward (src, dst) or backward (dst, diff_dst, diff_src). */
        static Primitive softmax(boolean forward, long rows, long cols) {
            dnnl_memory_desc_t md = desc(rows, cols);
            dnnl_softmax_desc_t fd = new dnnl_softmax_desc_t();
            int prop = forward ? dnnl.dnnl_forward_inference : dnnl.dnnl_forward_training;
            check(dnnl.dnnl_softmax_forward_desc_init(fd, prop, md, 1), "softmax");
            dnnl_primitive_desc fpd = pd(fd, null);
            if (forward) {
                return Primitive.of(fpd, new int[] {dnnl.DNNL_ARG_SRC, dnnl.DNNL_ARG_DST}, md, md);
            }
            dnnl_softmax_desc_t bd = new dnnl_softmax_desc_t();
            check(dnnl.dnnl_softmax_backward_desc_init(bd, md, md, 1), "softmax'");
            dnnl_primitive_desc bpd = pd(bd, fpd);
            dnnl.dnnl_primitive_desc_destroy(fpd);
            return Primitive.of(
                    bpd, new int[] {dnnl.DNNL_ARG_DST, dnnl.DNNL_ARG_DIFF_DST, dnnl.DNNL_ARG_DIFF_SRC}, md, md, md);
        }

        /**
         * Layer normalization of {@code [rows, cols]} with scale and shift; {@code mode} 0: inference (src, dst, scale,
         * shift), 1: training (and mean, variance), 2: backward (src, mean, variance, diff_dst, scale, shift, diff_src,
         * diff_scale, diff_shift).
         */
        static Primitive layerNorm(int mode, long rows, long cols, double eps) {
            dnnl_memory_desc_t md = desc(rows, cols);
            dnnl_memory_desc_t stat = desc(rows);
            dnnl_memory_desc_t vec = desc(cols);
            int flags = dnnl.dnnl_use_scale | dnnl.dnnl_use_shift;
            dnnl_layer_normalization_desc_t fd = new dnnl_layer_normalization_desc_t();
            int prop = mode == 0 ? dnnl.dnnl_forward_inference : dnnl.dnnl_forward_training;
            check(
                    dnnl.dnnl_layer_normalization_forward_desc_init(fd, prop, md, stat, (float) eps, flags),
                    "layer norm");
            dnnl_primitive_desc fpd = pd(fd, null);
            if (mode == 0) {
                return Primitive.of(
                        fpd,
                        new int[] {dnnl.DNNL_ARG_SRC, dnnl.DNNL_ARG_DST, dnnl.DNNL_ARG_SCALE, dnnl.DNNL_ARG_SHIFT},
                        md,
                        md,
                        vec,
                        vec);
            }
            if (mode == 1) {
                return Primitive.of(
                        fpd,
                        new int[] {
                            dnnl.DNNL_ARG_SRC,
                            dnnl.DNNL_ARG_DST,
                            dnnl.DNNL_ARG_SCALE,
                            dnnl.DNNL_ARG_SHIFT,
                            dnnl.DNNL_ARG_MEAN,
                            dnnl.DNNL_ARG_VARIANCE
                        },
                        md,
                        md,
                        vec,
                        vec,
                        stat,
                        stat);
            }
            dnnl_layer_normalization_desc_t bd = new dnnl_layer_normalization_desc_t();
            check(
                    dnnl.dnnl_layer_normalization_backward_desc_init(
                            bd, dnnl.dnnl_backward, md, md, stat, (float) eps, flags),
                    "layer norm'");
            dnnl_primitive_desc bpd = pd(bd, fpd);
            dnnl.dnnl_primitive_desc_destroy(fpd);
            return Primitive.of(
                    bpd,
                    new int[] {
                        dnnl.DNNL_ARG_SRC, dnnl.DNNL_ARG_MEAN, dnnl.DNNL_ARG_VARIANCE, dnnl.DNNL_ARG_DIFF_DST,
                        dnnl.DNNL_ARG_SCALE, dnnl.DNNL_ARG_SHIFT, dnnl.DNNL_ARG_DIFF_SRC, dnnl.DNNL_ARG_DIFF_SCALE,
                        dnnl.DNNL_ARG_DIFF_SHIFT
                    },
                    md,
                    stat,
                    stat,
                    md,
                    vec,
                    vec,
                    md,
                    vec,
                    vec);
        }

        /**
         * {@code dst [m, n] = src [m, k]·weights [k, n] + bias [1, n]}; a transposed operand is described by its
         * strides (its buffer holds the matrix the other way round).
         */
        static Primitive matmul(long m, long k, long n, boolean transA, boolean transB) {
            dnnl_memory_desc_t src = strided(m, k, transA);
            dnnl_memory_desc_t wei = strided(k, n, transB);
            dnnl_memory_desc_t bias = desc(1, n);
            dnnl_memory_desc_t dst = desc(m, n);
            dnnl_matmul_desc_t md = new dnnl_matmul_desc_t();
            check(dnnl.dnnl_matmul_desc_init(md, src, wei, bias, dst), "matmul");
            return Primitive.of(
                    pd(md, null),
                    new int[] {dnnl.DNNL_ARG_SRC, dnnl.DNNL_ARG_WEIGHTS, dnnl.DNNL_ARG_BIAS, dnnl.DNNL_ARG_DST},
                    src,
                    wei,
                    bias,
                    dst);
        }

        /** {@code dst = src·weights}, batched over the leading dimensions, every operand given by its strides. */
        static Primitive matmul(
                long[] srcDims,
                long[] srcStrides,
                long[] weiDims,
                long[] weiStrides,
                long[] dstDims,
                long[] dstStrides) {
            dnnl_memory_desc_t src = byStrides(srcDims, srcStrides);
            dnnl_memory_desc_t wei = byStrides(weiDims, weiStrides);
            dnnl_memory_desc_t dst = byStrides(dstDims, dstStrides);
            dnnl_matmul_desc_t md = new dnnl_matmul_desc_t();
            check(dnnl.dnnl_matmul_desc_init(md, src, wei, null, dst), "matmul");
            return Primitive.of(
                    pd(md, null),
                    new int[] {dnnl.DNNL_ARG_SRC, dnnl.DNNL_ARG_WEIGHTS, dnnl.DNNL_ARG_DST},
                    src,
                    wei,
                    dst);
        }

        /** A {@code [rows, cols]} float matrix, row-major or (transposed) stored as its transpose. */
        static dnnl_memory_desc_t strided(long rows, long cols, boolean transposed) {
            dnnl_memory_desc_t md = new dnnl_memory_desc_t();
            long[] strides = transposed ? new long[] {1, rows} : new long[] {cols, 1};
            check(
                    dnnl.dnnl_memory_desc_init_by_strides(md, 2, new long[] {rows, cols}, dnnl.dnnl_f32, strides),
                    "memory_desc_init_by_strides");
            return md;
        }

        static void check(int status, String what) {
            if (status != dnnl.dnnl_success) {
                throw new IllegalStateException("oneDNN " + what + " failed with status " + status);
            }
        }

        /** A primitive with one memory object per argument, whose data handle is set to each call's array. */
        record Primitive(
                dnnl_primitive prim, dnnl_primitive_desc pd, List<dnnl_memory> memories, dnnl_exec_arg_t exec) {
            static Primitive of(dnnl_primitive_desc pd, int[] args, dnnl_memory_desc_t... descs) {
                dnnl_primitive prim = new dnnl_primitive();
                check(dnnl.dnnl_primitive_create(prim, pd), "primitive_create");
                List<dnnl_memory> memories = new ArrayList<>();
                dnnl_exec_arg_t exec = new dnnl_exec_arg_t(args.length);
                for (int i = 0; i < args.length; i++) {
                    dnnl_memory m = new dnnl_memory();
                    check(dnnl.dnnl_memory_create(m, descs[i], engine, (Pointer) null), "memory_create");
                    memories.add(m);
                    exec.position(i).arg(args[i]).memory(m);
                }
                exec.position(0);
                return new Primitive(prim, pd, memories, exec);
            }

            /** Runs on memory at these addresses (one per argument) and waits for it. */
            void executeAt(dnnl_stream stream, Pointer... handles) {
                if (handles.length != memories.size()) {
                    throw new IllegalArgumentException(memories.size() + " addresses expected, not " + handles.length);
                }
                for (int i = 0; i < handles.length; i++) {
                    check(dnnl.dnnl_memory_set_data_handle(memories.get(i), handles[i]), "set_data_handle");
                }
                check(dnnl.dnnl_primitive_execute(prim, stream, handles.length, exec), "execute");
                check(dnnl.dnnl_stream_wait(stream), "stream_wait");
            }

            /** The address of each array's first value (a view's buffer starts there). */
            static Pointer[] handles(INDArray... arrays) {
                Pointer[] h = new Pointer[arrays.length];
                for (int i = 0; i < arrays.length; i++) {
                    h[i] = arrays[i].data().addressPointer();
                }
                return h;
            }

            void destroy() {
                for (dnnl_memory m : memories) {
                    dnnl.dnnl_memory_destroy(m);
                }
                dnnl.dnnl_primitive_destroy(prim);
                dnnl.dnnl_primitive_desc_destroy(pd);
                exec.close();
            }
        }
    }
}
