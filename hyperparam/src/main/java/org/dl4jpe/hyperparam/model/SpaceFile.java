package org.dl4jpe.hyperparam.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.deeplearning4j.arbiter.optimize.distribution.LogUniformDistribution;
import org.deeplearning4j.arbiter.optimize.parameter.FixedValue;
import org.deeplearning4j.arbiter.optimize.parameter.continuous.ContinuousParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.integer.IntegerParameterSpace;
import org.dl4jpe.zoo.ModelRegistry;
import org.dl4jpe.zoo.RegisteredModel;
import org.dl4jpe.zoo.data.InvalidDataException;
import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * A search space written as JSON (the format of {@code pe sweep --space FILE} and of the presets):
 *
 * <pre>{@code
 * {
 *   "description": "ViT-PE micro: attention tie x MLP tie x learning rate",
 *   "model": "vit_pe_micro_patch4_28",
 *   "axes": {
 *     "attention":    ["QO_KV", "QK_VO", "NONE"],
 *     "mlpTie":       ["TRANSPOSE", "NONE"],
 *     "learningRate": {"logUniform": [3e-4, 3e-3]},
 *     "weightDecay":  {"uniform": [0.0, 0.1]},
 *     "depth":        {"int": [4, 6]},
 *     "epochs":       1
 *   },
 *   "defaults": {"generator": "random", "candidates": 6, "data": "fashion-mnist-subset", "limitTrain": 1000}
 * }
 * }</pre>
 *
 * <ul>
 *   <li>{@code model}: a registered model ({@code pe models}), the base every candidate varies.</li>
 *   <li>{@code axes}: axis name ({@link ModelAxes}) to a fixed value (a number, name or boolean), a list of values
 *       to choose from, or a range: {@code {"uniform": [min, max]}}, {@code {"logUniform": [min, max]}} (min above
 *       0; the right form for learning rates), {@code {"int": [min, max]}} (whole numbers, both ends included).
 *       For an axis whose values are lists (ResNet stage depths), a list of numbers is one fixed value and a list
 *       of lists the choices.</li>
 *   <li>{@code defaults} (optional): sweep settings the command line may override: {@code generator},
 *       {@code candidates}, {@code gridPoints}, {@code data}, {@code limitTrain}, {@code limitTest},
 *       {@code valFraction}, {@code score}, {@code seed}.</li>
 *   <li>{@code description} (optional): one line for {@code --help} and the report.</li>
 * </ul>
 *
 * Every value is checked against its axis when the file is read; a message names the file, the axis and the value.
 *
 * @param source      where the text came from (file name or preset), for messages
 * @param text        the JSON text (stored in the sweep directory so that {@code --resume} reads the same space)
 * @param description the description, or ""
 * @param space       the space
 * @param defaults    sweep settings named in {@code defaults}, by name, as JSON values (numbers, strings)
 */
public record SpaceFile(
        String source, String text, String description, ModelSpace space, Map<String, Object> defaults) {

    /** The keys {@code defaults} may hold. */
    public static final Set<String> DEFAULT_KEYS = Set.of(
            "generator", "candidates", "gridPoints", "data", "limitTrain", "limitTest", "valFraction", "score", "seed");

    private static final Set<String> TOP_KEYS = Set.of("description", "model", "axes", "defaults");
    private static final ObjectMapper MAPPER = org.dl4jpe.zoo.train.Json.mapper();

    /** Reads and checks {@code file}; the message names the file. */
    public static SpaceFile read(Path file, ModelRegistry registry) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidDataException("space = " + file + ": no such file");
        }
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), "space = " + file, registry);
        } catch (IOException e) {
            throw new InvalidDataException("space = " + file + ": cannot read it: " + e.getMessage(), e);
        }
    }

    /** Parses and checks {@code text}; messages start with {@code source}. */
    public static SpaceFile parse(String text, String source, ModelRegistry registry) {
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new InvalidDataException(source + ": not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null
                            ? " (line " + e.getLocation().getLineNr() + ", column "
                                    + e.getLocation().getColumnNr() + ")"
                            : ""));
        }
        if (root == null || !root.isObject()) {
            throw new InvalidDataException(source + ": the space must be a JSON object with \"model\" and \"axes\"");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!TOP_KEYS.contains(k)) {
                throw new InvalidDataException(source + ": unknown key \"" + k + "\"; a space file has model, axes,"
                        + " defaults and description");
            }
        }
        JsonNode model = root.get("model");
        if (model == null || !model.isTextual()) {
            throw new InvalidDataException(source + ": \"model\" must name a registered model (see 'pe models')");
        }
        RegisteredModel base;
        ModelSpace.Builder b;
        try {
            base = registry.get(model.asText());
            b = ModelSpace.builder(registry, model.asText());
        } catch (IllegalArgumentException e) {
            throw new InvalidDataException(source + ": " + e.getMessage());
        }
        JsonNode axes = root.get("axes");
        if (axes == null || !axes.isObject()) {
            throw new InvalidDataException(
                    source + ": \"axes\" must be an object of axis name to value, list or" + " range");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = axes.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            try {
                ModelAxes.Axis a = ModelAxes.axis(base, e.getKey());
                b.axis(a.name(), space(base, a, e.getValue()));
            } catch (IllegalArgumentException ex) {
                throw new InvalidDataException(source + ": " + ex.getMessage());
            }
        }
        Map<String, Object> defaults = new LinkedHashMap<>();
        JsonNode d = root.get("defaults");
        if (d != null) {
            if (!d.isObject()) {
                throw new InvalidDataException(source + ": \"defaults\" must be an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = d.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!DEFAULT_KEYS.contains(e.getKey())) {
                    throw new InvalidDataException(source + ": unknown default \"" + e.getKey() + "\"; defaults may"
                            + " set "
                            + String.join(", ", DEFAULT_KEYS.stream().sorted().toList()));
                }
                JsonNode v = e.getValue();
                if (!v.isValueNode() || v.isNull()) {
                    throw new InvalidDataException(
                            source + ": default \"" + e.getKey() + "\" must be a number or a" + " string");
                }
                defaults.put(e.getKey(), v.isNumber() ? v.numberValue() : v.asText());
            }
        }
        JsonNode desc = root.get("description");
        return new SpaceFile(source, text, desc == null ? "" : desc.asText(), b.build(), defaults);
    }

    private static ParameterSpace<?> space(RegisteredModel base, ModelAxes.Axis a, JsonNode v) {
        boolean listAxis = a.isList();
        if (v.isArray() && !(listAxis && !v.isEmpty() && !v.get(0).isArray())) {
            if (v.isEmpty()) {
                throw new IllegalArgumentException("axis " + a.name() + ": the list of values is empty");
            }
            List<Object> values = new ArrayList<>();
            for (JsonNode item : v) {
                Object raw = ModelAxes.convert(a, value(a, item));
                ModelAxes.check(base, a, raw);
                Object converted = stable(raw);
                for (Object seen : values) {
                    if (ModelCandidateKeys.same(seen, converted)) {
                        throw new IllegalArgumentException(
                                "axis " + a.name() + ": value " + ModelCandidate.exact(converted) + " is listed twice");
                    }
                }
                values.add(converted);
            }
            return values.size() == 1 ? new FixedValue<>(values.get(0)) : new DiscreteParameterSpace<>(values);
        }
        if (v.isObject()) {
            if (v.size() != 1) {
                throw new IllegalArgumentException("axis " + a.name() + ": a range is one of {\"uniform\": [min, max]},"
                        + " {\"logUniform\": [min, max]}, {\"int\": [min, max]}");
            }
            String kind = v.fieldNames().next();
            JsonNode range = v.get(kind);
            if (!range.isArray()
                    || range.size() != 2
                    || !range.get(0).isNumber()
                    || !range.get(1).isNumber()) {
                throw new IllegalArgumentException(
                        "axis " + a.name() + ": \"" + kind + "\" needs [min, max], two" + " numbers");
            }
            double min = range.get(0).asDouble();
            double max = range.get(1).asDouble();
            boolean logOfNonPositive = kind.equals("logUniform") && !(min > 0); // named below
            for (double end : logOfNonPositive ? new double[0] : new double[] {min, max}) {
                if (a.type() == int.class || a.type() == Integer.class) {
                    if (end == Math.rint(end)) {
                        ModelAxes.check(base, a, (int) end);
                    }
                } else if (a.type() == double.class || a.type() == Double.class) {
                    ModelAxes.check(base, a, end);
                }
            }
            if (!(min < max)) {
                throw new IllegalArgumentException(
                        "axis " + a.name() + ": range [" + min + ", " + max + "] needs min" + " < max");
            }
            boolean integral = a.type() == int.class
                    || a.type() == Integer.class
                    || a.type() == long.class
                    || a.type() == Long.class;
            boolean real = a.type() == double.class || a.type() == Double.class;
            switch (kind) {
                case "uniform", "logUniform" -> {
                    if (!real) {
                        throw new IllegalArgumentException("axis " + a.name() + " takes " + a.describeType() + "; \""
                                + kind + "\" gives real numbers" + (integral ? " (use \"int\")" : ""));
                    }
                    if (kind.equals("logUniform")) {
                        if (!(min > 0)) {
                            throw new IllegalArgumentException(
                                    "axis " + a.name() + ": logUniform needs min > 0, got " + min);
                        }
                        return new ContinuousParameterSpace(new LogUniformDistribution(min, max));
                    }
                    return new ContinuousParameterSpace(min, max);
                }
                case "int" -> {
                    if (a.type() != int.class && a.type() != Integer.class) {
                        throw new IllegalArgumentException(
                                "axis " + a.name() + " takes " + a.describeType() + "; \"int\" gives whole numbers");
                    }
                    if (min != Math.rint(min) || max != Math.rint(max)) {
                        throw new IllegalArgumentException(
                                "axis " + a.name() + ": \"int\" needs whole numbers, got [" + min + ", " + max + "]");
                    }
                    return new IntegerParameterSpace((int) min, (int) max);
                }
                default ->
                    throw new IllegalArgumentException(
                            "axis " + a.name() + ": unknown range \"" + kind + "\"; use uniform, logUniform or int");
            }
        }
        Object fixed = ModelAxes.convert(a, value(a, v));
        ModelAxes.check(base, a, fixed);
        return new FixedValue<>(stable(fixed));
    }

    /** Arrays as lists: a space's text (compared on resume) then shows their values, not an identity hash. */
    private static Object stable(Object v) {
        return v instanceof int[] arr ? java.util.Arrays.stream(arr).boxed().toList() : v;
    }

    private static Object value(ModelAxes.Axis a, JsonNode n) {
        if (n.isArray()) {
            List<Object> list = new ArrayList<>();
            n.forEach(x -> list.add(value(a, x)));
            return list;
        }
        if (n.isIntegralNumber()) {
            return n.longValue();
        }
        if (n.isNumber()) {
            return n.doubleValue();
        }
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        if (n.isTextual()) {
            return n.asText();
        }
        throw new IllegalArgumentException("axis " + a.name() + ": value " + n + " is not a number, name or list");
    }

    /** Equality of converted values, arrays by content. */
    private static final class ModelCandidateKeys {
        static boolean same(Object a, Object b) {
            return ModelCandidate.exact(a).equals(ModelCandidate.exact(b));
        }
    }
}
