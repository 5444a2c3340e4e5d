package org.dl4jpe.hyperparam.model;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.RegisteredModel;

/**
 * The axes a model-level search can vary for one registered model, and how a candidate's values become a config,
 * options, batch size and epochs.
 *
 * <ul>
 *   <li><b>config</b> axes: the components of the model's variant config record, by name: for a ViT
 *       ({@code VitConfig}) {@code patchSize, embedDim, depth, numHeads, mlpRatio, attention, mlpTie}; for a
 *       ResNet the components of its config (its sharing level among them). A new family's config record gets its
 *       axes without code here.</li>
 *   <li><b>options</b> axes: the fields of {@link ModelOptions} ({@link ModelOptions#FIELDS}, the names its files
 *       use) that a search may vary: {@code seed, updater,
 *       learningRate, weightDecay, dropout, dropPath, workspaceMode, cacheMode, dataType}. Classes and input shape
 *       come from the data.</li>
 *   <li><b>run</b> axes: {@code batchSize} and {@code epochs}.</li>
 * </ul>
 *
 * Values are converted to the component's type: numbers to {@code int}/{@code long}/{@code double} (an integer
 * axis takes only whole numbers), names to enum constants (case-insensitive), lists element by element. Every conversion error names the axis, the value and what is valid.
 */
public final class ModelAxes {
    /** Where an axis's value goes. */
    public enum Kind {
        CONFIG,
        OPTIONS,
        RUN
    }

    /**
     * One searchable axis: its name, where it goes, the Java type its values take and, for a {@code List}
     * component (a ResNet's blocks per stage), the type of the list's elements.
     */
    public record Axis(String name, Kind kind, Class<?> type, Class<?> element) {
        /** "int", "double", "one of QO_KV, QK_VO, NONE", "a list of Integer" ... for messages. */
        public String describeType() {
            if (type.isEnum()) {
                return "one of " + enumNames(type);
            }
            if (type == int[].class) {
                return "a list of whole numbers";
            }
            if (isList()) {
                return "a list of " + (element == null ? "values" : element.getSimpleName());
            }
            return type.getSimpleName();
        }

        /** Whether a value of this axis is itself a list (so that a space file lists lists to choose from). */
        public boolean isList() {
            return type == int[].class || List.class.isAssignableFrom(type);
        }
    }

    public static final String BATCH_SIZE = "batchSize";
    public static final String EPOCHS = "epochs";

    /** Options that the data fixes: a search may not vary them. */
    private static final Set<String> DATA_OPTIONS = Set.of("numClasses", "inputHeight", "inputWidth", "inputChannels");

    private ModelAxes() {}

    /** Every axis of {@code model}, config axes first, then options, then run axes. */
    public static Map<String, Axis> of(RegisteredModel model) {
        Map<String, Axis> axes = new LinkedHashMap<>();
        Object config = model.config();
        if (config != null && config.getClass().isRecord()) {
            for (RecordComponent c : config.getClass().getRecordComponents()) {
                Class<?> element = null;
                if (List.class.isAssignableFrom(c.getType())
                        && c.getGenericType() instanceof ParameterizedType p
                        && p.getActualTypeArguments()[0] instanceof Class<?> e) {
                    element = e;
                }
                axes.put(c.getName(), new Axis(c.getName(), Kind.CONFIG, c.getType(), element));
            }
        }
        for (String field : ModelOptions.FIELDS) {
            if (!DATA_OPTIONS.contains(field) && !axes.containsKey(field)) {
                axes.put(field, new Axis(field, Kind.OPTIONS, ModelOptions.fieldType(field), null));
            }
        }
        axes.put(BATCH_SIZE, new Axis(BATCH_SIZE, Kind.RUN, int.class, null));
        axes.put(EPOCHS, new Axis(EPOCHS, Kind.RUN, int.class, null));
        return Collections.unmodifiableMap(axes);
    }

    /** The axis {@code name} of {@code model}; the message lists the valid names. */
    public static Axis axis(RegisteredModel model, String name) {
        Map<String, Axis> axes = of(model);
        Axis a = axes.get(name);
        if (a == null) {
            String why = DATA_OPTIONS.contains(name) ? " (" + name + " comes from the data)" : "";
            throw new IllegalArgumentException("axis '" + name + "' cannot be searched for model " + model.name() + why
                    + "; its axes: " + String.join(", ", axes.keySet()));
        }
        return a;
    }

    /** {@code value} as axis {@code a}'s type; the message names the axis, the value and what is valid. */
    public static Object convert(Axis a, Object value) {
        Class<?> t = a.type();
        if (value == null) {
            throw new IllegalArgumentException("axis " + a.name() + ": no value (expected " + a.describeType() + ")");
        }
        if (t == int.class || t == Integer.class || t == long.class || t == Long.class) {
            long v = wholeNumber(a, value);
            if ((t == int.class || t == Integer.class) && (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)) {
                throw new IllegalArgumentException("axis " + a.name() + ": value " + value + " is out of int range");
            }
            return t == int.class || t == Integer.class ? (Object) (int) v : (Object) v;
        }
        if (t == double.class || t == Double.class || t == float.class || t == Float.class) {
            double d = number(a, value, "a number");
            return t == float.class || t == Float.class ? (Object) (float) d : (Object) d;
        }
        if (t == boolean.class || t == Boolean.class) {
            if (value instanceof Boolean b) {
                return b;
            }
            String s = value.toString().trim().toLowerCase(Locale.ROOT);
            if (s.equals("true") || s.equals("false")) {
                return Boolean.parseBoolean(s);
            }
            throw new IllegalArgumentException("axis " + a.name() + ": value '" + value + "' is not true or false");
        }
        if (t.isEnum()) {
            if (t.isInstance(value)) {
                return value;
            }
            String s = value.toString().trim();
            for (Object c : t.getEnumConstants()) {
                if (((Enum<?>) c).name().equalsIgnoreCase(s)) {
                    return c;
                }
            }
            throw new IllegalArgumentException(
                    "axis " + a.name() + ": value '" + value + "' is not one of " + enumNames(t));
        }
        if (t == String.class) {
            return value.toString();
        }
        if (t == int[].class) {
            if (value instanceof int[] arr) {
                return arr.clone();
            }
            if (value instanceof List<?> list) {
                int[] out = new int[list.size()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = Math.toIntExact(wholeNumber(a, list.get(i)));
                }
                return out;
            }
            throw new IllegalArgumentException(
                    "axis " + a.name() + ": value " + value + " is not a list of whole" + " numbers");
        }
        if (List.class.isAssignableFrom(t)) {
            List<?> items;
            if (value instanceof List<?> l) {
                items = l;
            } else if (value instanceof int[] arr) {
                items = java.util.Arrays.stream(arr).boxed().toList();
            } else {
                throw new IllegalArgumentException("axis " + a.name() + ": value " + value + " is not a list");
            }
            if (a.element() == null || a.element() == Object.class) {
                return List.copyOf(items);
            }
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                out.add(convert(new Axis(a.name() + "[" + i + "]", a.kind(), a.element(), null), items.get(i)));
            }
            return List.copyOf(out);
        }
        if (t.isInstance(value)) {
            return value;
        }
        throw new IllegalArgumentException("axis " + a.name() + ": value " + value + " ("
                + value.getClass().getSimpleName() + ") cannot be used for a " + t.getSimpleName());
    }

    /**
     * Checks one converted value of axis {@code a} on its own, as a candidate would use it: a run value must be
     * positive, an options value must pass {@link ModelOptions}' checks, (config values depend on each other and
     * are checked when a candidate resolves); the message names the axis, the value and what is valid. A space file is checked this way when it is read, so that a
     * value no candidate could train with is found before the sweep starts.
     */
    public static void check(RegisteredModel model, Axis a, Object value) {
        try {
            switch (a.kind()) {
                case RUN -> {
                    if ((Integer) value <= 0) {
                        throw new IllegalArgumentException("must be positive");
                    }
                }
                case OPTIONS -> model.defaultOptions().withFields(Map.of(a.name(), value));
                case CONFIG -> {
                    // config values are checked together (embedDim against numHeads, ...) when a candidate resolves
                }
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "axis " + a.name() + ": value " + ModelCandidate.exact(value) + " is not valid: " + e.getMessage(),
                    e);
        }
    }

    /** {@code value} as a double: a number, or text that parses as one; else the message says it is not {@code what}. */
    private static double number(Axis a, Object value, String what) {
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.parseDouble(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("axis " + a.name() + ": value '" + value + "' is not " + what);
        }
    }

    private static long wholeNumber(Axis a, Object value) {
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        double d = number(a, value, "a whole number");
        if (d != Math.rint(d) || Double.isInfinite(d)) {
            throw new IllegalArgumentException("axis " + a.name() + ": value " + value + " is not a whole number");
        }
        return (long) d;
    }

    /**
     * Resolves {@code candidate} against its base model: config values replace the base config's components,
     * options values the options, run values the batch size and epochs.
     *
     * @param model    the registered base model
     * @param options  the options to start from (the base's defaults with classes, input shape and seed of the
     *                 sweep already set)
     * @param candidate the candidate
     * @throws IllegalArgumentException naming the axis and value when a value does not fit
     */
    public static ResolvedCandidate resolve(RegisteredModel model, ModelOptions options, ModelCandidate candidate) {
        if (!model.name().equals(candidate.baseModel())) {
            throw new IllegalArgumentException(
                    "candidate of model " + candidate.baseModel() + " resolved against " + model.name());
        }
        Map<String, Object> configValues = new LinkedHashMap<>();
        Map<String, Object> optionValues = new LinkedHashMap<>();
        Integer batch = null;
        Integer epochs = null;
        for (Map.Entry<String, Object> e : candidate.choices().entrySet()) {
            Axis a = axis(model, e.getKey());
            Object v = convert(a, e.getValue());
            switch (a.kind()) {
                case CONFIG -> configValues.put(a.name(), v);
                case OPTIONS -> optionValues.put(a.name(), v);
                case RUN -> {
                    int n = (Integer) v;
                    if (n <= 0) {
                        throw new IllegalArgumentException("axis " + a.name() + ": value " + n + " must be positive");
                    }
                    if (a.name().equals(BATCH_SIZE)) {
                        batch = n;
                    } else {
                        epochs = n;
                    }
                }
            }
        }
        if (batch == null || epochs == null) {
            throw new IllegalArgumentException("candidate of " + model.name() + " has no "
                    + (batch == null ? BATCH_SIZE : EPOCHS) + " value (a ModelSpace always has both axes)");
        }
        Object config = configValues.isEmpty() ? model.config() : withComponents(model.config(), configValues);
        ModelOptions o = optionValues.isEmpty() ? options : options.withFields(optionValues);
        return new ResolvedCandidate(model, config, o, batch, epochs);
    }

    /** A copy of record {@code base} with the named components replaced (the record's constructor validates). */
    @SuppressWarnings("unchecked")
    static <R> R withComponents(R base, Map<String, Object> values) {
        Class<?> type = base.getClass();
        if (!type.isRecord()) {
            throw new IllegalArgumentException(
                    type.getSimpleName() + " is not a record; its fields cannot be searched");
        }
        RecordComponent[] comps = type.getRecordComponents();
        Object[] args = new Object[comps.length];
        Class<?>[] types = new Class<?>[comps.length];
        List<String> used = new ArrayList<>();
        try {
            for (int i = 0; i < comps.length; i++) {
                types[i] = comps[i].getType();
                if (values.containsKey(comps[i].getName())) {
                    args[i] = values.get(comps[i].getName());
                    used.add(comps[i].getName());
                } else {
                    args[i] = comps[i].getAccessor().invoke(base);
                }
            }
            if (used.size() != values.size()) {
                throw new IllegalArgumentException(type.getSimpleName() + " has no component(s) "
                        + values.keySet().stream()
                                .filter(k -> !used.contains(k))
                                .toList());
            }
            Constructor<?> c = type.getDeclaredConstructor(types);
            c.setAccessible(true);
            return (R) c.newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("cannot build " + type.getSimpleName() + ": " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(
                    "cannot build " + type.getSimpleName() + " by its canonical constructor: " + e, e);
        }
    }

    static String enumNames(Class<?> type) {
        List<String> names = new ArrayList<>();
        for (Object c : type.getEnumConstants()) {
            names.add(((Enum<?>) c).name());
        }
        return String.join(", ", names);
    }
}
