package org.dl4jpe.hyperparam.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.dl4jpe.zoo.ModelRegistry;

/**
 * Sweeps a user can run at once ({@code pe sweep --preset NAME}): space files bundled in this module
 * ({@code org/dl4jpe/hyperparam/presets/NAME.json}, in the format of {@link SpaceFile}), each with defaults small
 * enough for a 2-core CPU (the shipped subset, one epoch per candidate, a handful of candidates). Copy one to start
 * a space of your own.
 */
public final class Presets {
    /** Every preset, in the order {@code --help} lists them. */
    public static final List<String> NAMES = List.of("vit-micro-tie", "resnet-mini-sharing", "vit-micro-width");

    private static final String FOLDER = "/org/dl4jpe/hyperparam/presets/";

    private Presets() {}

    /** The JSON text of preset {@code name}; the message lists the presets. */
    public static String text(String name) {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("preset = '" + name + "' is not one of " + String.join(", ", NAMES));
        }
        try (InputStream in = Presets.class.getResourceAsStream(FOLDER + name + ".json")) {
            if (in == null) {
                throw new IllegalStateException(
                        "preset " + name + " is missing from the class path (" + FOLDER + name + ".json)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read preset " + name + ": " + e.getMessage(), e);
        }
    }

    /** Preset {@code name}, parsed against {@code registry}. */
    public static SpaceFile load(String name, ModelRegistry registry) {
        return SpaceFile.parse(text(name), "preset " + name, registry);
    }
}
