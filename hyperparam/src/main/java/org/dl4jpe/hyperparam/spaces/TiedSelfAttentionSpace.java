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
        return TiedSelfAttention.builder(
                        SpaceSupport.intValue(WHO, "embedDim", embedDim.getValue(values)),
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
    public static final class Builder extends AttentionSpaceBuilder<Builder> {
        /** Fixed width and heads. */
        public Builder(long embedDim, int numHeads) {
            this(fixedPositive(WHO, "embedDim", embedDim), fixedPositive(WHO, "numHeads", numHeads));
        }

        /** A fixed width and searched heads. */
        public Builder(long embedDim, ParameterSpace<Integer> numHeads) {
            this(fixedPositive(WHO, "embedDim", embedDim), numHeads);
        }

        /** Width and heads drawn from spaces (share the width space with the layers that must match it). */
        public Builder(ParameterSpace<Integer> embedDim, ParameterSpace<Integer> numHeads) {
            super(WHO, embedDim, numHeads);
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
