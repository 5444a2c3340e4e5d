package org.dl4jpe.layers;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Reads and writes stretches of a dense native float or double array as {@code double[]}, for the Java loops of the
 * direct engines that walk NCHW activations one {@code (sample, channel)} plane at a time: a plane of H·W values is
 * copied into a small Java array (it stays in the L1 cache while a loop works on it), and the result copied back.
 * One implementation of each loop then serves float and double networks; float values are widened on reading and
 * rounded on writing, plane by plane, never as a whole-tensor copy.
 */
final class NativeRows {
    private final FloatBuffer floats;
    private final DoubleBuffer doubles;
    private float[] tmp = new float[0];

    /** {@code a} must be dense (see {@link #isDense}) and float or double. */
    NativeRows(INDArray a) {
        if (!isDense(a)) {
            throw new IllegalArgumentException("not a dense row-major array: shape " + Arrays.toString(a.shape())
                    + ", offset " + a.offset() + ", ordering " + a.ordering());
        }
        if (a.dataType() == DataType.FLOAT) {
            floats = a.data().asNioFloat();
            doubles = null;
        } else if (a.dataType() == DataType.DOUBLE) {
            doubles = a.data().asNioDouble();
            floats = null;
        } else {
            throw new IllegalArgumentException("data type " + a.dataType() + "; valid: FLOAT, DOUBLE");
        }
    }

    /** Whether the buffer of {@code a} holds exactly its values, in row-major order. */
    static boolean isDense(INDArray a) {
        return !a.isView() && a.ordering() == 'c' && a.offset() == 0 && a.data().length() == a.length();
    }

    /** {@code a} itself when dense, else a dense copy of it. */
    static INDArray dense(INDArray a) {
        return isDense(a) ? a : a.dup('c');
    }

    /** Values {@code [offset, offset + len)} into {@code dst[0, len)}. */
    void read(int offset, double[] dst, int len) {
        if (doubles != null) {
            doubles.get(offset, dst, 0, len);
            return;
        }
        float[] t = tmp(len);
        floats.get(offset, t, 0, len);
        for (int i = 0; i < len; i++) {
            dst[i] = t[i];
        }
    }

    /** {@code src[0, len)} into values {@code [offset, offset + len)}. */
    void write(int offset, double[] src, int len) {
        if (doubles != null) {
            doubles.put(offset, src, 0, len);
            return;
        }
        float[] t = tmp(len);
        for (int i = 0; i < len; i++) {
            t[i] = (float) src[i];
        }
        floats.put(offset, t, 0, len);
    }

    private float[] tmp(int len) {
        if (tmp.length < len) {
            tmp = new float[len];
        }
        return tmp;
    }
}
