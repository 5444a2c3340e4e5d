package org.dl4jpe.layers;

import java.util.HashMap;
import java.util.Map;
import org.dl4jpe.layers.SharedBottleneckStage.WeightUse;
import org.dl4jpe.layers.samediff.LayerContext;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;

/**
 * A {@link SharedBottleneckStage} in SameDiff ({@link SharedBottleneckStage.Engine#SAMEDIFF}): its
 * {@link StagePlan} as SameDiff convolutions and {@link SameDiffBatchNorm}s. The reference formulation the direct
 * engine is tested against.
 *
 * <p>Convolutions use SameDiff's conv2d with its default kernel layout [kH, kW, in, out] (YXIO): on 1.0.0-M2.1 the
 * gradient function's copy of conv2d loses any other weightsFormat, and conv2d_bp then fails. Parameters keep
 * DL4J's (and PyTorch's) layout [out, in, kH, kW]; the permutation is a copy of the (small) kernel, built once per
 * parameter use (a shared weight's layout change is one op whose gradient SameDiff sums over all uses).
 */
final class StageSameDiff {
    private StageSameDiff() {}

    static SDVariable define(
            StagePlan plan,
            LayerContext ctx,
            SDVariable input,
            Map<String, SDVariable> p,
            double momentum,
            double eps) {
        SameDiff sd = ctx.sd();
        SameDiffBatchNorm bn = new SameDiffBatchNorm(ctx, p, momentum, eps);
        Kernels kernels = new Kernels(sd, p);
        SDVariable x = input;
        for (StagePlan.Block b : plan.blocks()) {
            SDVariable h = sd.nn.relu(convBn(sd, bn, kernels, b.reduce(), x), 0);
            h = sd.nn.relu(convBn(sd, bn, kernels, b.conv3x3(), h), 0);
            h = convBn(sd, bn, kernels, b.expand(), h);
            SDVariable shortcut = b.shortcut() == null ? x : convBn(sd, bn, kernels, b.shortcut(), x);
            x = sd.nn.relu(h.add(shortcut), 0);
        }
        return x;
    }

    /** BNs whose inputs have the same N·H·W (the same output stride in the plan) share one variance weight. */
    private static SDVariable convBn(
            SameDiff sd, SameDiffBatchNorm bn, Kernels kernels, StagePlan.Conv c, SDVariable x) {
        Conv2DConfig.Conv2DConfigBuilder cfg = Conv2DConfig.builder()
                .kH(c.kernel())
                .kW(c.kernel())
                .sH(c.stride())
                .sW(c.stride())
                .pH(c.kernel() / 2)
                .pW(c.kernel() / 2)
                .paddingMode(PaddingMode.VALID)
                .dataFormat(Conv2DConfig.NCHW);
        SDVariable kernel = c.kernel() == 1
                ? sd.reshape(kernels.matrix(c.weight()), 1, 1, c.in(), c.out())
                : kernels.conv3x3(c.weight().param());
        SDVariable z = sd.cnn().conv2d(x, kernel, cfg.build());
        return bn.apply(z, c.bn(), c.out(), "stride" + c.outputStride());
    }

    /** Kernels in conv2d's layout, each built once per parameter use. */
    private static final class Kernels {
        private final SameDiff sd;
        private final Map<String, SDVariable> p;
        private final Map<WeightUse, SDVariable> matrices = new HashMap<>();
        private final Map<String, SDVariable> kernels3x3 = new HashMap<>();

        Kernels(SameDiff sd, Map<String, SDVariable> p) {
            this.sd = sd;
            this.p = p;
        }

        /**
         * The {@code [in, out]} kernel matrix of a 1×1 convolution whose weight is {@code use}: the transpose of the
         * stored {@code [out, in]} matrix, or the stored matrix itself when the convolution uses its transpose.
         */
        SDVariable matrix(WeightUse use) {
            return matrices.computeIfAbsent(
                    use, u -> u.transposed() ? p.get(u.param()) : sd.transpose(p.get(u.param())));
        }

        /** {@code [out, in, 3, 3]} as {@code [3, 3, in, out]}. */
        SDVariable conv3x3(String param) {
            return kernels3x3.computeIfAbsent(param, name -> sd.permute(p.get(name), 2, 3, 1, 0));
        }
    }
}
