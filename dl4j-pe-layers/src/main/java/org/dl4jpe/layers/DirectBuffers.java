package org.dl4jpe.layers;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The arrays a direct engine (the transformer layers', the bottleneck stage's, BatchNorm's) owns: native ND4J arrays (detached from DL4J's workspaces) and Java arrays, one per
 * name, reused from pass to pass while the shapes stay the same, and the copies between the two. The native arrays
 * of the {@value #INPUT_SHAPES_KEPT} latest input shapes are kept, so that alternating between a training batch, the
 * epoch's smaller last batch and an evaluation batch allocates nothing (allocating a pass's arrays anew was about
 * 14% of the native samples of a ViT training epoch on the shipped subset, in a JFR profile). Java arrays are
 * {@code double[]} whatever the network's data type, so that one implementation of each kernel serves float and
 * double networks (float values are widened on reading and rounded on writing; the JIT vectorizes both).
 */
final class DirectBuffers {
    private final DataType dataType;
    /** How many input shapes' native arrays are kept. */
    static final int INPUT_SHAPES_KEPT = 3;

    /** The native arrays per input shape, the latest used last. */
    private final LinkedHashMap<String, Map<String, INDArray>> byInput = new LinkedHashMap<>(8, 0.75f, true);
    /** The native arrays of the current input shape. */
    private Map<String, INDArray> nd = new HashMap<>();

    private final Map<String, double[]> host = new HashMap<>();
    /** Rows of ones {@code [1, n]} for {@link #columnSums} and {@link #addToRows}, by {@code n}. */
    private final Map<Long, INDArray> ones = new HashMap<>();

    private float[] floats = new float[0];
    private long[] inputShape;

    DirectBuffers(DataType dataType) {
        this.dataType = dataType;
    }

    DataType dataType() {
        return dataType;
    }

    /** Whether the arithmetic must be accurate to double rounding (a double-precision network). */
    boolean exact() {
        return dataType == DataType.DOUBLE;
    }

    /** A detached native array of the network's data type, one per name and shape, contents undefined. */
    INDArray nd(String name, long... shape) {
        String key = name + Arrays.toString(shape);
        INDArray b = nd.get(key);
        if (b == null) {
            b = Nd4j.createUninitializedDetached(dataType, shape);
            nd.put(key, b);
        }
        return b;
    }

    /** A Java array of {@code length} values, one per name, contents undefined. */
    double[] host(String name, long length) {
        double[] b = host.get(name);
        if (b == null || b.length != length) {
            b = new double[Math.toIntExact(length)];
            host.put(name, b);
        }
        return b;
    }

    /**
     * Call at the start of a pass: selects the native arrays of this input shape (those of the {@value
     * #INPUT_SHAPES_KEPT} latest input shapes are kept; a new shape beyond them drops the oldest shape's). Arrays that
     * the latest training pass kept stay referenced where they were kept.
     */
    void forInput(long[] shape) {
        if (Arrays.equals(shape, inputShape)) {
            return;
        }
        inputShape = shape.clone();
        String key = Arrays.toString(shape);
        Map<String, INDArray> arrays = byInput.get(key);
        if (arrays == null) {
            if (byInput.size() >= INPUT_SHAPES_KEPT) {
                byInput.remove(byInput.keySet().iterator().next());
            }
            arrays = new HashMap<>();
            byInput.put(key, arrays);
        }
        nd = arrays;
    }

    /** Drops every array. */
    void clear() {
        byInput.clear();
        nd = new HashMap<>();
        host.clear();
        ones.clear();
        inputShape = null;
    }

    /** The values of {@code a} in row-major ('c') order, into {@code dst}. */
    double[] read(INDArray a, double[] dst) {
        INDArray c = isDense(a) ? a : nd("dense", a.shape()).assign(a);
        int n = Math.toIntExact(c.length());
        if (c.dataType() == DataType.DOUBLE) {
            c.data().asNioDouble().get(dst, 0, n);
        } else if (c.dataType() == DataType.FLOAT) {
            float[] f = floats(n);
            c.data().asNioFloat().get(f, 0, n);
            for (int i = 0; i < n; i++) {
                dst[i] = f[i];
            }
        } else {
            return read(nd("dense", c.shape()).assign(c), dst);
        }
        return dst;
    }

    /** The values of {@code a} in row-major order, into the Java array {@code name}. */
    double[] read(INDArray a, String name) {
        return read(a, host(name, a.length()));
    }

    /** Writes {@code src} into {@code dst}, an array of {@link #nd}, in row-major order. */
    INDArray write(double[] src, INDArray dst) {
        int n = Math.toIntExact(dst.length());
        if (dataType == DataType.DOUBLE) {
            dst.data().asNioDouble().put(src, 0, n);
        } else {
            float[] f = floats(n);
            for (int i = 0; i < n; i++) {
                f[i] = (float) src[i];
            }
            dst.data().asNioFloat().put(f, 0, n);
        }
        return dst;
    }

    /** Writes {@code src} into a native array {@code name} of {@code shape} and returns it. */
    INDArray write(double[] src, String name, long... shape) {
        return write(src, nd(name, shape));
    }

    /**
     * The column sums of the matrix {@code a [rows, cols]} into {@code out [1, cols]}, as one BLAS product
     * {@code 1ᵀ·a} (ND4J's sum over dimension 0 is a strided reduction: in a ViT training step its bias-gradient
     * sums were 17% of the native samples of a training epoch, in a JFR profile).
     */
    INDArray columnSums(INDArray a, INDArray out) {
        return gemm(onesRow(a.size(0)), a, out, false, false);
    }

    /**
     * {@code c[i] += b} for every row of the matrix {@code c [rows, cols]}, {@code b} a row of {@code cols} values:
     * one rank-1 BLAS update {@code c += 1·b} (ND4J's broadcast add was about 8% of a ViT training step).
     */
    INDArray addToRows(INDArray c, INDArray b) {
        Nd4j.gemm(onesRow(c.size(0)), b.reshape(1, c.size(1)), c, true, false, 1.0, 1.0);
        return c;
    }

    /**
     * {@code c = op(a)·op(b) + 1·bias}: through oneDNN's matmul with the bias fused where {@code ops} can
     * ({@link OneDnn.Ops#matmulBias}: float, contiguous operands), else {@link #gemm} and {@link #addToRows}.
     */
    INDArray gemmBias(
            OneDnn.Ops ops, INDArray a, INDArray b, INDArray bias, INDArray c, boolean transA, boolean transB) {
        if (ops.matmulBias(a, b, bias, c, transA, transB)) {
            return c;
        }
        return addToRows(gemm(a, b, c, transA, transB), bias);
    }

    private INDArray onesRow(long n) {
        INDArray row = ones.get(n);
        if (row == null) {
            row = Nd4j.createUninitializedDetached(dataType, 1, n).assign(1);
            ones.put(n, row);
        }
        return row;
    }

    /** {@code c = op(a)·op(b)} for matrices (BLAS gemm). */
    static INDArray gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB) {
        return Nd4j.gemm(a, b, c, transA, transB, 1.0, 0.0);
    }

    /** {@code c[i] = op(a[i])·op(b[i])} for stacks of matrices {@code [B, rows, cols]} (ND4J's {@code matmul}). */
    static INDArray batchedGemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB) {
        Nd4j.exec(DynamicCustomOp.builder("matmul")
                .addInputs(a, b)
                .addOutputs(c)
                .addIntegerArguments(transA ? 1 : 0, transB ? 1 : 0)
                .build());
        return c;
    }

    private float[] floats(int n) {
        if (floats.length < n) {
            floats = new float[n];
        }
        return floats;
    }

    /** Whether the buffer of {@code a} holds exactly its values, in row-major order. */
    private static boolean isDense(INDArray a) {
        return !a.isView() && a.ordering() == 'c' && a.offset() == 0 && a.data().length() == a.length();
    }
}
