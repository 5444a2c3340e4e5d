package org.dl4jpe.hyperparam;

import org.dl4jpe.hyperparam.model.ModelSpace;
import org.dl4jpe.hyperparam.sweep.GeneratorKind;
import org.dl4jpe.hyperparam.sweep.SweepSettings;
import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;

/**
 * Test fixtures: a ViT small enough to train in a second (one block of width 8 on 7×7 patches, MLP ratio 1) on
 * the first 60 images of the shipped subset (50 train, 10 validation: one batch per epoch).
 */
public final class Tiny {
    public static final String BASE = "vit_pe_micro_patch4_28";
    public static final int D = 8;
    public static final int PATCH = 7;

    private Tiny() {}

    /** The tiny ViT as a space: every architecture axis fixed, batch 50, one epoch. */
    public static ModelSpace.Builder vit() {
        return ModelSpace.builder(BASE)
                .fixed("patchSize", PATCH)
                .fixed("embedDim", D)
                .fixed("depth", 1)
                .fixed("numHeads", 2)
                .fixed("mlpRatio", 1.0)
                .batchSize(50)
                .epochs(1);
    }

    /** Grid search of {@code candidates} on 60 training images (10 held out) and 50 test images. */
    public static SweepSettings settings(int candidates) {
        return SweepSettings.defaults()
                .withGenerator(GeneratorKind.GRID)
                .withCandidates(candidates)
                .withLimits(60, 50)
                .withValFraction(1 / 6.0);
    }

    /**
     * Trainable parameters of the tiny ViT by the documented formulas (28×28×1 input, 10 classes, D 8, R 8, one block):
     * patch embedding {@code C·p²·D + D + D + (P+1)·D}, block {@code 4D} (norms) + attention ({@code 2D² + 4D}
     * tied, {@code 4D² + 4D} untied) + MLP ({@code R·D + R + D} tied, {@code 2·R·D + R + D} untied), final norm
     * {@code 2D}, head {@code D·K + K}.
     */
    public static long expectedParameters(Scheme attention, Tie mlp) {
        long d = D;
        long r = D;
        long tokens = (28 / PATCH) * (28 / PATCH) + 1;
        long patch = (long) PATCH * PATCH * d + d + d + tokens * d;
        long attn = attention == Scheme.NONE ? 4 * d * d + 4 * d : 2 * d * d + 4 * d;
        long ffn = mlp == Tie.NONE ? 2 * r * d + r + d : r * d + r + d;
        return patch + 4 * d + attn + ffn + 2 * d + d * 10 + 10;
    }
}
