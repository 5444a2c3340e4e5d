package org.dl4jpe.zoo;

import java.util.Objects;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * A model in the registry: its name, a one-line description, the family it comes from, its default options
 * and how to configure it under given options.
 */
public final class RegisteredModel {
    private final String name;
    private final String description;
    private final String family;
    private final ModelOptions defaults;
    private final Function<ModelOptions, ComputationGraphConfiguration> configurer;
    private final Function<ModelOptions, ComputationGraph> builder;
    private final ModelFamily<?> familyImplementation;
    private final Object config;

    RegisteredModel(
            String name,
            String description,
            String family,
            ModelOptions defaults,
            Function<ModelOptions, ComputationGraphConfiguration> configurer,
            Function<ModelOptions, ComputationGraph> builder,
            ModelFamily<?> familyImplementation,
            Object config) {
        this.name = name;
        this.description = description;
        this.family = family;
        this.defaults = defaults;
        this.configurer = configurer;
        this.builder = builder;
        this.familyImplementation = familyImplementation;
        this.config = config;
    }

    public String name() {
        return name;
    }

    public String description() {
        return description;
    }

    /** The family name ({@link ModelFamily#name()}). */
    public String family() {
        return family;
    }

    /**
     * The family this model is a variant of, or null for a model registered by a configurer function. With
     * {@link #config()} it lets a caller build variants of this model ({@code family.configure(otherConfig, o)}):
     * the hyperparameter search does.
     */
    public ModelFamily<?> familyImplementation() {
        return familyImplementation;
    }

    /** The variant config this model was registered with (of the family's config type), or null. */
    public Object config() {
        return config;
    }

    /** The options this model is built with unless changed. */
    public ModelOptions defaultOptions() {
        return defaults;
    }

    /** The default options with {@code change} applied. */
    public ModelOptions options(UnaryOperator<ModelOptions> change) {
        return defaults.with(change);
    }

    /** The graph configuration under {@code options} (nothing allocated). */
    public ComputationGraphConfiguration configure(ModelOptions options) {
        return configurer.apply(Objects.requireNonNull(options, "options"));
    }

    /** The initialised graph under {@code options}. */
    public ComputationGraph create(ModelOptions options) {
        return builder.apply(Objects.requireNonNull(options, "options"));
    }

    /** The initialised graph under the default options. */
    public ComputationGraph create() {
        return create(defaults);
    }

    /** Trainable parameters under the default options, computed from the configuration without building it. */
    public long trainableParameters() {
        return ParameterCounts.trainable(configure(defaults));
    }

    @Override
    public String toString() {
        return name + " (" + family + "): " + description;
    }
}
