package org.dl4jpe.hyperparam.spaces;

import org.deeplearning4j.arbiter.layers.LayerSpace;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.dl4jpe.layers.TiedSelfAttention;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;

/**
 * Arbiter search space over {@link TiedSelfAttention} (input and output {@code [N, D, T]}). {@code embedDim} D must
 * match the surrounding network: a number, or the {@code ParameterSpace<Integer>} object shared with the layers
 * that set the width. {@code numHeads}, {@code scheme} (the tie: {@link Scheme#QO_KV}, {@link Scheme#QK_VO}, or the
 * untied baseline {@link Scheme#NONE}), {@code attnDropout} and {@code projDropout} may each be fixed or searched.
 * A candidate whose {@code numHeads} does not divide its {@code embedDim} fails when it is built, with the message
 * of {@link TiedSelfAttention}'s builder ("numHeads 3 does not divide embedDim 64").
 *
 * <pre>{@code
 * new TiedSelfAttentionSpace.Builder(64, new DiscreteParameterSpace<>(2, 4))
 *         .scheme(new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.QK_VO, Scheme.NONE))
 *         .build();
 * }</pre>
 */
public final class TiedSelfAttentionSpace extends LayerSpace<TiedSelfAttention> {
    private static final String WHO = "TiedSelfAttentionSpace";

    private ParameterSpace<Integer> embedDim;
    private ParameterSpace<Integer> numHeads;
    private ParameterSpace<Scheme> scheme;
    private ParameterSpace<Double> attnDropout;
    private ParameterSpace<Double> projDropout;

    private TiedSelfAttentionSpace() {
        // JSON
    }

    private TiedSelfAttentionSpace(Builder b) {
        super(b);
        this.embedDim = b.embedDim;
        this.numHeads = b.numHeads;
        this.scheme = b.scheme;
        this.attnDropout = b.attnDropout;
        this.projDropout = b.projDropout;
        this.numParameters = SpaceSupport.countParameters(this);
    }

    @Override
    public TiedSelfAttention getValue(double[] values) {
        return TiedSelfAttention.builder(SpaceSupport.intValue(WHO, "embedDim", embedDim.getValue(values)),
                        SpaceSupport.intValue(WHO, "numHeads", numHeads.getValue(values)))
                .scheme(scheme.getValue(values))
                .attnDropout(attnDropout.getValue(values))
                .projDropout(projDropout.getValue(values))
                .build();
    }

    @Override
    public String toString() {
        return WHO + "(embedDim=" + embedDim + ", numHeads=" + numHeads + ", scheme=" + scheme + ", attnDropout="
                + attnDropout + ", projDropout=" + projDropout + ")";
    }

    /** Builder: {@code embedDim} and {@code numHeads} are required; the rest default to the layer's defaults. */
    public static final class Builder extends LayerSpace.Builder<Builder> {
        private final ParameterSpace<Integer> embedDim;
        private final ParameterSpace<Integer> numHeads;
        private ParameterSpace<Scheme> scheme = SpaceSupport.fixed(TiedSelfAttention.DEFAULT_SCHEME);
        private ParameterSpace<Double> attnDropout = SpaceSupport.fixed(0.0);
        private ParameterSpace<Double> projDropout = SpaceSupport.fixed(0.0);

        /** Fixed width and heads. */
        public Builder(long embedDim, int numHeads) {
            this(SpaceSupport.fixed(Math.toIntExact(SpaceSupport.positive(WHO, "embedDim", embedDim))),
                    SpaceSupport.fixed(Math.toIntExact(SpaceSupport.positive(WHO, "numHeads", numHeads))));
        }

        /** A fixed width and searched heads. */
        public Builder(long embedDim, ParameterSpace<Integer> numHeads) {
            this(SpaceSupport.fixed(Math.toIntExact(SpaceSupport.positive(WHO, "embedDim", embedDim))), numHeads);
        }

        /** Width and heads drawn from spaces (share the width space with the layers that must match it). */
        public Builder(ParameterSpace<Integer> embedDim, ParameterSpace<Integer> numHeads) {
            this.embedDim = SpaceSupport.notNull(WHO, "embedDim", embedDim);
            this.numHeads = SpaceSupport.notNull(WHO, "numHeads", numHeads);
        }

        /** Which projections share a matrix; default {@link Scheme#QO_KV}. */
        public Builder scheme(ParameterSpace<Scheme> scheme) {
            this.scheme = SpaceSupport.notNull(WHO, "scheme", scheme);
            return this;
        }

        /** Drop probability on the attention probabilities; default 0. */
        public Builder attnDropout(ParameterSpace<Double> attnDropout) {
            this.attnDropout = SpaceSupport.notNull(WHO, "attnDropout", attnDropout);
            return this;
        }

        /** Drop probability after the output projection; default 0. */
        public Builder projDropout(ParameterSpace<Double> projDropout) {
            this.projDropout = SpaceSupport.notNull(WHO, "projDropout", projDropout);
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public TiedSelfAttentionSpace build() {
            if (dropOut != null) {
                throw SpaceSupport.noInputDropout(WHO, "attnDropout or projDropout");
            }
            return new TiedSelfAttentionSpace(this);
        }
    }
}
