package org.dl4jpe.hyperparam.spaces;

import org.deeplearning4j.arbiter.layers.LayerSpace;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.FixedValue;
import org.dl4jpe.layers.MlpActivation;
import org.dl4jpe.layers.TiedFeedForward;

/**
 * Arbiter search space over {@link TiedFeedForward}: put it into a {@code MultiLayerSpace} or
 * {@code ComputationGraphSpace} like any Arbiter layer space. {@code embedDim} is fixed by the surrounding network;
 * {@code mlpRatio}, {@code tie}, {@code activation} and {@code dropout} may each be fixed or searched.
 *
 * <pre>{@code
 * new TiedFeedForwardSpace.Builder(64)
 *         .mlpRatio(new DiscreteParameterSpace<>(2.0, 4.0))
 *         .tie(new DiscreteParameterSpace<>(Tie.TRANSPOSE, Tie.NONE))
 *         .build();
 * }</pre>
 */
public final class TiedFeedForwardSpace extends LayerSpace<TiedFeedForward> {
    private long embedDim;
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
        this.numParameters = collectLeaves().stream().mapToInt(ParameterSpace::numParameters).sum();
    }

    @Override
    public TiedFeedForward getValue(double[] values) {
        return TiedFeedForward.builder(embedDim)
                .mlpRatio(mlpRatio.getValue(values))
                .tie(tie.getValue(values))
                .activation(activation.getValue(values))
                .dropout(dropout.getValue(values))
                .build();
    }

    @Override
    public String toString() {
        return "TiedFeedForwardSpace(embedDim=" + embedDim + ", mlpRatio=" + mlpRatio + ", tie=" + tie
                + ", activation=" + activation + ", dropout=" + dropout + ")";
    }

    /** Builder: {@code embedDim} is required; the rest default to {@link TiedFeedForward}'s defaults. */
    public static final class Builder extends LayerSpace.Builder<Builder> {
        private final long embedDim;
        private ParameterSpace<Double> mlpRatio = new FixedValue<>(4.0);
        private ParameterSpace<TiedFeedForward.Tie> tie = new FixedValue<>(TiedFeedForward.Tie.TRANSPOSE);
        private ParameterSpace<MlpActivation> activation = new FixedValue<>(MlpActivation.GELU);
        private ParameterSpace<Double> dropout = new FixedValue<>(0.0);

        public Builder(long embedDim) {
            this.embedDim = embedDim;
        }

        public Builder mlpRatio(ParameterSpace<Double> mlpRatio) {
            this.mlpRatio = mlpRatio;
            return this;
        }

        public Builder tie(ParameterSpace<TiedFeedForward.Tie> tie) {
            this.tie = tie;
            return this;
        }

        public Builder activation(ParameterSpace<MlpActivation> activation) {
            this.activation = activation;
            return this;
        }

        public Builder dropout(ParameterSpace<Double> dropout) {
            this.dropout = dropout;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public TiedFeedForwardSpace build() {
            return new TiedFeedForwardSpace(this);
        }
    }
}
