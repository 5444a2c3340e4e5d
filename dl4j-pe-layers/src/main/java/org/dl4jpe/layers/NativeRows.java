package org.dl4jpe.layers;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Java's view of a dense row-major native array of float or double values, read and written a row (or any run of
 * values) at a time into short {@code double[]} scratch arrays: the transformer kernels keep their activations in
 * native arrays of the network's data type (float32 in float networks: half the memory and memory traffic of
 * double) and do their per-row arithmetic in double on a row that stays in the L1 cache, so one implementation
 * serves float and double networks and a double network's arithmetic is exact to double rounding.
 */
final class NativeRows {
    private final FloatBuffer floats;
    private final DoubleBuffer doubles;
    private float[] tmp;

    /** @param a dense, row-major ({@code DirectBuffers.nd}, or a DL4J array checked with {@link #isDense}) */
    NativeRows(INDArray a) {
        if (!isDense(a)) {
            throw new IllegalArgumentException("not a dense row-major array: " + a.shapeInfoToString());
        }
        if (a.dataType() == DataType.FLOAT) {
            floats = a.data().asNioFloat();
            doubles = null;
            tmp = new float[0];
        } else if (a.dataType() == DataType.DOUBLE) {
            floats = null;
            doubles = a.data().asNioDouble();
        } else {
            throw new IllegalArgumentException("float or double expected, not " + a.dataType());
        }
    }

    /**
     * Whether the buffer of {@code a} holds exactly its values, in row-major order (ND4J reports a permuted view
     * such as {@code rows.permute(0, 2, 1)} as 'c' ordered and not a view, so the strides are checked).
     */
    static boolean isDense(INDArray a) {
        return a.offset() == 0 && a.data().length() == a.length() && hasRowMajorStrides(a);
    }

    /** Whether the strides of {@code a} are those of a row-major array of its shape (size-1 dimensions aside). */
    static boolean hasRowMajorStrides(INDArray a) {
        long expected = 1;
        long[] shape = a.shape();
        long[] stride = a.stride();
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /** {@code dst[dstOff …+len) = a[from …+len)}. */
    void get(long from, double[] dst, int dstOff, int len) {
        int at = Math.toIntExact(from);
        if (doubles != null) {
            doubles.get(at, dst, dstOff, len);
            return;
        }
        float[] f = tmp(len);
        floats.get(at, f, 0, len);
        for (int i = 0; i < len; i++) {
            dst[dstOff + i] = f[i];
        }
    }

    /** {@code dst[0 …len) = a[from …+len)}. */
    void get(long from, double[] dst, int len) {
        get(from, dst, 0, len);
    }

    /** {@code a[at …+len) = src[srcOff …+len)}, rounded to the array's data type. */
    void put(long at, double[] src, int srcOff, int len) {
        int to = Math.toIntExact(at);
        if (doubles != null) {
            doubles.put(to, src, srcOff, len);
            return;
        }
        float[] f = tmp(len);
        for (int i = 0; i < len; i++) {
            f[i] = (float) src[srcOff + i];
        }
        floats.put(to, f, 0, len);
    }

    /** {@code a[at …+len) = src[0 …len)}. */
    void put(long at, double[] src, int len) {
        put(at, src, 0, len);
    }

    private float[] tmp(int len) {
        if (tmp.length < len) {
            tmp = new float[len];
        }
        return tmp;
    }

    /**
     * Transposes each {@code [a, b]} block of the dense {@code [n, a, b]} array {@code src} into the dense
     * {@code [n, b, a]} array {@code dst} (DL4J's {@code [N, D, T]} to token rows {@code [N, T, D]} and back).
     */
    static void transposeBlocks(INDArray src, INDArray dst, int n, int a, int b, double[] in, double[] out) {
        NativeRows s = new NativeRows(src);
        NativeRows d = new NativeRows(dst);
        int block = a * b;
        for (int k = 0; k < n; k++) {
            s.get((long) k * block, in, block);
            for (int i = 0; i < a; i++) {
                int row = i * b;
                for (int j = 0; j < b; j++) {
                    out[j * a + i] = in[row + j];
                }
            }
            d.put((long) k * block, out, block);
        }
    }
}
