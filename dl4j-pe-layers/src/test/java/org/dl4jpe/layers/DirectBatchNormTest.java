package org.dl4jpe.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The plane loops of the direct BatchNorm ({@link NativePlanes}) in float and double, and the convolution kernel
 * choice. The engines themselves are held equal to their SameDiff references by {@link BatchNormTest} and
 * {@link SharedBottleneckStageTest}.
 */
class DirectBatchNormTest {
    private static final int N = 3;
    private static final int C = 4;
    private static final int H = 5;
    private static final int W = 6;

    /** Training forward with ReLU and a residual BN, then backward with the mask: float agrees with double. */
    @Test
    void floatLoopsAgreeWithDoubleLoops() {
        Nd4j.getRandom().setSeed(7);
        INDArray z = Nd4j.randn(DataType.DOUBLE, N, C, H, W).muli(2).addi(0.5);
        INDArray r = Nd4j.randn(DataType.DOUBLE, N, C, H, W);
        INDArray g = Nd4j.randn(DataType.DOUBLE, N, C, H, W);
        INDArray gamma = Nd4j.rand(DataType.DOUBLE, C).addi(0.5);
        INDArray beta = Nd4j.randn(DataType.DOUBLE, C);
        double[][] d = run(z, r, g, gamma, beta);
        double[][] f = run(
                z.castTo(DataType.FLOAT),
                r.castTo(DataType.FLOAT),
                g.castTo(DataType.FLOAT),
                gamma.castTo(DataType.FLOAT),
                beta.castTo(DataType.FLOAT));
        String[] what = {"output", "input gradient", "dGamma", "dBeta", "batch mean", "batch variance"};
        for (int i = 0; i < d.length; i++) {
            assertEquals(d[i].length, f[i].length, what[i]);
            for (int j = 0; j < d[i].length; j++) {
                assertEquals(d[i][j], f[i][j], 2e-5 * (1 + Math.abs(d[i][j])), what[i] + " [" + j + "]");
            }
        }
        // the ReLU acted: some outputs are zero and the mask took some gradient away
        assertTrue(java.util.Arrays.stream(d[0]).filter(v -> v == 0.0).count() > 0, "ReLU zeroed some outputs");
    }

    /** The statistics are the batch's: mean and biased variance over N, H, W of each channel. */
    @Test
    void batchStatisticsAreMeanAndBiasedVarianceOverBatchAndPlane() {
        Nd4j.getRandom().setSeed(8);
        INDArray z = Nd4j.randn(DataType.DOUBLE, N, C, H, W).muli(3).addi(100); // far from 0: a centring test
        DirectBatchNorm.Batch b = DirectBatchNorm.prepare(
                z, Nd4j.ones(DataType.DOUBLE, C), Nd4j.zeros(DataType.DOUBLE, C), null, null, 1e-5, true, false);
        assertArrayEquals(z.mean(0, 2, 3).toDoubleVector(), b.mean, 1e-12);
        assertArrayEquals(z.var(false, 0, 2, 3).toDoubleVector(), b.var, 1e-10);
        assertEquals(N * H * W, b.n);
    }

    private static double[][] run(INDArray z, INDArray r, INDArray g, INDArray gamma, INDArray beta) {
        DataType t = z.dataType();
        DirectBatchNorm.Batch a = DirectBatchNorm.prepare(z, gamma, beta, null, null, 1e-5, true, false);
        DirectBatchNorm.Batch sc = DirectBatchNorm.prepare(r, gamma, beta, null, null, 1e-5, true, false);
        INDArray y = Nd4j.create(t, z.shape());
        DirectBatchNorm.apply(a, z, sc, r, true, y);
        // backward through the final ReLU (mask from y) and the BN, then a BN whose own ReLU mask is recomputed
        INDArray pre = DirectBatchNorm.reluBackward(y, g, Nd4j.create(t, z.shape()));
        INDArray dGamma = Nd4j.create(t, C);
        INDArray dBeta = Nd4j.create(t, C);
        a.relu = true;
        INDArray dz = DirectBatchNorm.backward(a, pre, dGamma, dBeta, Nd4j.create(t, z.shape()));
        return new double[][] {
            y.ravel().toDoubleVector(),
            dz.ravel().toDoubleVector(),
            dGamma.toDoubleVector(),
            dBeta.toDoubleVector(),
            a.mean,
            a.var
        };
    }

    /** The branch-free ReLU mask is exactly [v > 0], at zero, negative zero and the subnormals included. */
    @Test
    void reluMaskIsExactlyTheStepFunction() {
        double[] values = {
            0.0,
            -0.0,
            Double.MIN_VALUE,
            -Double.MIN_VALUE,
            1e-310,
            1.0,
            -1.0,
            1e300,
            -1e300,
            Double.MAX_VALUE,
            Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY,
            Float.MIN_VALUE
        };
        INDArray out = Nd4j.createFromArray(values);
        INDArray g = Nd4j.valueArrayOf(new long[] {values.length}, 3.0, DataType.DOUBLE);
        INDArray masked = DirectBatchNorm.reluBackward(out, g, Nd4j.create(DataType.DOUBLE, values.length));
        INDArray outF = out.castTo(DataType.FLOAT);
        INDArray maskedF = DirectBatchNorm.reluBackward(
                outF, g.castTo(DataType.FLOAT), Nd4j.create(DataType.FLOAT, values.length));
        for (int i = 0; i < values.length; i++) {
            assertEquals(values[i] > 0 ? 3.0 : 0.0, masked.getDouble(i), "double mask at " + values[i]);
            float v = outF.getFloat(i);
            assertEquals(v > 0 ? 3.0 : 0.0, maskedF.getDouble(i), "float mask at " + v);
        }
    }

    @Test
    void rowsRefuseViewsAndOtherTypes() {
        INDArray a = Nd4j.create(DataType.FLOAT, 4, 4);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> NativePlanes.of(a.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3)), 4));
        assertTrue(e.getMessage().contains("not a dense row-major array"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NativePlanes.of(Nd4j.create(DataType.HALF, 4), 4));
        assertTrue(e.getMessage().contains("valid: FLOAT, DOUBLE"), e.getMessage());
    }

    /** On oneDNN builds: im2col + gemm for 1×1 at ≥ 28×28 and for large in·out, oneDNN's conv2d otherwise. */
    @Test
    void onednnKernelChoiceFollowsTheMeasuredRule() {
        DirectConv.Kernel gemm = DirectConv.Kernel.IM2COL_GEMM;
        DirectConv.Kernel conv2d = DirectConv.Kernel.CONV2D;
        assertEquals(gemm, DirectConv.onednnChoice(1, 1, 64, 16, 28 * 28), "mini ResNet 1x1 at 28x28");
        assertEquals(conv2d, DirectConv.onednnChoice(1, 1, 128, 32, 14 * 14), "mini ResNet 1x1 at 14x14");
        assertEquals(conv2d, DirectConv.onednnChoice(3, 1, 16, 16, 28 * 28), "mini ResNet 3x3");
        assertEquals(conv2d, DirectConv.onednnChoice(1, 2, 64, 128, 14 * 14), "mini ResNet strided shortcut");
        assertEquals(gemm, DirectConv.onednnChoice(1, 1, 2048, 512, 7 * 7), "ResNet50 1x1 at 7x7");
        assertEquals(gemm, DirectConv.onednnChoice(3, 1, 512, 512, 7 * 7), "ResNet50 3x3 on 512 channels");
        assertEquals(conv2d, DirectConv.onednnChoice(3, 1, 128, 128, 28 * 28), "ResNet50 3x3 on 128 channels");
    }
}
