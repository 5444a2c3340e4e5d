package org.dl4jpe.zoo.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.dl4jpe.zoo.data.InvalidDataException;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.annotation.PropertyAccessor;
import org.nd4j.shade.jackson.core.JsonParser;
import org.nd4j.shade.jackson.core.type.TypeReference;
import org.nd4j.shade.jackson.databind.DeserializationFeature;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

/**
 * The project's one JSON mapper for its own files (run state, sweep definitions and records, space files): ND4J's
 * shaded Jackson, which DL4J already carries; fields only, pretty-printed; a key given twice in one object is an
 * error (Jackson's STRICT_DUPLICATE_DETECTION), not "the last one wins". Unknown keys are ignored (a newer
 * version's files stay readable).
 */
public final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .setVisibility(PropertyAccessor.ALL, JsonAutoDetect.Visibility.NONE)
            .setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(JsonParser.Feature.STRICT_DUPLICATE_DETECTION, true)
            .configure(SerializationFeature.INDENT_OUTPUT, true);

    private Json() {}

    /** The mapper (shared; do not reconfigure it). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** {@code value}'s JSON with a final newline: the form of the sweep's files. */
    public static String writeLine(Object value) {
        return write(value) + "\n";
    }

    public static <T> T read(Path file, Class<T> type) throws IOException {
        return MAPPER.readValue(file.toFile(), type);
    }

    /**
     * The {@code what} in {@code file}: an {@link InvalidDataException} names the file and what is wrong (the first
     * line of the parser's message) when it cannot be read, or says it is empty.
     */
    public static <T> T readFile(Path file, Class<T> type, String what) {
        T value;
        try {
            value = read(file, type);
        } catch (IOException | RuntimeException e) {
            String m = e.getMessage() == null
                    ? e.getClass().getSimpleName()
                    : e.getMessage().lines().findFirst().orElse("");
            throw new InvalidDataException("cannot read " + what + file + ": " + m, e);
        }
        if (value == null) {
            throw new InvalidDataException(what + file + " is empty");
        }
        return value;
    }

    public static <T> T read(String json, Class<T> type) throws IOException {
        return MAPPER.readValue(json, type);
    }

    /**
     * The value under {@code key} of the JSON object {@code file} as {@code type}, or null when the key is absent
     * or null: how a record that keeps a flat file layout reads its fields.
     */
    public static <T> T field(JsonNode file, String key, Class<T> type) throws IOException {
        JsonNode n = file.get(key);
        return n == null || n.isNull() ? null : MAPPER.readerFor(type).readValue(n);
    }

    /** {@link #field(JsonNode, String, Class)} for generic types (lists, maps). */
    public static <T> T field(JsonNode file, String key, TypeReference<T> type) throws IOException {
        JsonNode n = file.get(key);
        return n == null || n.isNull() ? null : MAPPER.readerFor(type).readValue(n);
    }

    /** The whole number under {@code key}, 0 when absent or null; the message names the key and the value. */
    public static long wholeNumber(JsonNode file, String key) {
        JsonNode n = file.get(key);
        if (n == null || n.isNull()) {
            return 0;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw new IllegalArgumentException(key + " is " + n + "; it is a whole number");
        }
        return n.longValue();
    }

    /** The string under {@code key}, null when absent or null; the message names the key and the value. */
    public static String text(JsonNode file, String key) {
        JsonNode n = file.get(key);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new IllegalArgumentException(key + " is " + n + "; it is a string");
        }
        return n.textValue();
    }

    /** SHA-256 of {@code value}'s JSON, hex: a checksum of settings that files record and readers compare. */
    public static String hash(Object value) {
        return sha256(write(value).getBytes(StandardCharsets.UTF_8));
    }

    /** SHA-256 of {@code bytes}, hex. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this Java", e);
        }
    }
}
