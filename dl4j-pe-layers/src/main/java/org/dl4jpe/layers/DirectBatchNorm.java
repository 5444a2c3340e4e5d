package org.dl4jpe.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * BatchNorm over the channels (dimension 1) of NCHW activations on ND4J's native ops: the direct engine of
 * {@link BatchNorm} and of the BatchNorms in {@link SharedBottleneckStage}. {@link SameDiffBatchNorm} is the
 * reference it is tested against.
 *
 * <p>Training normalizes with the batch mean and the biased batch variance and keeps them ({@link Batch}); the
 * running statistics change only when the training step is taken ({@link #updateRunning}, called from the backward
 * pass): {@code running ← (1 − momentum)·running + momentum·batch}, the variance term with the unbiased batch
 * variance {@code n/(n − 1)·var} (PyTorch). Inference normalizes with the running statistics.
 */
final class DirectBatchNorm {
    private DirectBatchNorm() {
    }

    /** What a training forward pass keeps: the input, the batch statistics, and whether they are still unapplied. */
    static final class Batch {
        INDArray z;
        INDArray mean;
        INDArray var;
        INDArray invStd;
        /** Values per channel (N·H·W). */
        double n;
        /** True from the training forward pass until its running-statistics update is applied. */
        boolean pending;
    }

    /**
     * {@code y = z·scale + shift} per channel, {@code scale = γ/√(var + eps)}, {@code shift = β − mean·scale} (as
     * PyTorch computes it), with batch statistics in training (returned, to keep) and running ones at inference
     * (returns null).
     */
    static Batch forward(INDArray z, INDArray gamma, INDArray beta, INDArray runMean, INDArray runVar, double eps,
                         boolean training, INDArray y) {
        Batch b = null;
        INDArray mean = runMean;
        INDArray var = runVar;
        if (training) {
            b = new Batch();
            mean = z.mean(0, 2, 3);
            var = z.var(false, 0, 2, 3);
            b.z = z;
            b.mean = mean;
            b.var = var;
            b.n = (double) z.length() / z.size(1);
            b.pending = true;
        }
        INDArray invStd = Transforms.pow(var.add(eps), -0.5, false);
        INDArray scale = invStd.mul(gamma);
        INDArray shift = beta.sub(mean.mul(scale));
        Nd4j.exec(new BroadcastMulOp(z, scale, y, 1));
        Nd4j.exec(new BroadcastAddOp(y, shift, y, 1));
        if (b != null) {
            b.invStd = invStd;
        }
        return b;
    }

    /** Applies the running-statistics update of a training pass, once (later calls do nothing). */
    static void updateRunning(Batch b, INDArray runMean, INDArray runVar, double momentum) {
        if (b == null || !b.pending) {
            return;
        }
        runMean.muli(1.0 - momentum).addi(b.mean.mul(momentum));
        runVar.muli(1.0 - momentum).addi(b.var.mul(momentum * b.n / (b.n - 1.0)));
        b.pending = false;
    }

    /**
     * BatchNorm's gradient with batch statistics: writes {@code dβ = Σg} and {@code dγ = Σ g·x̂} and returns
     * {@code dz = A·g + B·z + C} per channel (into {@code dz}, using {@code tmp} of the same shape), with
     * {@code A = γσ⁻¹}, {@code B = −γσ⁻³·Σ(g·(z − μ))/n} and {@code C = −A·Σg/n − B·μ}: the closed form
     * {@code γσ⁻¹/n·(n·g − Σg − x̂·Σ(g·x̂))} regrouped so that {@code x̂} is never materialized.
     */
    static INDArray backward(Batch b, INDArray g, INDArray gamma, INDArray dGamma, INDArray dBeta, INDArray dz,
                             INDArray tmp) {
        INDArray z = b.z;
        long channels = z.size(1);
        double n = b.n;
        INDArray sumG = g.sum(0, 2, 3);
        INDArray sumGz = Nd4j.getExecutioner().exec(new Dot(g, z,
                Nd4j.createUninitialized(z.dataType(), channels), 0, 2, 3));
        INDArray sumGCentered = sumGz.sub(b.mean.mul(sumG)); // Σ g·(z − μ)
        dBeta.assign(sumG);
        dGamma.assign(sumGCentered.mul(b.invStd));

        INDArray a = gamma.mul(b.invStd);
        INDArray bCoef = a.mul(b.invStd).muli(b.invStd).muli(sumGCentered).divi(-n);
        INDArray cCoef = a.mul(sumG).divi(-n).subi(bCoef.mul(b.mean));
        Nd4j.exec(new BroadcastMulOp(g, a, dz, 1));
        Nd4j.exec(new BroadcastMulOp(z, bCoef, tmp, 1));
        dz.addi(tmp);
        Nd4j.exec(new BroadcastAddOp(dz, cCoef, dz, 1));
        return dz;
    }
}
