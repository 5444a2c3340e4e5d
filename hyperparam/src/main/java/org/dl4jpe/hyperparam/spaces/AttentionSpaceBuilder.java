package org.dl4jpe.hyperparam.spaces;

import org.deeplearning4j.arbiter.layers.LayerSpace;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.dl4jpe.layers.TiedSelfAttention;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;

/**
 * What the builders of the spaces with an attention ({@link TiedSelfAttentionSpace}, {@link TransformerBlockSpace})
 * share: the required width and heads, given fixed or as spaces, and the attention's scheme and dropouts.
 *
 * @param <B> the concrete builder
 */
public abstract class AttentionSpaceBuilder<B extends AttentionSpaceBuilder<B>> extends LayerSpace.Builder<B> {
    /** The space's name, for messages. */
    final String who;

    final ParameterSpace<Integer> embedDim;
    final ParameterSpace<Integer> numHeads;
    ParameterSpace<Scheme> scheme = SpaceSupport.fixed(TiedSelfAttention.DEFAULT_SCHEME);
    ParameterSpace<Double> attnDropout = SpaceSupport.fixed(0.0);
    ParameterSpace<Double> projDropout = SpaceSupport.fixed(0.0);

    /** Width and heads drawn from spaces (share the width space with the layers that must match it). */
    AttentionSpaceBuilder(String who, ParameterSpace<Integer> embedDim, ParameterSpace<Integer> numHeads) {
        this.who = who;
        this.embedDim = SpaceSupport.notNull(who, "embedDim", embedDim);
        this.numHeads = SpaceSupport.notNull(who, "numHeads", numHeads);
    }

    /** A fixed, positive {@code field} of space {@code who}. */
    static ParameterSpace<Integer> fixedPositive(String who, String field, long value) {
        return SpaceSupport.fixed(Math.toIntExact(SpaceSupport.positive(who, field, value)));
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** Which projections share a matrix; default {@link TiedSelfAttention#DEFAULT_SCHEME}. */
    public B scheme(ParameterSpace<Scheme> scheme) {
        this.scheme = SpaceSupport.notNull(who, "scheme", scheme);
        return self();
    }

    /** Drop probability on the attention probabilities; default 0. */
    public B attnDropout(ParameterSpace<Double> attnDropout) {
        this.attnDropout = SpaceSupport.notNull(who, "attnDropout", attnDropout);
        return self();
    }

    /** Drop probability after the output projection; default 0. */
    public B projDropout(ParameterSpace<Double> projDropout) {
        this.projDropout = SpaceSupport.notNull(who, "projDropout", projDropout);
        return self();
    }
}
