package org.dl4jpe.zoo;

import java.util.List;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * The zoo: every model of every {@link ModelFamily} on the class path, by name.
 *
 * <pre>{@code
 * ComputationGraph net = Zoo.create("vit_pe_micro_patch4_28", o -> o.withNumClasses(10));
 * }</pre>
 */
public final class Zoo {
    private Zoo() {}

    private static final class Holder {
        static final ModelRegistry REGISTRY =
                new ModelRegistry().registerDiscoveredFamilies(Zoo.class.getClassLoader());
    }

    /** The registry of every discovered family (filled on first use). */
    public static ModelRegistry registry() {
        return Holder.REGISTRY;
    }

    /** Registered names, in registration order. */
    public static List<String> names() {
        return registry().names();
    }

    /** The registered model {@code name}; the exception lists the registered names. */
    public static RegisteredModel get(String name) {
        return registry().get(name);
    }

    public static ComputationGraph create(String name) {
        return registry().create(name);
    }

    public static ComputationGraph create(String name, UnaryOperator<ModelOptions> change) {
        return registry().create(name, change);
    }

    public static ComputationGraph create(String name, ModelOptions options) {
        return registry().create(name, options);
    }
}
