package org.dl4jpe.hyperparam.spaces;

import org.deeplearning4j.arbiter.layers.LayerSpace;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.dl4jpe.layers.SharedBottleneckStage;
import org.dl4jpe.layers.SharedBottleneckStage.Engine;
import org.dl4jpe.layers.SharedBottleneckStage.Sharing;

/**
 * Arbiter search space over {@link SharedBottleneckStage} (a ResNet bottleneck stage; input {@code [N, C, H, W]},
 * output {@code [N, 4m, H', W']}). Searchable: the sharing level ({@link Sharing#NONE} to
 * {@link Sharing#STAGE_FIRST_3X3}), the mid width m and the number of blocks; {@code inChannels} C must match the
 * layer before: a number, or a space derived from the previous stage's (Arbiter's {@code MathOp}: a stage after one
 * of mid width {@code mid} takes {@code new MathOp<>(mid, Op.MUL, 4)} channels). Stride, BatchNorm momentum and
 * epsilon, and the engine are fixed.
 *
 * <pre>{@code
 * ParameterSpace<Integer> mid = new DiscreteParameterSpace<>(16, 32);
 * ParameterSpace<Sharing> sharing = new DiscreteParameterSpace<>(Sharing.NONE, Sharing.TIED, Sharing.STAGE_FIRST_3X3);
 * graph.addLayer("stage1", new SharedBottleneckStageSpace.Builder(32, mid, 3).sharing(sharing).build(), "stem")
 *      .addLayer("stage2", new SharedBottleneckStageSpace.Builder(new MathOp<>(mid, Op.MUL, 4),
 *              new MathOp<>(mid, Op.MUL, 2), 4).stride(2).sharing(sharing).build(), "stage1");
 * }</pre>
 */
public final class SharedBottleneckStageSpace extends LayerSpace<SharedBottleneckStage> {
    private static final String WHO = "SharedBottleneckStageSpace";

    private ParameterSpace<Integer> inChannels;
    private ParameterSpace<Integer> midChannels;
    private ParameterSpace<Integer> numBlocks;
    private ParameterSpace<Sharing> sharing;
    private int stride;
    private double bnMomentum;
    private double bnEps;
    private Engine engine;

    private SharedBottleneckStageSpace() {
        // JSON
    }

    private SharedBottleneckStageSpace(Builder b) {
        super(b);
        this.inChannels = b.inChannels;
        this.midChannels = b.midChannels;
        this.numBlocks = b.numBlocks;
        this.sharing = b.sharing;
        this.stride = b.stride;
        this.bnMomentum = b.bnMomentum;
        this.bnEps = b.bnEps;
        this.engine = b.engine;
        this.numParameters = SpaceSupport.countParameters(this);
    }

    @Override
    public SharedBottleneckStage getValue(double[] values) {
        return SharedBottleneckStage.builder(
                        SpaceSupport.intValue(WHO, "inChannels", inChannels.getValue(values)),
                        SpaceSupport.intValue(WHO, "midChannels", midChannels.getValue(values)),
                        SpaceSupport.intValue(WHO, "numBlocks", numBlocks.getValue(values)))
                .stride(stride)
                .sharing(sharing.getValue(values))
                .bnMomentum(bnMomentum)
                .bnEps(bnEps)
                .engine(engine)
                .build();
    }

    @Override
    public String toString() {
        return WHO + "(inChannels=" + inChannels + ", midChannels=" + midChannels + ", numBlocks=" + numBlocks
                + ", sharing=" + sharing + ", stride=" + stride + ", bnMomentum=" + bnMomentum + ", bnEps=" + bnEps
                + ", engine=" + engine + ")";
    }

    /** Builder: channels and blocks are required; the rest default to the layer's defaults. */
    public static final class Builder extends LayerSpace.Builder<Builder> {
        private final ParameterSpace<Integer> inChannels;
        private final ParameterSpace<Integer> midChannels;
        private final ParameterSpace<Integer> numBlocks;
        private ParameterSpace<Sharing> sharing = SpaceSupport.fixed(Sharing.STAGE_FIRST_3X3);
        private int stride = 1;
        private double bnMomentum = SharedBottleneckStage.DEFAULT_BN_MOMENTUM;
        private double bnEps = SharedBottleneckStage.DEFAULT_BN_EPS;
        private Engine engine = Engine.DIRECT;

        /** Fixed input channels, mid width and blocks. */
        public Builder(long inChannels, long midChannels, int numBlocks) {
            this(fixed("inChannels", inChannels), fixed("midChannels", midChannels), numBlocks);
        }

        /** Fixed input channels and blocks, a searched mid width. */
        public Builder(long inChannels, ParameterSpace<Integer> midChannels, int numBlocks) {
            this(fixed("inChannels", inChannels), midChannels, numBlocks);
        }

        /** Input channels and mid width from spaces (derive the first from the previous stage's), fixed blocks. */
        public Builder(ParameterSpace<Integer> inChannels, ParameterSpace<Integer> midChannels, int numBlocks) {
            this(inChannels, midChannels, fixed("numBlocks", numBlocks));
        }

        /** Everything from spaces. */
        public Builder(
                ParameterSpace<Integer> inChannels,
                ParameterSpace<Integer> midChannels,
                ParameterSpace<Integer> numBlocks) {
            this.inChannels = SpaceSupport.notNull(WHO, "inChannels", inChannels);
            this.midChannels = SpaceSupport.notNull(WHO, "midChannels", midChannels);
            this.numBlocks = SpaceSupport.notNull(WHO, "numBlocks", numBlocks);
        }

        private static ParameterSpace<Integer> fixed(String field, long v) {
            return SpaceSupport.fixed(Math.toIntExact(SpaceSupport.positive(WHO, field, v)));
        }

        /** What the blocks share; default {@link Sharing#STAGE_FIRST_3X3}. */
        public Builder sharing(ParameterSpace<Sharing> sharing) {
            this.sharing = SpaceSupport.notNull(WHO, "sharing", sharing);
            return this;
        }

        /** Stride of the first block (fixed); default 1. */
        public Builder stride(int stride) {
            this.stride = Math.toIntExact(SpaceSupport.positive(WHO, "stride", stride));
            return this;
        }

        public Builder bnMomentum(double bnMomentum) {
            this.bnMomentum = bnMomentum;
            return this;
        }

        public Builder bnEps(double bnEps) {
            this.bnEps = bnEps;
            return this;
        }

        public Builder engine(Engine engine) {
            this.engine = engine;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public SharedBottleneckStageSpace build() {
            if (dropOut != null) {
                throw SpaceSupport.noInputDropout(WHO, "the sharing level, width or depth");
            }
            return new SharedBottleneckStageSpace(this);
        }
    }
}
