package org.dl4jpe.zoo.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.dl4jpe.zoo.data.InvalidDataException;

/**
 * A run directory: {@code state.json} (the commit point), the model checkpoint it names
 * ({@code checkpoint-e0003.zip} at an epoch boundary, {@code checkpoint-e0003-b0017.zip} mid-epoch; a
 * ModelSerializer zip with updater state), {@code metrics.csv} and {@code curves.png}.
 *
 * <p>Saving is crash-safe: the model goes to a temporary file that is renamed into place, then
 * {@code state.json} is replaced the same way; only then is the previous checkpoint deleted. A crash at any
 * point leaves a {@code state.json} that names a complete checkpoint.
 */
public final class RunDirectory {
    public static final String STATE = "state.json";
    public static final String METRICS = "metrics.csv";
    public static final String CURVES = "curves.png";

    private final Path dir;

    public RunDirectory(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    public Path stateFile() {
        return dir.resolve(STATE);
    }

    public Path metricsFile() {
        return dir.resolve(METRICS);
    }

    public Path curvesFile() {
        return dir.resolve(CURVES);
    }

    /** Whether the directory holds a run ({@code state.json}). */
    public boolean hasState() {
        return Files.isRegularFile(stateFile());
    }

    /** Reads {@code state.json}; the message names the file. */
    public RunState readState() {
        if (!hasState()) {
            throw new InvalidDataException("run directory " + dir + " has no " + STATE
                    + " (not a run directory, or no epoch was saved yet)");
        }
        try {
            RunState s = Json.read(stateFile(), RunState.class);
            if (s.format() != RunState.FORMAT) {
                throw new InvalidDataException(stateFile() + " has format " + s.format() + "; this version reads "
                        + RunState.FORMAT);
            }
            return s;
        } catch (IOException e) {
            throw new InvalidDataException("cannot read " + stateFile() + ": " + e.getMessage(), e);
        }
    }

    /** The checkpoint file that {@code state} names. */
    public Path checkpointFile(RunState state) {
        return dir.resolve(state.checkpoint());
    }

    /** Restores the model of {@code state}, with updater state; the message names the file. */
    public ComputationGraph loadModel(RunState state) {
        Path file = checkpointFile(state);
        return load(file);
    }

    /** Restores a ModelSerializer zip with its updater; the message names the file. */
    public static ComputationGraph load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidDataException("checkpoint " + file + " does not exist");
        }
        try {
            return ModelSerializer.restoreComputationGraph(file.toFile(), true);
        } catch (IOException | RuntimeException e) {
            throw new InvalidDataException("cannot restore checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /** Checkpoint file name for a state at {@code epochsDone} and {@code batchInEpoch}. */
    static String checkpointName(int epochsDone, int batchInEpoch) {
        return batchInEpoch == 0 ? String.format("checkpoint-e%04d.zip", epochsDone)
                : String.format("checkpoint-e%04d-b%05d.zip", epochsDone, batchInEpoch);
    }

    /**
     * Saves {@code net} as the checkpoint {@code state} names, then commits {@code state}; then deletes other
     * checkpoint files. Metrics CSV is rewritten from the state's history.
     */
    public void save(ComputationGraph net, RunState state) throws IOException {
        Files.createDirectories(dir);
        Path model = dir.resolve(state.checkpoint());
        Path tmpModel = dir.resolve("." + state.checkpoint() + ".tmp");
        ModelSerializer.writeModel(net, tmpModel.toFile(), true);
        move(tmpModel, model);
        writeAtomically(stateFile(), Json.write(state));
        writeAtomically(metricsFile(), csv(state.history()));
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "checkpoint-*.zip")) {
            for (Path p : ds) {
                if (!p.getFileName().toString().equals(state.checkpoint())) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Rewrites {@code state.json} only (the model file it names is unchanged). */
    public void writeState(RunState state) throws IOException {
        writeAtomically(stateFile(), Json.write(state));
    }

    static String csv(List<EpochMetrics> history) {
        StringBuilder sb = new StringBuilder(EpochMetrics.CSV_HEADER).append('\n');
        for (EpochMetrics m : history) {
            sb.append(m.csvRow()).append('\n');
        }
        return sb.toString();
    }

    /** Writes {@code text} to a temporary file and renames it to {@code file}. */
    public static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        move(tmp, file);
    }

    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
