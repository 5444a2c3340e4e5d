package org.dl4jpe.zoo.resnet;

import java.util.List;
import org.dl4jpe.layers.SharedBottleneckStage.Sharing;

/**
 * The numbers that define a bottleneck ResNet variant (torchvision v1.5 layout, docs/what-it-computes.md). Input
 * size, channels
 * and classes are options ({@link org.dl4jpe.zoo.ModelOptions}).
 *
 * @param stem       the stem: {@link Stem#IMAGENET} (7×7/2, 64, BN, ReLU, 3×3/2 max pool) or {@link Stem#MINI}
 *                   (3×3/1, 32, BN, ReLU) for 28×28 inputs
 * @param blocks     blocks per stage, e.g. (3, 4, 6, 3)
 * @param midWidths  mid width m per stage (the stage outputs 4m channels)
 * @param strides    stride of each stage's first block
 * @param sharing    what each stage shares ({@link Sharing#NONE} is the baseline)
 */
public record ResNetConfig(
        Stem stem, List<Integer> blocks, List<Integer> midWidths, List<Integer> strides, Sharing sharing) {

    /** The stem in front of the stages. */
    public enum Stem {
        /** 7×7 stride-2 convolution to 64 channels, BN, ReLU, 3×3 stride-2 max pool (padding 1). */
        IMAGENET(7, 2, 64, true),
        /** 3×3 stride-1 convolution to 32 channels, BN, ReLU, no pool (28×28 inputs). */
        MINI(3, 1, 32, false);

        final int kernel;
        final int stride;
        final int width;
        final boolean maxPool;

        Stem(int kernel, int stride, int width, boolean maxPool) {
            this.kernel = kernel;
            this.stride = stride;
            this.width = width;
            this.maxPool = maxPool;
        }
    }

    public ResNetConfig {
        blocks = List.copyOf(blocks);
        midWidths = List.copyOf(midWidths);
        strides = List.copyOf(strides);
        if (blocks.size() != midWidths.size() || blocks.size() != strides.size() || blocks.isEmpty()) {
            throw new IllegalArgumentException("blocks " + blocks + ", midWidths " + midWidths + " and strides "
                    + strides + " must be non-empty and of equal length (one entry per stage)");
        }
    }

    /** The same architecture with another sharing level. */
    public ResNetConfig withSharing(Sharing s) {
        return new ResNetConfig(stem, blocks, midWidths, strides, s);
    }
}
