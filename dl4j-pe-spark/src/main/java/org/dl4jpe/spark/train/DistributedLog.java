package org.dl4jpe.spark.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dl4jpe.zoo.train.Json;
import org.dl4jpe.zoo.train.RunDirectory;

/**
 * {@code distributed.json} in a run directory: one entry per training session that ran on Spark or with
 * ParallelWrapper (engine, master, training master and its knobs, workers, Spark version, the epoch it started
 * at), beside the run's own provenance in {@code state.json}.
 */
public final class DistributedLog {
    public static final String FILE = "distributed.json";

    private DistributedLog() {}

    /** Appends {@code entry} (with the time) to {@code dir}'s log. */
    public static void append(Path dir, Map<String, Object> entry) {
        Path f = dir.resolve(FILE);
        try {
            List<Object> sessions = new ArrayList<>();
            if (Files.isRegularFile(f)) {
                sessions.addAll(Arrays.asList(Json.read(f, Object[].class)));
            }
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("started", Instant.now().toString());
            e.putAll(entry);
            sessions.add(e);
            Files.createDirectories(dir);
            RunDirectory.writeAtomically(f, Json.write(sessions));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + f + ": " + e.getMessage(), e);
        }
    }

    /** The sessions recorded in {@code dir} (empty if none). */
    public static List<Map<String, Object>> read(Path dir) {
        Path f = dir.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            return List.of();
        }
        try {
            List<Map<String, Object>> out = new ArrayList<>();
            for (Object o : Json.read(f, Object[].class)) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) o;
                out.add(m);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }
}
