package org.dl4jpe.cli;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dl4jpe.hyperparam.model.ModelAxes;
import org.dl4jpe.hyperparam.model.ModelCandidate;
import org.dl4jpe.hyperparam.model.ResolvedCandidate;
import org.dl4jpe.zoo.ModelRegistry;
import org.dl4jpe.zoo.RegisteredModel;

/**
 * A model argument of {@code pe compare}: a registered model, optionally with overrides of its config axes (the
 * axes of {@link ModelAxes}, the names a sweep's space file uses), as {@code BASE@axis=value[@axis=value...]}, e.g.
 * {@code vit_micro_patch4_28@embedDim=48} or {@code resnet_mini_28@midWidths=8,16,32} (a list axis takes its
 * elements separated by commas). Only config (architecture) axes may be overridden: the training options and the
 * budget are the comparison's own, the same for every model.
 *
 * @param spec     the argument as given (the row label, the run directory name)
 * @param base     the registered model it starts from (its name is the series of a front)
 * @param registry the registry that holds the model to train: the base registry for a plain name, else one that
 *                 holds only the overridden model
 * @param name     the name of the model to train in {@code registry}
 */
record ModelSpec(String spec, RegisteredModel base, ModelRegistry registry, String name) {
    /** Separates the base model from each override. */
    static final String AT = "@";

    /** Whether the argument overrides axes of its base model. */
    boolean overridden() {
        return !spec.equals(base.name());
    }

    /** The base model's name of {@code spec} (everything before the first {@code @}). */
    static String baseName(String spec) {
        int at = spec.indexOf(AT);
        return at < 0 ? spec : spec.substring(0, at);
    }

    /**
     * Parses {@code spec} against {@code registry}; the message names the argument, the axis, the value and what
     * is valid.
     */
    static ModelSpec parse(String spec, ModelRegistry registry) {
        String[] parts = spec.split(AT, -1);
        RegisteredModel base = registry.get(parts[0]);
        if (parts.length == 1) {
            return new ModelSpec(spec, base, registry, base.name());
        }
        if (base.config() == null || !base.config().getClass().isRecord()) {
            throw bad(
                    spec,
                    "model " + base.name() + " has no config axes to override (it is not built from a"
                            + " family's config record)");
        }
        Map<String, Object> choices = new LinkedHashMap<>();
        StringBuilder name = new StringBuilder(base.name());
        for (String part : Arrays.asList(parts).subList(1, parts.length)) {
            int eq = part.indexOf('=');
            if (eq <= 0 || eq == part.length() - 1) {
                throw bad(
                        spec,
                        "'" + part + "' is not axis=value (write MODEL@axis=value, e.g. "
                                + base.name() + AT + configAxes(base).get(0) + "=...; config axes of " + base.name()
                                + ": "
                                + String.join(", ", configAxes(base)) + ")");
            }
            String axisName = part.substring(0, eq);
            String text = part.substring(eq + 1);
            ModelAxes.Axis axis;
            try {
                axis = ModelAxes.axis(base, axisName);
            } catch (IllegalArgumentException e) {
                throw bad(
                        spec,
                        "axis '" + axisName + "' is not an axis of " + base.name() + "; its config axes: "
                                + String.join(", ", configAxes(base)));
            }
            if (axis.kind() != ModelAxes.Kind.CONFIG) {
                throw bad(
                        spec,
                        "axis " + axisName + " is a training "
                                + (axis.kind() == ModelAxes.Kind.RUN ? "budget" : "option")
                                + ", the same for every model of a comparison (set it with its"
                                + " flag); a model argument may override the config axes: "
                                + String.join(", ", configAxes(base)));
            }
            if (choices.containsKey(axisName)) {
                throw bad(spec, "axis " + axisName + " is given twice");
            }
            Object raw = axis.isList() ? List.of(text.split(",", -1)) : text;
            try {
                choices.put(axisName, ModelAxes.convert(axis, raw));
            } catch (IllegalArgumentException e) {
                throw bad(spec, e.getMessage() + " (" + axisName + " takes " + axis.describeType() + ")");
            }
            name.append("__")
                    .append(axisName.toLowerCase(Locale.ROOT))
                    .append('_')
                    .append(ModelCandidate.exact(choices.get(axisName))
                            .toLowerCase(Locale.ROOT)
                            .replaceAll("[^a-z0-9]+", "_")
                            .replaceAll("^_|_$", ""));
        }
        // batch size and epochs do not matter for the architecture; the comparison sets its own
        Map<String, Object> all = new LinkedHashMap<>(choices);
        all.put(ModelAxes.BATCH_SIZE, 1);
        all.put(ModelAxes.EPOCHS, 1);
        ModelRegistry own = new ModelRegistry();
        try {
            ResolvedCandidate rc = ModelAxes.resolve(base, base.defaultOptions(), new ModelCandidate(base.name(), all));
            rc.configure(); // the family checks the values together (embedDim against numHeads, ...)
            rc.register(
                    own,
                    name.toString(),
                    base.name() + " with "
                            + String.join(", ", Arrays.asList(parts).subList(1, parts.length)));
        } catch (IllegalArgumentException e) {
            throw bad(spec, "the overrides do not make a valid " + base.name() + ": " + e.getMessage());
        }
        return new ModelSpec(spec, base, own, name.toString());
    }

    private static List<String> configAxes(RegisteredModel m) {
        return ModelAxes.of(m).values().stream()
                .filter(a -> a.kind() == ModelAxes.Kind.CONFIG)
                .map(ModelAxes.Axis::name)
                .toList();
    }

    private static IllegalArgumentException bad(String spec, String why) {
        return new IllegalArgumentException("model argument '" + spec + "': " + why);
    }
}
