package org.dl4jpe.zoo.vit;

import org.dl4jpe.layers.TiedFeedForward;
import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.TiedSelfAttention;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;

/**
 * The numbers that define a ViT variant (DeiT / timm layout, docs/what-it-computes.md). Input size, channels and
 * classes are
 * options ({@link org.dl4jpe.zoo.ModelOptions}), not part of the architecture.
 *
 * @param patchSize patch side in pixels (kernel = stride of the patch embedding)
 * @param embedDim  token width D
 * @param depth     number of transformer blocks
 * @param numHeads  attention heads H (divides D)
 * @param mlpRatio  MLP hidden width as a multiple of D
 * @param attention attention tie scheme ({@link Scheme#NONE} is the baseline)
 * @param mlpTie    MLP tie ({@link Tie#NONE} is the baseline)
 */
public record VitConfig(
        int patchSize, int embedDim, int depth, int numHeads, double mlpRatio, Scheme attention, Tie mlpTie) {

    /** A baseline (untied) ViT with the MLP ratio of {@link TiedFeedForward#DEFAULT_MLP_RATIO} (4). */
    public static VitConfig of(int patchSize, int embedDim, int depth, int numHeads) {
        return new VitConfig(
                patchSize, embedDim, depth, numHeads, TiedFeedForward.DEFAULT_MLP_RATIO, Scheme.NONE, Tie.NONE);
    }

    /**
     * The ViT-PE form of this variant: the layers' default ties, {@link TiedSelfAttention#DEFAULT_SCHEME}
     * ({@link Scheme#QO_KV}) attention and the {@link TiedFeedForward#DEFAULT_TIE} ({@link Tie#TRANSPOSE}) MLP.
     */
    public VitConfig tied() {
        return new VitConfig(
                patchSize,
                embedDim,
                depth,
                numHeads,
                mlpRatio,
                TiedSelfAttention.DEFAULT_SCHEME,
                TiedFeedForward.DEFAULT_TIE);
    }

    public VitConfig withAttention(Scheme scheme) {
        return new VitConfig(patchSize, embedDim, depth, numHeads, mlpRatio, scheme, mlpTie);
    }

    public VitConfig withMlpTie(Tie tie) {
        return new VitConfig(patchSize, embedDim, depth, numHeads, mlpRatio, attention, tie);
    }

    public VitConfig withEmbedDim(int d) {
        return new VitConfig(patchSize, d, depth, numHeads, mlpRatio, attention, mlpTie);
    }

    public VitConfig withDepth(int n) {
        return new VitConfig(patchSize, embedDim, n, numHeads, mlpRatio, attention, mlpTie);
    }

    public VitConfig withNumHeads(int h) {
        return new VitConfig(patchSize, embedDim, depth, h, mlpRatio, attention, mlpTie);
    }

    public VitConfig withMlpRatio(double r) {
        return new VitConfig(patchSize, embedDim, depth, numHeads, r, attention, mlpTie);
    }

    /** True when both the attention and the MLP are tied. */
    public boolean isTied() {
        return attention != Scheme.NONE && mlpTie != Tie.NONE;
    }
}
