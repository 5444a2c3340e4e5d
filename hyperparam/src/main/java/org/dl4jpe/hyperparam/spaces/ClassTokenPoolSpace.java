package org.dl4jpe.hyperparam.spaces;

import org.deeplearning4j.arbiter.layers.LayerSpace;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.dl4jpe.layers.ClassTokenPool;
import org.dl4jpe.layers.ClassTokenPool.Mode;

/**
 * Arbiter space for {@link ClassTokenPool} ({@code [N, D, T]} to {@code [N, D]}): the class token, or the mean over
 * the tokens after the class token (timm's {@code global_pool='avg'}). The mode may be searched:
 * {@code new ClassTokenPoolSpace.Builder().mode(new DiscreteParameterSpace<>(Mode.CLASS_TOKEN, Mode.MEAN))}.
 * In {@link Mode#MEAN} the first {@code numPrefixTokens} tokens (default 1: the class token) are left out.
 */
public final class ClassTokenPoolSpace extends LayerSpace<ClassTokenPool> {
    private static final String WHO = "ClassTokenPoolSpace";

    private ParameterSpace<Mode> mode;
    private long numPrefixTokens;

    private ClassTokenPoolSpace() {
        // JSON
    }

    private ClassTokenPoolSpace(Builder b) {
        super(b);
        this.mode = b.mode;
        this.numPrefixTokens = b.numPrefixTokens;
        this.numParameters = SpaceSupport.countParameters(this);
    }

    @Override
    public ClassTokenPool getValue(double[] values) {
        Mode m = mode.getValue(values);
        ClassTokenPool.Builder b = ClassTokenPool.builder().mode(m);
        if (m == Mode.MEAN) {
            b.numPrefixTokens(numPrefixTokens);
        }
        return b.build();
    }

    @Override
    public String toString() {
        return WHO + "(mode=" + mode + ", numPrefixTokens=" + numPrefixTokens + ")";
    }

    /** Builder: mode defaults to {@link Mode#CLASS_TOKEN}; {@code numPrefixTokens} (MEAN only) to 1. */
    public static final class Builder extends LayerSpace.Builder<Builder> {
        private ParameterSpace<Mode> mode = SpaceSupport.fixed(Mode.CLASS_TOKEN);
        private long numPrefixTokens = 1;

        public Builder mode(ParameterSpace<Mode> mode) {
            this.mode = SpaceSupport.notNull(WHO, "mode", mode);
            return this;
        }

        /** Leading tokens left out of the mean in {@link Mode#MEAN}; default 1 (the class token). */
        public Builder numPrefixTokens(long numPrefixTokens) {
            if (numPrefixTokens < 0) {
                throw new IllegalArgumentException(
                        WHO + ": numPrefixTokens " + numPrefixTokens + " must be zero or positive");
            }
            this.numPrefixTokens = numPrefixTokens;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public ClassTokenPoolSpace build() {
            if (dropOut != null) {
                throw SpaceSupport.noInputDropout(WHO, "the dropout of the blocks before it");
            }
            return new ClassTokenPoolSpace(this);
        }
    }
}
