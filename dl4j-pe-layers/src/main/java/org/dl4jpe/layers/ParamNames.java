package org.dl4jpe.layers;

/**
 * Names of the parameters of a sub-part inside a composite layer: {@code prefixed("attn", "Wq")} is
 * {@code "attnWq"}, {@code prefixed("norm1", "gamma")} is {@code "norm1Gamma"}; an empty prefix leaves the name as
 * it is.
 *
 * <p>Why camelCase and not {@code attn_Wq}: DL4J 1.0.0-M2.1 joins layer and parameter names with {@code '_'} and
 * splits them again at the last {@code '_'} ({@code BaseMultiLayerUpdater.update}, {@code ComputationGraph.getParam}
 * and {@code setParam}), so a parameter name containing {@code '_'} is split in the wrong place: the updater then
 * looks up a layer called {@code "0_attn"} and {@code fit} fails with a NullPointerException.
 */
final class ParamNames {
    private ParamNames() {}

    static String prefixed(String prefix, String name) {
        if (prefix.isEmpty()) {
            return name;
        }
        return prefix + Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }
}
