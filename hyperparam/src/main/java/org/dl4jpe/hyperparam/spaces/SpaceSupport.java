package org.dl4jpe.hyperparam.spaces;

import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.FixedValue;
import org.deeplearning4j.arbiter.util.LeafUtils;

/** What the layer spaces share: parameter counting, fixed values, argument checks. */
final class SpaceSupport {
    private SpaceSupport() {}

    /**
     * The number of values a generator draws for {@code space}: one per parameter of each distinct leaf. A leaf
     * object used twice (one {@code embedDim} space shared by two layer spaces) counts once and takes one value.
     */
    static int countParameters(ParameterSpace<?> space) {
        return LeafUtils.countUniqueParameters(space.collectLeaves());
    }

    static <T> ParameterSpace<T> fixed(T value) {
        return new FixedValue<>(value);
    }

    static <T> ParameterSpace<T> notNull(String who, String field, ParameterSpace<T> space) {
        if (space == null) {
            throw new IllegalArgumentException(who + ": " + field + " must not be null (use a FixedValue to fix it)");
        }
        return space;
    }

    static long positive(String who, String field, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(who + ": " + field + " " + value + " must be positive");
        }
        return value;
    }

    /**
     * DL4J's layer-level input dropout ({@code LayerSpace.Builder.dropOut}) is not applied by SameDiff layers, so a
     * space that set it would search a setting without effect; the message names what to use instead.
     */
    static IllegalArgumentException noInputDropout(String who, String instead) {
        return new IllegalArgumentException(who + ": dropOut (DL4J's input dropout) has no effect on SameDiff layers;"
                + " search " + instead + " instead");
    }

    static int intValue(String who, String field, Number n) {
        if (n == null) {
            throw new IllegalArgumentException(who + ": " + field + " space gave null");
        }
        return Math.toIntExact(n.longValue());
    }
}
