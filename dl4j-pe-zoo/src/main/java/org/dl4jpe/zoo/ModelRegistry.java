package org.dl4jpe.zoo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.layers.Regularizations;

/**
 * Models by name. {@link Zoo#registry()} holds every family found on the class path; a registry of one's own
 * ({@code new ModelRegistry()}) serves tests and experiments.
 *
 * <p>Names follow timm: lower case, digits and underscores ({@code vit_pe_micro_patch4_28}); a name is
 * registered once.
 */
public final class ModelRegistry {
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*");

    private final Map<String, RegisteredModel> models = new LinkedHashMap<>();

    /** Registers {@code variant} of {@code family}: its name, description, config and default options. */
    public synchronized <C> RegisteredModel register(ModelFamily<C> family, Variant<C> variant) {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(variant, "variant");
        C config = variant.config();
        return add(
                variant.name(),
                variant.description(),
                family.name(),
                variant.defaults(),
                o -> family.configure(config, o),
                o -> family.build(config, o),
                family,
                config);
    }

    /** Registers every row of {@code family}'s variant table. */
    public <C> ModelRegistry registerVariants(ModelFamily<C> family) {
        List<Variant<C>> variants =
                Objects.requireNonNull(family.variants(), () -> "family " + family.name() + " gave no variant table");
        for (Variant<C> v : variants) {
            register(family, v);
        }
        return this;
    }

    /**
     * Registers a model given by a function from options to configuration, for models outside a family table.
     */
    public synchronized RegisteredModel register(
            String name,
            String description,
            String family,
            ModelOptions defaults,
            Function<ModelOptions, ComputationGraphConfiguration> configurer) {
        Objects.requireNonNull(configurer, "configurer");
        return add(
                name,
                description,
                family,
                defaults,
                configurer,
                o -> {
                    ComputationGraph net = new ComputationGraph(configurer.apply(o));
                    net.init();
                    return net;
                },
                null,
                null);
    }

    private RegisteredModel add(
            String name,
            String description,
            String family,
            ModelOptions defaults,
            Function<ModelOptions, ComputationGraphConfiguration> configurer,
            Function<ModelOptions, ComputationGraph> builder,
            ModelFamily<?> familyImpl,
            Object config) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("model name '" + name
                    + "' must be lower case letters, digits and underscores, starting with a letter");
        }
        if (description == null || description.isBlank() || description.contains("\n")) {
            throw new IllegalArgumentException("model " + name + ": description must be one non-empty line");
        }
        Objects.requireNonNull(defaults, "defaults");
        if (models.containsKey(name)) {
            throw new IllegalArgumentException("model " + name + " is already registered (by family "
                    + models.get(name).family() + ")");
        }
        // Every model applies each regularization once, whatever its family does (see Regularizations).
        RegisteredModel m = new RegisteredModel(
                name,
                description,
                family,
                defaults,
                o -> Regularizations.dedupe(configurer.apply(o)),
                o -> Regularizations.dedupe(builder.apply(o)),
                familyImpl,
                config);
        models.put(name, m);
        return m;
    }

    /** Registers the variants of every {@link ModelFamily} that {@link ServiceLoader} finds. */
    public ModelRegistry registerDiscoveredFamilies(ClassLoader loader) {
        for (ModelFamily<?> family : ServiceLoader.load(ModelFamily.class, loader)) {
            registerVariants(family);
        }
        return this;
    }

    /** Registered names, in registration order. */
    public synchronized List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(models.keySet()));
    }

    /** Every registered model, in registration order. */
    public synchronized List<RegisteredModel> models() {
        return Collections.unmodifiableList(new ArrayList<>(models.values()));
    }

    public synchronized boolean contains(String name) {
        return models.containsKey(name);
    }

    /** The model named {@code name}; the exception lists the registered names. */
    public synchronized RegisteredModel get(String name) {
        RegisteredModel m = models.get(name);
        if (m == null) {
            throw new IllegalArgumentException("model '" + name + "' is not registered; registered models: "
                    + (models.isEmpty() ? "(none)" : String.join(", ", models.keySet())));
        }
        return m;
    }

    /** The model {@code name} built with its default options. */
    public ComputationGraph create(String name) {
        return get(name).create();
    }

    /** The model {@code name} built with its default options changed by {@code change}. */
    public ComputationGraph create(String name, UnaryOperator<ModelOptions> change) {
        RegisteredModel m = get(name);
        return m.create(m.options(change));
    }

    /** The model {@code name} built with exactly {@code options}. */
    public ComputationGraph create(String name, ModelOptions options) {
        return get(name).create(options);
    }
}
