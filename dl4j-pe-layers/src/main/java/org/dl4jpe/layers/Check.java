package org.dl4jpe.layers;

/** Builder validation with messages that name the layer, the field, the value and what is valid. */
final class Check {
    private Check() {}

    static void positive(String layer, String field, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(layer + ": " + field + " " + value + " must be positive");
        }
    }

    static void notNull(String layer, String field, Object value) {
        if (value == null) {
            throw new IllegalArgumentException(layer + ": " + field + " must not be null");
        }
    }

    /** A drop probability: in [0, 1). */
    static void probability(String layer, String field, double value) {
        if (!(value >= 0.0 && value < 1.0)) {
            throw new IllegalArgumentException(layer + ": " + field + " " + value + " must be in [0, 1)");
        }
    }

    static void positive(String layer, String field, double value) {
        if (!(value > 0.0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(layer + ": " + field + " " + value + " must be positive and finite");
        }
    }
}
