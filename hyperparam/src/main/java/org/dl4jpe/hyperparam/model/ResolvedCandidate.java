package org.dl4jpe.hyperparam.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.dl4jpe.zoo.ModelFamily;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.ModelRegistry;
import org.dl4jpe.zoo.RegisteredModel;
import org.dl4jpe.zoo.Variant;

/**
 * A {@link ModelCandidate} made concrete: the family's config with the candidate's architecture values, the model
 * options with its training values, and the batch size and epochs it trains with.
 *
 * @param base      the registered model the candidate varies
 * @param config    the variant config (the family's config type)
 * @param options   model options (classes and input shape from the data, seed, learning rate, ...)
 * @param batchSize training batch size
 * @param epochs    training epochs
 */
public record ResolvedCandidate(RegisteredModel base, Object config, ModelOptions options, int batchSize, int epochs) {

    /** The graph configuration; the family validates and throws {@link IllegalArgumentException} naming the field. */
    public ComputationGraphConfiguration configure() {
        return configure(base.familyImplementation(), config, options);
    }

    /**
     * Registers this candidate as model {@code name} in {@code registry} (the trainer builds models by name), with
     * the base model's default options.
     */
    public void register(ModelRegistry registry, String name, String description) {
        register(registry, name, description, base.familyImplementation(), config, base.defaultOptions());
    }

    @SuppressWarnings("unchecked")
    private static <C> ComputationGraphConfiguration configure(
            ModelFamily<C> family, Object config, ModelOptions options) {
        return family.configure((C) config, options);
    }

    @SuppressWarnings("unchecked")
    private static <C> void register(
            ModelRegistry registry,
            String name,
            String description,
            ModelFamily<C> family,
            Object config,
            ModelOptions defaults) {
        registry.register(family, new Variant<>(name, description, (C) config, defaults));
    }
}
