package org.dl4jpe.hyperparam.spaces;

import org.deeplearning4j.arbiter.layers.LayerSpace;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.dl4jpe.layers.LayerNorm;
import org.dl4jpe.layers.MlpActivation;
import org.dl4jpe.layers.TiedFeedForward;
import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;
import org.dl4jpe.layers.TransformerBlock;

/**
 * Arbiter search space over {@link TransformerBlock} (one pre-norm ViT block; input and output {@code [N, D, T]}).
 * {@code embedDim} D must match the surrounding network: a number, or the {@code ParameterSpace<Integer>} object
 * shared with the layers that set the width. Searchable: {@code numHeads}, {@code mlpRatio}, the attention tie
 * {@code scheme}, the MLP {@code tie}, {@code activation}, and the dropouts {@code attnDropout},
 * {@code projDropout}, {@code mlpDropout}, {@code dropPath}; {@code eps} is fixed (default 1e-6).
 *
 * <pre>{@code
 * new TransformerBlockSpace.Builder(64, 4)
 *         .scheme(new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.NONE))
 *         .tie(new DiscreteParameterSpace<>(Tie.TRANSPOSE, Tie.NONE))
 *         .mlpRatio(new DiscreteParameterSpace<>(2.0, 4.0))
 *         .build();
 * }</pre>
 */
public final class TransformerBlockSpace extends LayerSpace<TransformerBlock> {
    private static final String WHO = "TransformerBlockSpace";

    private ParameterSpace<Integer> embedDim;
    private ParameterSpace<Integer> numHeads;
    private ParameterSpace<Double> mlpRatio;
    private ParameterSpace<Scheme> scheme;
    private ParameterSpace<Tie> tie;
    private ParameterSpace<MlpActivation> activation;
    private ParameterSpace<Double> attnDropout;
    private ParameterSpace<Double> projDropout;
    private ParameterSpace<Double> mlpDropout;
    private ParameterSpace<Double> dropPath;
    private double eps;

    private TransformerBlockSpace() {
        // JSON
    }

    private TransformerBlockSpace(Builder b) {
        super(b);
        this.embedDim = b.embedDim;
        this.numHeads = b.numHeads;
        this.mlpRatio = b.mlpRatio;
        this.scheme = b.scheme;
        this.tie = b.tie;
        this.activation = b.activation;
        this.attnDropout = b.attnDropout;
        this.projDropout = b.projDropout;
        this.mlpDropout = b.mlpDropout;
        this.dropPath = b.dropPath;
        this.eps = b.eps;
        this.numParameters = SpaceSupport.countParameters(this);
    }

    @Override
    public TransformerBlock getValue(double[] values) {
        return TransformerBlock.builder(
                        SpaceSupport.intValue(WHO, "embedDim", embedDim.getValue(values)),
                        SpaceSupport.intValue(WHO, "numHeads", numHeads.getValue(values)))
                .mlpRatio(mlpRatio.getValue(values))
                .scheme(scheme.getValue(values))
                .tie(tie.getValue(values))
                .activation(activation.getValue(values))
                .attnDropout(attnDropout.getValue(values))
                .projDropout(projDropout.getValue(values))
                .mlpDropout(mlpDropout.getValue(values))
                .dropPath(dropPath.getValue(values))
                .eps(eps)
                .build();
    }

    @Override
    public String toString() {
        return WHO + "(embedDim=" + embedDim + ", numHeads=" + numHeads + ", mlpRatio=" + mlpRatio + ", scheme="
                + scheme + ", tie=" + tie + ", activation=" + activation + ", attnDropout=" + attnDropout
                + ", projDropout=" + projDropout + ", mlpDropout=" + mlpDropout + ", dropPath=" + dropPath
                + ", eps=" + eps + ")";
    }

    /** Builder: {@code embedDim} and {@code numHeads} are required; the rest default to the block's defaults. */
    public static final class Builder extends AttentionSpaceBuilder<Builder> {
        private ParameterSpace<Double> mlpRatio = SpaceSupport.fixed(TiedFeedForward.DEFAULT_MLP_RATIO);
        private ParameterSpace<Tie> tie = SpaceSupport.fixed(TiedFeedForward.DEFAULT_TIE);
        private ParameterSpace<MlpActivation> activation = SpaceSupport.fixed(TiedFeedForward.DEFAULT_ACTIVATION);
        private ParameterSpace<Double> mlpDropout = SpaceSupport.fixed(0.0);
        private ParameterSpace<Double> dropPath = SpaceSupport.fixed(0.0);
        private double eps = LayerNorm.DEFAULT_EPS;

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

        /** MLP hidden width as a multiple of D; default 4. */
        public Builder mlpRatio(ParameterSpace<Double> mlpRatio) {
            this.mlpRatio = SpaceSupport.notNull(WHO, "mlpRatio", mlpRatio);
            return this;
        }

        /** MLP tie; default {@link Tie#TRANSPOSE}. */
        public Builder tie(ParameterSpace<Tie> tie) {
            this.tie = SpaceSupport.notNull(WHO, "tie", tie);
            return this;
        }

        /** MLP activation; default exact GELU. */
        public Builder activation(ParameterSpace<MlpActivation> activation) {
            this.activation = SpaceSupport.notNull(WHO, "activation", activation);
            return this;
        }

        /** Dropout inside the MLP; default 0. */
        public Builder mlpDropout(ParameterSpace<Double> mlpDropout) {
            this.mlpDropout = SpaceSupport.notNull(WHO, "mlpDropout", mlpDropout);
            return this;
        }

        /** Stochastic depth of this block; default 0. */
        public Builder dropPath(ParameterSpace<Double> dropPath) {
            this.dropPath = SpaceSupport.notNull(WHO, "dropPath", dropPath);
            return this;
        }

        /** Layer norm epsilon (fixed); default 1e-6. */
        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public TransformerBlockSpace build() {
            if (dropOut != null) {
                throw SpaceSupport.noInputDropout(WHO, "attnDropout, projDropout, mlpDropout or dropPath");
            }
            return new TransformerBlockSpace(this);
        }
    }
}
