package org.dl4jpe.layers;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One dense native float or double array and a Java array of its element type holding one stretch of it (a
 * "row": for NCHW activations one {@code (sample, channel)} plane of H·W values, small enough to stay in the L1
 * cache), with the element-wise loops the direct engines' BatchNorm needs on such rows. {@link DirectBatchNorm} holds
 * the algorithm (which rows, the statistics and coefficients, in double); the loops here are written once per
 * element type (float networks compute in float, vectorized by the JIT; double networks in double), so nothing is
 * converted between the two and nothing is copied as a whole tensor. Rows passed to one another's loops have the
 * same element type and at least the given length.
 */
abstract class NativePlanes {
    /** The rows of {@code a} (dense, float or double), with a Java row of {@code rowLength} values. */
    static NativePlanes of(INDArray a, int rowLength) {
        if (!isDense(a)) {
            throw new IllegalArgumentException("not a dense row-major array: shape " + Arrays.toString(a.shape())
                    + ", offset " + a.offset() + ", ordering " + a.ordering());
        }
        if (a.dataType() == DataType.FLOAT) {
            return new Floats(a.data().asNioFloat(), rowLength);
        }
        if (a.dataType() == DataType.DOUBLE) {
            return new Doubles(a.data().asNioDouble(), rowLength);
        }
        throw new IllegalArgumentException("data type " + a.dataType() + "; valid: FLOAT, DOUBLE");
    }

    /**
     * Whether the buffer of {@code a} holds exactly its values, in row-major order (strides checked: ND4J reports
     * a permuted view as 'c' ordered and not a view; {@link NativeRows#isDense}).
     */
    static boolean isDense(INDArray a) {
        return NativeRows.isDense(a);
    }

    /** {@code a} itself when dense, else a dense copy of it. */
    static INDArray dense(INDArray a) {
        return isDense(a) ? a : a.dup('c');
    }

    /** Native values {@code [offset, offset + len)} into the row. */
    abstract void load(int offset, int len);

    /** The row into native values {@code [offset, offset + len)}. */
    abstract void store(int offset, int len);

    /** {@code src}'s row into this array's native values {@code [offset, offset + len)}. */
    abstract void storeFrom(NativePlanes src, int offset, int len);

    /** Σ row. */
    abstract double sum(int len);

    /** Σ (row − m)². */
    abstract double centredSquares(double m, int len);

    /** Σ row·other. */
    abstract double dot(NativePlanes other, int len);

    /** {@code row ← relu?(row·scale + shift + r)}, {@code r = other·scale2 + shift2}, or 0 when other is null. */
    abstract void affine(
            double scale, double shift, NativePlanes other, double scale2, double shift2, boolean relu, int len);

    /** {@code row ← row·[z·scale + shift > 0]}. */
    abstract void maskBy(NativePlanes z, double scale, double shift, int len);

    /** {@code row ← a·row + b·z + c}. */
    abstract void combine(NativePlanes z, double a, double b, double c, int len);

    private static final class Floats extends NativePlanes {
        private final FloatBuffer buffer;
        private final float[] row;

        Floats(FloatBuffer buffer, int rowLength) {
            this.buffer = buffer;
            this.row = new float[rowLength];
        }

        /** {@code [v > 0]} without a branch: v·2²⁰⁰ (two exact steps) is ≥ 1 for every positive float. */
        private static float step(float v) {
            return Math.min(1f, Math.max(0f, v * 0x1p100f * 0x1p100f));
        }

        @Override
        void load(int offset, int len) {
            buffer.get(offset, row, 0, len);
        }

        @Override
        void store(int offset, int len) {
            buffer.put(offset, row, 0, len);
        }

        @Override
        void storeFrom(NativePlanes src, int offset, int len) {
            buffer.put(offset, ((Floats) src).row, 0, len);
        }

        @Override
        double sum(int len) {
            float[] r = row;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int i = 0;
            for (; i + 3 < len; i += 4) {
                s0 += r[i];
                s1 += r[i + 1];
                s2 += r[i + 2];
                s3 += r[i + 3];
            }
            for (; i < len; i++) {
                s0 += r[i];
            }
            return (s0 + s1) + (s2 + s3);
        }

        @Override
        double centredSquares(double m, int len) {
            float[] r = row;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int i = 0;
            for (; i + 3 < len; i += 4) {
                double d0 = r[i] - m, d1 = r[i + 1] - m, d2 = r[i + 2] - m, d3 = r[i + 3] - m;
                s0 += d0 * d0;
                s1 += d1 * d1;
                s2 += d2 * d2;
                s3 += d3 * d3;
            }
            for (; i < len; i++) {
                double d = r[i] - m;
                s0 += d * d;
            }
            return (s0 + s1) + (s2 + s3);
        }

        @Override
        double dot(NativePlanes other, int len) {
            float[] r = row;
            float[] o = ((Floats) other).row;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int i = 0;
            for (; i + 3 < len; i += 4) {
                s0 += r[i] * o[i];
                s1 += r[i + 1] * o[i + 1];
                s2 += r[i + 2] * o[i + 2];
                s3 += r[i + 3] * o[i + 3];
            }
            for (; i < len; i++) {
                s0 += r[i] * o[i];
            }
            return (s0 + s1) + (s2 + s3);
        }

        @Override
        void affine(
                double scale, double shift, NativePlanes other, double scale2, double shift2, boolean relu, int len) {
            float[] r = row;
            float sc = (float) scale;
            float sh = (float) shift;
            if (other != null) {
                float[] o = ((Floats) other).row;
                float sc2 = (float) scale2;
                float sh2 = (float) shift2;
                for (int i = 0; i < len; i++) {
                    r[i] = r[i] * sc + sh + (o[i] * sc2 + sh2);
                }
            } else {
                for (int i = 0; i < len; i++) {
                    r[i] = r[i] * sc + sh;
                }
            }
            if (relu) {
                for (int i = 0; i < len; i++) {
                    r[i] = Math.max(r[i], 0f);
                }
            }
        }

        @Override
        void maskBy(NativePlanes z, double scale, double shift, int len) {
            float[] r = row;
            float[] zr = ((Floats) z).row;
            float sc = (float) scale;
            float sh = (float) shift;
            for (int i = 0; i < len; i++) {
                r[i] *= step(zr[i] * sc + sh);
            }
        }

        @Override
        void combine(NativePlanes z, double a, double b, double c, int len) {
            float[] r = row;
            float[] zr = ((Floats) z).row;
            float fa = (float) a;
            float fb = (float) b;
            float fc = (float) c;
            for (int i = 0; i < len; i++) {
                r[i] = fa * r[i] + fb * zr[i] + fc;
            }
        }
    }

    private static final class Doubles extends NativePlanes {
        private final DoubleBuffer buffer;
        private final double[] row;

        Doubles(DoubleBuffer buffer, int rowLength) {
            this.buffer = buffer;
            this.row = new double[rowLength];
        }

        /** {@code [v > 0]} without a branch: v·2¹²⁰⁰ (two exact steps) is ≥ 1 for every positive double. */
        private static double step(double v) {
            return Math.min(1.0, Math.max(0.0, v * 0x1p600 * 0x1p600));
        }

        @Override
        void load(int offset, int len) {
            buffer.get(offset, row, 0, len);
        }

        @Override
        void store(int offset, int len) {
            buffer.put(offset, row, 0, len);
        }

        @Override
        void storeFrom(NativePlanes src, int offset, int len) {
            buffer.put(offset, ((Doubles) src).row, 0, len);
        }

        @Override
        double sum(int len) {
            double[] r = row;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int i = 0;
            for (; i + 3 < len; i += 4) {
                s0 += r[i];
                s1 += r[i + 1];
                s2 += r[i + 2];
                s3 += r[i + 3];
            }
            for (; i < len; i++) {
                s0 += r[i];
            }
            return (s0 + s1) + (s2 + s3);
        }

        @Override
        double centredSquares(double m, int len) {
            double[] r = row;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int i = 0;
            for (; i + 3 < len; i += 4) {
                double d0 = r[i] - m, d1 = r[i + 1] - m, d2 = r[i + 2] - m, d3 = r[i + 3] - m;
                s0 += d0 * d0;
                s1 += d1 * d1;
                s2 += d2 * d2;
                s3 += d3 * d3;
            }
            for (; i < len; i++) {
                double d = r[i] - m;
                s0 += d * d;
            }
            return (s0 + s1) + (s2 + s3);
        }

        @Override
        double dot(NativePlanes other, int len) {
            double[] r = row;
            double[] o = ((Doubles) other).row;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int i = 0;
            for (; i + 3 < len; i += 4) {
                s0 += r[i] * o[i];
                s1 += r[i + 1] * o[i + 1];
                s2 += r[i + 2] * o[i + 2];
                s3 += r[i + 3] * o[i + 3];
            }
            for (; i < len; i++) {
                s0 += r[i] * o[i];
            }
            return (s0 + s1) + (s2 + s3);
        }

        @Override
        void affine(
                double scale, double shift, NativePlanes other, double scale2, double shift2, boolean relu, int len) {
            double[] r = row;
            if (other != null) {
                double[] o = ((Doubles) other).row;
                for (int i = 0; i < len; i++) {
                    r[i] = r[i] * scale + shift + (o[i] * scale2 + shift2);
                }
            } else {
                for (int i = 0; i < len; i++) {
                    r[i] = r[i] * scale + shift;
                }
            }
            if (relu) {
                for (int i = 0; i < len; i++) {
                    r[i] = Math.max(r[i], 0.0);
                }
            }
        }

        @Override
        void maskBy(NativePlanes z, double scale, double shift, int len) {
            double[] r = row;
            double[] zr = ((Doubles) z).row;
            for (int i = 0; i < len; i++) {
                r[i] *= step(zr[i] * scale + shift);
            }
        }

        @Override
        void combine(NativePlanes z, double a, double b, double c, int len) {
            double[] r = row;
            double[] zr = ((Doubles) z).row;
            for (int i = 0; i < len; i++) {
                r[i] = a * r[i] + b * zr[i] + c;
            }
        }
    }
}
