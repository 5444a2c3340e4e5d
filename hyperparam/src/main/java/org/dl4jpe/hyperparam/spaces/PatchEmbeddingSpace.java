package org.dl4jpe.hyperparam.spaces;

import org.deeplearning4j.arbiter.layers.LayerSpace;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.dl4jpe.layers.PatchEmbedding;

/**
 * Arbiter search space over {@link PatchEmbedding} (image {@code [N, C, H, W]} to tokens {@code [N, D, P+1]}). The
 * image size and channels are fixed by the data; {@code patchSize} and {@code embedDim} may be searched. Share the
 * {@code embedDim} space object with the blocks that follow, so that every layer of a candidate gets the same D:
 *
 * <pre>{@code
 * ParameterSpace<Integer> width = new DiscreteParameterSpace<>(32, 64);
 * graph.addLayer("patch_embed", new PatchEmbeddingSpace.Builder(28, 28, 1)
 *                 .patchSize(new DiscreteParameterSpace<>(4, 7)).embedDim(width).build(), "input")
 *      .addLayer("block", new TransformerBlockSpace.Builder(width, new FixedValue<>(4)).build(), "patch_embed");
 * }</pre>
 *
 * A patch size that does not divide the image fails when the candidate is built, with the layer's message.
 * Initialisation stays the layer's default (truncated normal, std 0.02).
 */
public final class PatchEmbeddingSpace extends LayerSpace<PatchEmbedding> {
    private static final String WHO = "PatchEmbeddingSpace";

    private long imageHeight;
    private long imageWidth;
    private long inChannels;
    private ParameterSpace<Integer> patchSize;
    private ParameterSpace<Integer> embedDim;

    private PatchEmbeddingSpace() {
        // JSON
    }

    private PatchEmbeddingSpace(Builder b) {
        super(b);
        this.imageHeight = b.imageHeight;
        this.imageWidth = b.imageWidth;
        this.inChannels = b.inChannels;
        this.patchSize = b.patchSize;
        this.embedDim = b.embedDim;
        this.numParameters = SpaceSupport.countParameters(this);
    }

    @Override
    public PatchEmbedding getValue(double[] values) {
        return PatchEmbedding.builder(
                        imageHeight,
                        imageWidth,
                        inChannels,
                        SpaceSupport.intValue(WHO, "patchSize", patchSize.getValue(values)),
                        SpaceSupport.intValue(WHO, "embedDim", embedDim.getValue(values)))
                .build();
    }

    @Override
    public String toString() {
        return WHO + "(image=" + imageHeight + "x" + imageWidth + "x" + inChannels + ", patchSize=" + patchSize
                + ", embedDim=" + embedDim + ")";
    }

    /** Builder: the image shape is required; {@code patchSize} and {@code embedDim} must be set. */
    public static final class Builder extends LayerSpace.Builder<Builder> {
        private final long imageHeight;
        private final long imageWidth;
        private final long inChannels;
        private ParameterSpace<Integer> patchSize;
        private ParameterSpace<Integer> embedDim;

        public Builder(long imageHeight, long imageWidth, long inChannels) {
            this.imageHeight = SpaceSupport.positive(WHO, "imageHeight", imageHeight);
            this.imageWidth = SpaceSupport.positive(WHO, "imageWidth", imageWidth);
            this.inChannels = SpaceSupport.positive(WHO, "inChannels", inChannels);
        }

        public Builder patchSize(int patchSize) {
            return patchSize(SpaceSupport.fixed(Math.toIntExact(SpaceSupport.positive(WHO, "patchSize", patchSize))));
        }

        public Builder patchSize(ParameterSpace<Integer> patchSize) {
            this.patchSize = SpaceSupport.notNull(WHO, "patchSize", patchSize);
            return this;
        }

        public Builder embedDim(long embedDim) {
            return embedDim(SpaceSupport.fixed(Math.toIntExact(SpaceSupport.positive(WHO, "embedDim", embedDim))));
        }

        public Builder embedDim(ParameterSpace<Integer> embedDim) {
            this.embedDim = SpaceSupport.notNull(WHO, "embedDim", embedDim);
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public PatchEmbeddingSpace build() {
            if (patchSize == null || embedDim == null) {
                throw new IllegalArgumentException(WHO + ": patchSize and embedDim must be set (a number or a space)");
            }
            if (dropOut != null) {
                throw SpaceSupport.noInputDropout(WHO, "the dropout of the blocks that follow");
            }
            return new PatchEmbeddingSpace(this);
        }
    }
}
