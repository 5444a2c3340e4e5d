package org.dl4jpe.layers;

import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Convolutions without bias, padding {@code kernel / 2}, NCHW, for the direct engines: forward and backward, with a
 * weight stored as {@code [out, in, k, k]} or, for 1×1 convolutions, as a matrix {@code [out, in]} that may be used
 * transposed ({@code Mᵀ}). Two kernels compute the same (the stage's tests run both):
 * <ul>
 *   <li>{@link Kernel#IM2COL_GEMM}: {@code im2col} and one matrix product per sample (a 1×1, stride-1 convolution is
 *       the product alone), and {@code col2im} back. On the plain {@code linux-x86_64} / {@code -avx2} /
 *       {@code -avx512} builds of nd4j-native this is 2–13× faster than libnd4j's {@code conv2d_bp} (measured at the
 *       mini ResNet's shapes, batch 64: {@code conv2d_bp} 80–335 ms per call against 6–32 ms).</li>
 *   <li>{@link Kernel#CONV2D}: libnd4j's {@code conv2d} / {@code conv2d_bp} ops, which the {@code -onednn} builds
 *       run on oneDNN (float32; double falls back to libnd4j's generic code).</li>
 * </ul>
 * {@link #kernel(int, int, long, long, long)} picks per convolution. Without oneDNN (or with libnd4j's helpers
 * disallowed) it is always IM2COL_GEMM. With oneDNN it is IM2COL_GEMM for a 1×1 stride-1 convolution with at least
 * 28×28 output positions and for any convolution with in·out ≥ 65,536 (e.g. 256→256), else CONV2D. Measured (thread
 * CPU time of forward + backward on one core, the mini ResNet's shapes at batch 64 and ResNet50's at batch 8):
 * oneDNN's 3×3 is 2–7× faster on up to 128 channels, its 1×1 at 28×28 and above 10–60% slower (it reorders the
 * NCHW activations to its blocked layout and back on every call), and its 3×3 backward pass on 256 channels at
 * 14×14 and 512 at 7×7 1.4× and 3.4× slower than im2col + gemm; the small 1×1 convolutions at 14×14 and 7×7 of the
 * mini ResNet are about level or slightly faster on oneDNN. The system property {@code org.dl4jpe.conv}
 * ({@code auto}, {@code im2col}, {@code conv2d}) overrides the choice for every convolution.
 *
 * <p>Who uses it: the stem ({@link BiasFreeConvolution}) always, and the {@link SharedBottleneckStage}'s NCHW passes
 * (double networks, or float where {@code org.bytedeco:dnnl} is absent or turned off). A float stage where that jar
 * loads runs its convolutions on {@link OneDnnStage} instead, in NHWC, where oneDNN reorders nothing per call.
 */
final class DirectConv {
    private static final Logger LOG = LoggerFactory.getLogger(DirectConv.class);
    /** im2col/col2im and conv2d integer argument after the geometry: explicit padding. */
    private static final int NOT_SAME = 0;
    /** conv2d's data format argument: NCHW. */
    private static final int NCHW = 0;
    /** conv2d's weight formats: [kH, kW, in, out] and [out, in, kH, kW]. */
    private static final int YXIO = 0;

    private static final int OIYX = 1;

    /** How a convolution is computed. */
    enum Kernel {
        IM2COL_GEMM,
        CONV2D
    }

    /** On oneDNN builds: 1×1 stride-1 convolutions with this many output positions per sample use im2col + gemm. */
    static final long GEMM_MIN_POSITIONS = 28 * 28;
    /** On oneDNN builds: convolutions with in·out at least this use im2col + gemm. */
    static final long GEMM_MIN_CHANNEL_PRODUCT = 65_536;

    private static volatile Boolean onednn;
    private static volatile Kernel forced;

    private DirectConv() {}

    /** Whether the loaded libnd4j was built with oneDNN (its build information says {@code HAVE_ONEDNN}). */
    static boolean hasOnednn() {
        Boolean b = onednn;
        if (b == null) {
            String info;
            try {
                Nd4j.getExecutioner(); // the backend first: it loads the native library NativeOpsHolder reads
                info = NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo();
            } catch (RuntimeException | LinkageError e) {
                info = "";
            }
            b = info != null && info.contains("HAVE_ONEDNN");
            onednn = b;
            LOG.debug("libnd4j {} oneDNN", b ? "has" : "has no");
        }
        return b;
    }

    /**
     * The kernel for a {@code k}×{@code k} convolution of this stride from {@code in} to {@code out} channels with
     * {@code outPositions} output positions per sample (see the class comment).
     */
    static Kernel kernel(int k, int stride, long in, long out, long outPositions) {
        Kernel f = forced;
        if (f != null) {
            return f;
        }
        String p = System.getProperty("org.dl4jpe.conv", "auto").toLowerCase(Locale.ROOT);
        switch (p) {
            case "im2col":
                return Kernel.IM2COL_GEMM;
            case "conv2d":
                return Kernel.CONV2D;
            case "auto":
                return hasOnednn() && Nd4j.getEnvironment().helpersAllowed()
                        ? onednnChoice(k, stride, in, out, outPositions)
                        : Kernel.IM2COL_GEMM;
            default:
                throw new IllegalArgumentException(
                        "system property org.dl4jpe.conv is '" + p + "'; valid: auto, im2col, conv2d");
        }
    }

    /** The kernel for a convolution on a oneDNN build (see the class comment for the measurements). */
    static Kernel onednnChoice(int k, int stride, long in, long out, long outPositions) {
        boolean gemm =
                (k == 1 && stride == 1 && outPositions >= GEMM_MIN_POSITIONS) || in * out >= GEMM_MIN_CHANNEL_PRODUCT;
        return gemm ? Kernel.IM2COL_GEMM : Kernel.CONV2D;
    }

    /** For tests: use this kernel for every convolution (null: back to {@link #kernel(int, int, long, long, long)}). */
    static void force(Kernel k) {
        forced = k;
    }

    /** A convolution's weight as used: the stored parameter (and its gradient view) and whether it is transposed. */
    record Weight(INDArray param, INDArray grad, boolean transposed) {}

    /** What a forward pass keeps for the backward pass of one convolution. */
    static final class Kept {
        Kernel kernel;
        INDArray in;
        /** IM2COL_GEMM: {@code [n, in, k, k, outH, outW]}, or {@code in} itself for a 1×1, stride-1 convolution. */
        INDArray cols;
    }

    /** Output shape of a convolution of {@code in} with this kernel size and stride to {@code outChannels}. */
    static long[] outShape(INDArray in, long outChannels, int stride) {
        return new long[] {in.size(0), outChannels, (in.size(2) - 1) / stride + 1, (in.size(3) - 1) / stride + 1};
    }

    /**
     * {@code z = w ⊛ in} into {@code z}; {@code colsBuffer} (shape {@code [n, in, k, k, outH, outW]}) holds the
     * columns where the kernel needs them. Returns what the backward pass needs.
     */
    static Kept forward(Weight w, int k, int stride, INDArray in, INDArray z, DirectBuffers buffers, String colsName) {
        Kept kept = new Kept();
        kept.kernel = kernel(k, stride, in.size(1), z.size(1), z.size(2) * z.size(3));
        kept.in = in;
        if (kept.kernel == Kernel.CONV2D) {
            Nd4j.exec(DynamicCustomOp.builder("conv2d")
                    .addInputs(in, convWeight(w.param(), w.transposed(), k))
                    .addOutputs(z)
                    .addIntegerArguments(geometry(k, stride, w.transposed()))
                    .build());
            return kept;
        }
        INDArray m = stored(w.param());
        long outChannels = z.size(1);
        long positions = z.size(2) * z.size(3);
        INDArray cols = in;
        if (k != 1 || stride != 1) {
            cols = buffers.nd(colsName, in.size(0), in.size(1), k, k, z.size(2), z.size(3));
            Nd4j.exec(DynamicCustomOp.builder("im2col")
                    .addInputs(in)
                    .addOutputs(cols)
                    .addIntegerArguments(k, k, stride, stride, k / 2, k / 2, 1, 1, NOT_SAME)
                    .addFloatingPointArguments(0.0)
                    .build());
        }
        long inK = cols.length() / (in.size(0) * positions);
        for (long s = 0; s < in.size(0); s++) {
            Nd4j.gemm(
                    m,
                    cols.slice(s).reshape('c', inK, positions),
                    z.slice(s).reshape('c', outChannels, positions),
                    w.transposed(),
                    false,
                    1.0,
                    0.0);
        }
        kept.cols = cols;
        return kept;
    }

    /**
     * Back through the convolution: adds its weight gradient to {@code w.grad()} (assigns it when {@code first})
     * and returns the gradient at its input, in the buffer {@code dst}.
     *
     * <p>IM2COL_GEMM, one sample {@code s} at a time: {@code dW = Σ_s dz_s · cols_sᵀ}, {@code dcols_s = Wᵀ · dz_s},
     * then {@code col2im(dcols)}.
     */
    static INDArray backward(
            Weight w, int k, int stride, Kept kept, INDArray dz, boolean first, DirectBuffers buffers, String dst) {
        INDArray in = kept.in;
        if (kept.kernel == Kernel.CONV2D) {
            INDArray kernelW = convWeight(w.param(), w.transposed(), k);
            INDArray gradW = first ? convWeight(w.grad(), w.transposed(), k) : buffers.nd("gradW", kernelW.shape());
            INDArray dIn = buffers.nd(dst, in.shape());
            Nd4j.exec(DynamicCustomOp.builder("conv2d_bp")
                    .addInputs(in, kernelW, dz)
                    .addOutputs(dIn, gradW)
                    .addIntegerArguments(geometry(k, stride, w.transposed()))
                    .build());
            if (!first) {
                convWeight(w.grad(), w.transposed(), k).addi(gradW);
            }
            return dIn;
        }
        // the used matrix U is M or, transposed, Mᵀ (M as stored): dU = Σ dz_s·cols_sᵀ, i.e. dM = Σ cols_s·dz_sᵀ
        // when transposed; dcols_s = Uᵀ·dz_s
        INDArray m = stored(w.param());
        boolean t = w.transposed();
        long n = dz.size(0);
        long outChannels = dz.size(1);
        long positions = dz.size(2) * dz.size(3);
        boolean pointwise = kept.cols == in;
        INDArray cols = kept.cols;
        long inK = cols.length() / (n * positions);
        INDArray dCols = buffers.nd(pointwise ? dst : "gradCols", cols.shape());
        INDArray grad = stored(w.grad());
        boolean direct = first && grad.ordering() == 'c' && grad.elementWiseStride() == 1;
        INDArray target = direct ? grad : buffers.nd("gradW", m.shape());
        for (long s = 0; s < n; s++) {
            INDArray dzS = dz.slice(s).reshape('c', outChannels, positions);
            INDArray colsS = cols.slice(s).reshape('c', inK, positions);
            double beta = s == 0 ? 0.0 : 1.0;
            if (t) {
                Nd4j.gemm(colsS, dzS, target, false, true, 1.0, beta);
            } else {
                Nd4j.gemm(dzS, colsS, target, false, true, 1.0, beta);
            }
            Nd4j.gemm(m, dzS, dCols.slice(s).reshape('c', inK, positions), !t, false, 1.0, 0.0);
        }
        if (target != grad) {
            if (first) {
                grad.assign(target);
            } else {
                grad.addi(target);
            }
        }
        if (pointwise) {
            return dCols;
        }
        INDArray dIn = buffers.nd(dst, in.shape());
        Nd4j.exec(DynamicCustomOp.builder("col2im")
                .addInputs(dCols)
                .addOutputs(dIn)
                .addIntegerArguments(stride, stride, k / 2, k / 2, (int) in.size(2), (int) in.size(3), 1, 1, NOT_SAME)
                .build());
        return dIn;
    }

    /** A weight as stored, as a matrix (a view): a kernel {@code [out, in, k, k]} as {@code [out, in·k·k]}. */
    private static INDArray stored(INDArray w) {
        return w.rank() == 4 ? w.reshape('c', w.size(0), w.size(1) * w.size(2) * w.size(3)) : w;
    }

    /**
     * A weight in a layout conv2d reads without a copy: {@code [out, in, k, k]} (format OIYX); a 1×1 matrix
     * {@code [out, in]} as {@code [out, in, 1, 1]} (OIYX), or used transposed as {@code [1, 1, out, in]}, which is
     * {@code [kH, kW, in', out']} of the transposed convolution (format YXIO).
     */
    private static INDArray convWeight(INDArray w, boolean transposed, int k) {
        if (w.rank() == 4) {
            return w;
        }
        if (k != 1) {
            throw new IllegalStateException("a matrix weight " + java.util.Arrays.toString(w.shape()) + " for a " + k
                    + "x" + k + " convolution");
        }
        return transposed ? w.reshape('c', 1, 1, w.size(0), w.size(1)) : w.reshape('c', w.size(0), w.size(1), 1, 1);
    }

    private static int[] geometry(int k, int stride, boolean transposed) {
        return new int[] {k, k, stride, stride, k / 2, k / 2, 1, 1, NOT_SAME, NCHW, transposed ? YXIO : OIYX};
    }
}
