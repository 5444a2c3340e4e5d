package org.dl4jpe.zoo;

import java.util.Objects;

/**
 * One row of a family's variant table: the registered name, a one-line description, the config that defines the
 * architecture, and the options the model is built with unless a caller changes them (its input shape and classes
 * among them, stated here for each variant rather than inferred from the config).
 *
 * @param name        registry name (timm style: {@code vit_pe_micro_patch4_28})
 * @param description one line for {@code pe models}
 * @param config      the family's config value
 * @param defaults    the variant's default options
 * @param <C>         the family's config type
 */
public record Variant<C>(String name, String description, C config, ModelOptions defaults) {

    public Variant {
        Objects.requireNonNull(config, () -> "variant " + name + ": config must not be null");
        Objects.requireNonNull(defaults, () -> "variant " + name + ": defaults must not be null");
    }

    /**
     * A variant trained on {@code input} images of {@code numClasses} classes, every other option at
     * {@link ModelOptions#DEFAULTS}.
     */
    public static <C> Variant<C> of(String name, String description, C config, InputShape input, int numClasses) {
        return new Variant<>(
                name,
                description,
                config,
                ModelOptions.DEFAULTS.withInput(input).withNumClasses(numClasses));
    }
}
