package org.dl4jpe.hyperparam.model;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * One candidate of a model-level search ({@link ModelSpace}): a registered zoo model, the base, and the value of
 * every axis of the space, in the space's order. {@link ModelAxes#resolve} turns it into the variant config, the
 * model options, the batch size and the epochs; a value the model rejects (a {@code numHeads} that does not divide
 * {@code embedDim}) makes that step fail, not the drawing of the candidate, so that the sweep records the failure.
 *
 * @param baseModel the registered model the candidate varies
 * @param choices   axis name to value (enum constants, numbers, strings), every axis of the space
 */
public record ModelCandidate(String baseModel, Map<String, Object> choices) implements Serializable {

    public ModelCandidate {
        Objects.requireNonNull(baseModel, "baseModel");
        choices = Collections.unmodifiableMap(new LinkedHashMap<>(choices));
    }

    /**
     * An exact, stable text of the candidate: the base model and every value at full precision. Two candidates
     * with the same key are the same configuration; a resumed sweep matches finished candidates by it.
     */
    public String key() {
        StringJoiner j = new StringJoiner(", ", baseModel + " {", "}");
        choices.forEach((k, v) -> j.add(k + "=" + exact(v)));
        return j.toString();
    }

    /** The values of {@code axes} for people: {@code attention=QO_KV, learningRate=0.00123}. */
    public String describe(Iterable<String> axes) {
        StringJoiner j = new StringJoiner(", ");
        for (String a : axes) {
            if (choices.containsKey(a)) {
                j.add(a + "=" + display(choices.get(a)));
            }
        }
        return j.toString();
    }

    /** A value as the key writes it: enum names, numbers at full precision. */
    public static String exact(Object v) {
        if (v instanceof Enum<?> e) {
            return e.name();
        }
        if (v instanceof int[] a) {
            return java.util.Arrays.toString(a);
        }
        return String.valueOf(v);
    }

    /** A value for tables: enum names, doubles to four significant digits. */
    public static String display(Object v) {
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 1e6) {
                return String.format(Locale.ROOT, "%.1f", d);
            }
            return String.format(Locale.ROOT, "%.4g", d);
        }
        return exact(v);
    }
}
