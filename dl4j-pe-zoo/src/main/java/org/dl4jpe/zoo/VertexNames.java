package org.dl4jpe.zoo;

/**
 * Graph vertex names from one helper, so that families never wire names by hand-made string concatenation:
 * {@code VertexNames.of("stage", 2, "block", 1, "conv", 2)} is {@code "stage2_block1_conv2"}: a number attaches to
 * the word before it, words are joined by underscores.
 */
public final class VertexNames {
    private VertexNames() {}

    /** Words (lower case letters, digits, underscores) and non-negative integers, in order. */
    public static String of(Object... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("a vertex name needs at least one part");
        }
        StringBuilder sb = new StringBuilder();
        for (Object p : parts) {
            if (p instanceof Integer || p instanceof Long) {
                long n = ((Number) p).longValue();
                if (n < 0 || sb.length() == 0) {
                    throw new IllegalArgumentException(
                            "vertex name part " + p + " must be a non-negative number" + " after a word");
                }
                sb.append(n);
            } else if (p instanceof String s && s.matches("[a-z][a-z0-9_]*")) {
                if (sb.length() > 0) {
                    sb.append('_');
                }
                sb.append(s);
            } else {
                throw new IllegalArgumentException(
                        "vertex name part '" + p + "' must be a lower-case word or a number");
            }
        }
        return sb.toString();
    }
}
