package org.dl4jpe.hyperparam.spaces;

import org.deeplearning4j.arbiter.layers.LayerSpace;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.dl4jpe.layers.MlpActivation;
import org.dl4jpe.layers.TiedFeedForward;

/**
 * Arbiter search space over {@link TiedFeedForward}: put it into a {@code MultiLayerSpace} or
 * {@code ComputationGraphSpace} like any Arbiter layer space. {@code embedDim} must match the surrounding network:
 * give a number, or the same {@code ParameterSpace<Integer>} object that sets the width elsewhere (one shared leaf
 * takes one value per candidate). {@code mlpRatio}, {@code tie}, {@code activation} and {@code dropout} may each be
 * fixed or searched.
 *
 * <pre>{@code
 * new TiedFeedForwardSpace.Builder(64)
 *         .mlpRatio(new DiscreteParameterSpace<>(2.0, 4.0))
 *         .tie(new DiscreteParameterSpace<>(Tie.TRANSPOSE, Tie.NONE))
 *         .build();
 * }</pre>
 */
public final class TiedFeedForwardSpace extends LayerSpace<TiedFeedForward> {
    private ParameterSpace<Integer> embedDim;
    private ParameterSpace<Double> mlpRatio;
    private ParameterSpace<TiedFeedForward.Tie> tie;
    private ParameterSpace<MlpActivation> activation;
    private ParameterSpace<Double> dropout;

    private TiedFeedForwardSpace() {
        // JSON
    }

    private TiedFeedForwardSpace(Builder b) {
        super(b);
        this.embedDim = b.embedDim;
        this.mlpRatio = b.mlpRatio;
        this.tie = b.tie;
        this.activation = b.activation;
        this.dropout = b.dropout;
        this.numParameters = SpaceSupport.countParameters(this);
    }

    @Override
    public TiedFeedForward getValue(double[] values) {
        return TiedFeedForward.builder(
                        SpaceSupport.intValue("TiedFeedForwardSpace", "embedDim", embedDim.getValue(values)))
                .mlpRatio(mlpRatio.getValue(values))
                .tie(tie.getValue(values))
                .activation(activation.getValue(values))
                .dropout(dropout.getValue(values))
                .build();
    }

    @Override
    public String toString() {
        return "TiedFeedForwardSpace(embedDim=" + embedDim + ", mlpRatio=" + mlpRatio + ", tie=" + tie + ", activation="
                + activation + ", dropout=" + dropout + ")";
    }

    /** Builder: {@code embedDim} is required; the rest default to {@link TiedFeedForward}'s defaults. */
    public static final class Builder extends LayerSpace.Builder<Builder> {
        private final ParameterSpace<Integer> embedDim;
        private ParameterSpace<Double> mlpRatio = SpaceSupport.fixed(TiedFeedForward.DEFAULT_MLP_RATIO);
        private ParameterSpace<TiedFeedForward.Tie> tie = SpaceSupport.fixed(TiedFeedForward.DEFAULT_TIE);
        private ParameterSpace<MlpActivation> activation = SpaceSupport.fixed(TiedFeedForward.DEFAULT_ACTIVATION);
        private ParameterSpace<Double> dropout = SpaceSupport.fixed(0.0);

        /** A fixed width D. */
        public Builder(long embedDim) {
            this(SpaceSupport.fixed(
                    Math.toIntExact(SpaceSupport.positive("TiedFeedForwardSpace", "embedDim", embedDim))));
        }

        /** A width D drawn from {@code embedDim} (share the object with the layers that must have the same D). */
        public Builder(ParameterSpace<Integer> embedDim) {
            this.embedDim = SpaceSupport.notNull("TiedFeedForwardSpace", "embedDim", embedDim);
        }

        public Builder mlpRatio(ParameterSpace<Double> mlpRatio) {
            this.mlpRatio = SpaceSupport.notNull("TiedFeedForwardSpace", "mlpRatio", mlpRatio);
            return this;
        }

        public Builder tie(ParameterSpace<TiedFeedForward.Tie> tie) {
            this.tie = SpaceSupport.notNull("TiedFeedForwardSpace", "tie", tie);
            return this;
        }

        public Builder activation(ParameterSpace<MlpActivation> activation) {
            this.activation = SpaceSupport.notNull("TiedFeedForwardSpace", "activation", activation);
            return this;
        }

        public Builder dropout(ParameterSpace<Double> dropout) {
            this.dropout = SpaceSupport.notNull("TiedFeedForwardSpace", "dropout", dropout);
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public TiedFeedForwardSpace build() {
            if (dropOut != null) {
                throw SpaceSupport.noInputDropout("TiedFeedForwardSpace", "dropout");
            }
            return new TiedFeedForwardSpace(this);
        }
    }
}
