package org.dl4jpe.layers;

import java.util.HashMap;
import java.util.Map;
import org.dl4jpe.layers.samediff.LayerContext;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * BatchNorm over the channels of NCHW activations in SameDiff, with the training flag choosing the statistics: the
 * reference formulation of {@link BatchNorm} and of the BatchNorms in {@link SharedBottleneckStage}.
 *
 * <p>{@code y = (z − mean)·γ/√(var + eps) + β}, where (mean, var) are the batch mean and biased batch variance over
 * N, H, W in training and the running statistics at inference: with the training flag t (exactly 1 or 0),
 * {@code t·batch + (1 − t)·running}, which is exact. It registers the running-statistics update (applied when a
 * training step is taken, see {@link LayerContext#updateState}) {@code (1 − momentum)·running + momentum·batch},
 * with the unbiased batch variance {@code n/(n − 1)·var} (PyTorch's formula).
 *
 * <p>Composed from elementary SameDiff ops: on 1.0.0-M2.1 the gradient function is built from a serialized copy of
 * the graph that drops fields which are not op arguments, so the fused {@code batchnorm} op loses its axis (its
 * backward pass fails) and {@code variance} loses {@code biasCorrected = false} (its backward pass differentiates
 * the unbiased variance). The variance is therefore {@code mean((z − mean)²)}.
 */
final class SameDiffBatchNorm {
    private final SameDiff sd;
    private final LayerContext ctx;
    private final Map<String, SDVariable> p;
    private final double momentum;
    private final double eps;
    private final SDVariable training;
    private final SDVariable inference;
    /** {@code momentum·n/(n − 1)} per activation resolution (n values per channel), shared by its BNs. */
    private final Map<String, SDVariable> varUpdateWeights = new HashMap<>();

    SameDiffBatchNorm(LayerContext ctx, Map<String, SDVariable> p, double momentum, double eps) {
        this.ctx = ctx;
        this.sd = ctx.sd();
        this.p = p;
        this.momentum = momentum;
        this.eps = eps;
        this.training = ctx.training();
        this.inference = training.rsub(1.0);
    }

    /**
     * The BatchNorm whose parameters are {@code prefix + GAMMA/BETA/MEAN/VAR} on {@code z [N, width, H, W]}.
     *
     * @param resolution a name for z's resolution: BNs whose inputs have the same N·H·W share it
     */
    SDVariable apply(SDVariable z, String prefix, long width, String resolution) {
        SDVariable runMean = p.get(prefix + BatchNorm.MEAN);
        SDVariable runVar = p.get(prefix + BatchNorm.VAR);
        SDVariable batchMean = sd.mean(z, false, 0, 2, 3);
        SDVariable mean = batchMean.mul(training).add(runMean.mul(inference));
        SDVariable centered = z.sub(sd.reshape(mean, 1, width, 1, 1));
        SDVariable batchVar = sd.mean(sd.math.square(centered), false, 0, 2, 3); // biased; used in training only
        SDVariable var = batchVar.mul(training).add(runVar.mul(inference));
        SDVariable scale = sd.math.rsqrt(var.add(eps)).mul(p.get(prefix + BatchNorm.GAMMA));
        SDVariable y = centered.mul(sd.reshape(scale, 1, width, 1, 1))
                .add(sd.reshape(p.get(prefix + BatchNorm.BETA), 1, width, 1, 1));

        SDVariable varWeight = varUpdateWeights.computeIfAbsent(resolution, r -> {
            SDVariable n = sd.prod(sd.shape(z).castTo(ctx.dataType()), 0).div(width);
            return n.mul(momentum).div(n.sub(1.0)); // momentum·n/(n − 1)
        });
        ctx.updateState(prefix + BatchNorm.MEAN, runMean.mul(1.0 - momentum).add(batchMean.mul(momentum)));
        ctx.updateState(prefix + BatchNorm.VAR, runVar.mul(1.0 - momentum).add(batchVar.mul(varWeight)));
        return y;
    }
}
