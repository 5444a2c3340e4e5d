package org.dl4jpe.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * BatchNorm over the channels (dimension 1) of dense NCHW activations, with the ReLU and the residual sum that
 * follow it in a bottleneck block fused in: the direct engine of {@link BatchNorm} and of the BatchNorms in
 * {@link SharedBottleneckStage}. {@link SameDiffBatchNorm} is the reference it is tested against.
 *
 * <p>Java loops over one {@code (sample, channel)} plane of H·W values at a time ({@link NativePlanes}, in the
 * network's data type): the batch statistics in two passes over a channel's planes (its mean, then its centred
 * squares, summed in double), the normalization, ReLU and residual sum in one more; the backward pass in two (the
 * sums {@code Σg}, {@code Σg·z}, then {@code dz}), the ReLU mask recomputed from {@code z}. libnd4j's per-channel
 * reductions and broadcasts over dimensions 0, 2, 3 walk the activations channel by channel with strided loops,
 * and its {@code relu_bp} is slow: together they were about half of a mini ResNet's training step.
 *
 * <p>Training normalizes with the batch mean and the biased batch variance and keeps them ({@link Batch}); the
 * running statistics change only when the training step is taken ({@link #updateRunning}, called from the backward
 * pass): {@code running ← (1 − momentum)·running + momentum·batch}, the variance term with the unbiased batch
 * variance {@code n/(n − 1)·var} (PyTorch). Inference normalizes with the running statistics.
 */
final class DirectBatchNorm {
    private DirectBatchNorm() {}

    /**
     * One BatchNorm on one input: its per-channel affine map {@code y = z·scale + shift} ({@code scale = γ/√(var +
     * eps)}, {@code shift = β − mean·scale}, as PyTorch computes it) and, from a training pass, what the backward
     * pass needs.
     */
    static final class Batch {
        /** The input (training: kept for the backward pass). */
        INDArray z;
        /** Whether ReLU follows this BatchNorm directly (its backward pass then applies the ReLU mask). */
        boolean relu;

        double[] scale;
        double[] shift;
        /** Training only: batch mean, biased batch variance, {@code 1/√(var + eps)}. */
        double[] mean;

        double[] var;
        double[] invStd;
        /** Values per channel (N·H·W). */
        double n;
        /** True from the training forward pass until its running-statistics update is applied. */
        boolean pending;
    }

    /**
     * The statistics of {@code z} (training: the batch's, in one pass over z; inference: the running ones) and the
     * affine map they give, for {@link #apply}.
     */
    static Batch prepare(
            INDArray z,
            INDArray gamma,
            INDArray beta,
            INDArray runMean,
            INDArray runVar,
            double eps,
            boolean training,
            boolean relu) {
        Batch b = new Batch();
        b.z = z;
        b.relu = relu;
        int channels = (int) z.size(1);
        double[] g = gamma.toDoubleVector();
        double[] beta0 = beta.toDoubleVector();
        double[] mean;
        double[] var;
        if (training) {
            mean = new double[channels];
            var = new double[channels];
            b.n = batchStatistics(z, mean, var);
            b.mean = mean;
            b.var = var;
            b.pending = true;
        } else {
            mean = runMean.toDoubleVector();
            var = runVar.toDoubleVector();
        }
        double[] invStd = new double[channels];
        b.scale = new double[channels];
        b.shift = new double[channels];
        for (int c = 0; c < channels; c++) {
            invStd[c] = 1.0 / Math.sqrt(var[c] + eps);
            b.scale[c] = invStd[c] * g[c];
            b.shift[c] = beta0[c] - mean[c] * b.scale[c];
        }
        if (training) {
            b.invStd = invStd;
        }
        return b;
    }

    /**
     * Per-channel mean and biased variance of {@code z} into {@code mean}, {@code var}; returns N·H·W. Two passes
     * (the mean, then the centred squares), each channel's planes read once per pass.
     */
    private static double batchStatistics(INDArray z, double[] mean, double[] var) {
        int n = (int) z.size(0);
        int channels = (int) z.size(1);
        int plane = (int) (z.length() / ((long) n * channels));
        NativePlanes in = NativePlanes.of(z, plane);
        double count = (double) n * plane;
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            for (int s = 0; s < n; s++) {
                in.load((s * channels + c) * plane, plane);
                sum += in.sum(plane);
            }
            double m = sum / count;
            double sq = 0;
            for (int s = 0; s < n; s++) {
                in.load((s * channels + c) * plane, plane);
                sq += in.centredSquares(m, plane);
            }
            mean[c] = m;
            var[c] = sq / count;
        }
        return count;
    }

    /**
     * {@code y = relu?(a(z) + r)} with {@code r = b(zb)} if {@code b} is given, {@code zb} itself if only it is given
     * (an identity shortcut), else 0; {@code z}, {@code zb}, {@code y} dense and of one shape, {@code y} may be
     * {@code z}.
     */
    static void apply(Batch a, INDArray z, Batch b, INDArray zb, boolean relu, INDArray y) {
        int n = (int) z.size(0);
        int channels = (int) z.size(1);
        int plane = (int) (z.length() / ((long) n * channels));
        NativePlanes in = NativePlanes.of(z, plane);
        NativePlanes other = zb == null ? null : NativePlanes.of(zb, plane);
        NativePlanes out = NativePlanes.of(y, 0);
        for (int s = 0; s < n; s++) {
            for (int c = 0; c < channels; c++) {
                int at = (s * channels + c) * plane;
                in.load(at, plane);
                if (other != null) {
                    other.load(at, plane);
                }
                in.affine(
                        a.scale[c],
                        a.shift[c],
                        other,
                        b == null ? 1.0 : b.scale[c],
                        b == null ? 0.0 : b.shift[c],
                        relu,
                        plane);
                out.storeFrom(in, at, plane);
            }
        }
    }

    /** Applies the running-statistics update of a training pass, once (later calls do nothing). */
    static void updateRunning(Batch b, INDArray runMean, INDArray runVar, double momentum) {
        if (b == null || !b.pending) {
            return;
        }
        double[] mean = runMean.toDoubleVector();
        double[] var = runVar.toDoubleVector();
        double unbiased = b.n / (b.n - 1.0);
        for (int c = 0; c < mean.length; c++) {
            mean[c] = (1.0 - momentum) * mean[c] + momentum * b.mean[c];
            var[c] = (1.0 - momentum) * var[c] + momentum * unbiased * b.var[c];
        }
        assign(runMean, mean);
        assign(runVar, var);
        b.pending = false;
    }

    /**
     * BatchNorm's gradient with batch statistics, through the ReLU after it if {@code b.relu} (mask
     * {@code z·scale + shift > 0}): writes {@code dβ = Σg'} and {@code dγ = Σ g'·x̂} ({@code g'} the masked
     * gradient) and returns {@code dz = A·g' + B·z + C} per channel (into {@code dz}, which may be {@code g}), with
     * {@code A = γσ⁻¹}, {@code B = −γσ⁻³·Σ(g'·(z − μ))/n} and {@code C = −A·Σg'/n − B·μ}: the closed form
     * {@code γσ⁻¹/n·(n·g' − Σg' − x̂·Σ(g'·x̂))} regrouped so that {@code x̂} is never materialized.
     */
    static INDArray backward(Batch b, INDArray g, INDArray dGamma, INDArray dBeta, INDArray dz) {
        INDArray z = b.z;
        int n = (int) z.size(0);
        int channels = (int) z.size(1);
        int plane = (int) (z.length() / ((long) n * channels));
        NativePlanes gIn = NativePlanes.of(g, plane);
        NativePlanes zIn = NativePlanes.of(z, plane);
        double[] sumG = new double[channels];
        double[] sumGz = new double[channels];
        for (int c = 0; c < channels; c++) {
            for (int s = 0; s < n; s++) {
                int at = (s * channels + c) * plane;
                gIn.load(at, plane);
                zIn.load(at, plane);
                if (b.relu) {
                    gIn.maskBy(zIn, b.scale[c], b.shift[c], plane);
                }
                sumG[c] += gIn.sum(plane);
                sumGz[c] += gIn.dot(zIn, plane);
            }
        }
        double[] a = b.scale;
        double[] bCoef = new double[channels];
        double[] cCoef = new double[channels];
        double[] dGammaV = new double[channels];
        for (int c = 0; c < channels; c++) {
            double centered = sumGz[c] - b.mean[c] * sumG[c]; // Σ g'·(z − μ)
            dGammaV[c] = centered * b.invStd[c];
            bCoef[c] = -a[c] * b.invStd[c] * b.invStd[c] * centered / b.n;
            cCoef[c] = -a[c] * sumG[c] / b.n - bCoef[c] * b.mean[c];
        }
        assign(dBeta, sumG);
        assign(dGamma, dGammaV);
        NativePlanes out = NativePlanes.of(dz, 0);
        for (int s = 0; s < n; s++) {
            for (int c = 0; c < channels; c++) {
                int at = (s * channels + c) * plane;
                gIn.load(at, plane);
                zIn.load(at, plane);
                if (b.relu) {
                    gIn.maskBy(zIn, b.scale[c], b.shift[c], plane);
                }
                gIn.combine(zIn, a[c], bCoef[c], cCoef[c], plane);
                out.storeFrom(gIn, at, plane);
            }
        }
        return dz;
    }

    /** {@code dst = g·[out > 0]} for dense arrays of one shape ({@code dst} may be {@code g}). */
    static INDArray reluBackward(INDArray out, INDArray g, INDArray dst) {
        int len = (int) out.length();
        int chunk = Math.min(len, 4096);
        NativePlanes o = NativePlanes.of(out, chunk);
        NativePlanes gIn = NativePlanes.of(g, chunk);
        NativePlanes d = NativePlanes.of(dst, 0);
        for (int at = 0; at < len; at += chunk) {
            int m = Math.min(chunk, len - at);
            o.load(at, m);
            gIn.load(at, m);
            gIn.maskBy(o, 1.0, 0.0, m);
            d.storeFrom(gIn, at, m);
        }
        return dst;
    }

    /** {@code dst ← values} for a parameter or gradient view of {@code values.length} elements. */
    private static void assign(INDArray dst, double[] values) {
        dst.assign(Nd4j.createFromArray(values).castTo(dst.dataType()).reshape(dst.shape()));
    }
}
