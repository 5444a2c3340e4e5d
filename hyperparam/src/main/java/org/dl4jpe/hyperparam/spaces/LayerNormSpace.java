package org.dl4jpe.hyperparam.spaces;

import org.deeplearning4j.arbiter.layers.LayerSpace;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.dl4jpe.layers.LayerNorm;

/**
 * Arbiter space for {@link LayerNorm} over the feature axis ({@code [N, D]} or {@code [N, D, T]}). Nothing of a
 * layer norm is worth searching but its width, which must follow the network's: give a number, or the
 * {@code ParameterSpace<Integer>} object that sets the width elsewhere. {@code eps} is fixed (default 1e-6).
 */
public final class LayerNormSpace extends LayerSpace<LayerNorm> {
    private static final String WHO = "LayerNormSpace";

    private ParameterSpace<Integer> dim;
    private double eps;

    private LayerNormSpace() {
        // JSON
    }

    private LayerNormSpace(Builder b) {
        super(b);
        this.dim = b.dim;
        this.eps = b.eps;
        this.numParameters = SpaceSupport.countParameters(this);
    }

    @Override
    public LayerNorm getValue(double[] values) {
        return LayerNorm.builder(SpaceSupport.intValue(WHO, "dim", dim.getValue(values)))
                .eps(eps)
                .build();
    }

    @Override
    public String toString() {
        return WHO + "(dim=" + dim + ", eps=" + eps + ")";
    }

    /** Builder: {@code dim} is required; {@code eps} defaults to 1e-6. */
    public static final class Builder extends LayerSpace.Builder<Builder> {
        private final ParameterSpace<Integer> dim;
        private double eps = LayerNorm.DEFAULT_EPS;

        public Builder(long dim) {
            this(SpaceSupport.fixed(Math.toIntExact(SpaceSupport.positive(WHO, "dim", dim))));
        }

        public Builder(ParameterSpace<Integer> dim) {
            this.dim = SpaceSupport.notNull(WHO, "dim", dim);
        }

        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public LayerNormSpace build() {
            if (dropOut != null) {
                throw SpaceSupport.noInputDropout(WHO, "the dropout of the layers around it");
            }
            return new LayerNormSpace(this);
        }
    }
}
