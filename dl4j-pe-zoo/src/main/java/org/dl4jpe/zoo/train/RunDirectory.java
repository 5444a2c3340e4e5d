package org.dl4jpe.zoo.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.dl4jpe.layers.Regularizations;
import org.dl4jpe.zoo.ParameterCounts;
import org.dl4jpe.zoo.data.InvalidDataException;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A run directory: {@code state.json} (the commit point), the model checkpoint it names
 * ({@code checkpoint-e0003.zip} at an epoch boundary, {@code checkpoint-e0003-b00017.zip} mid-epoch; a
 * ModelSerializer zip with updater state), {@code metrics.csv}, {@code curves.png} and the lock {@code .pe-lock}.
 *
 * <p>Saving is crash-safe: the model goes to a temporary file that is renamed into place, then
 * {@code state.json} is replaced the same way; only then is the previous checkpoint deleted. A crash at any
 * point leaves a {@code state.json} that names a complete checkpoint; the temporary files of a save that was cut
 * short are removed by the next {@link #open} (and by the failing save itself when it can).
 *
 * <p>Ownership: a directory is used for a new run only when it is new, empty, or holds nothing but this class's
 * own files (its lock, temporary files, checkpoints of a run killed before its first {@code state.json}) and the
 * caller's declared companion files; only files of those exact names are ever deleted or replaced.
 *
 * <p>This is the run-directory API for every trainer (the command line, sweeps, other engines): {@link #open}
 * locks the directory ({@link RunLock}) for a new run or a resume; {@link #readState} validates what it reads;
 * {@link #loadModel} verifies the checkpoint against the state before it is used.
 */
public final class RunDirectory {
    public static final String STATE = "state.json";
    public static final String METRICS = "metrics.csv";
    public static final String CURVES = "curves.png";

    private static final Pattern CHECKPOINT = Pattern.compile("checkpoint-e\\d{4}(-b\\d{5})?\\.zip");
    private static final Set<String> OWN = Set.of(STATE, METRICS, CURVES, RunLock.FILE);

    private final Path dir;
    private final Set<String> companions;

    public RunDirectory(Path dir) {
        this(dir, Set.of());
    }

    /**
     * @param companions names of files the caller writes into the directory before a new run (a sweep's
     *                   {@code candidate.json}); they count as the run's own
     */
    public RunDirectory(Path dir, Set<String> companions) {
        this.dir = dir;
        this.companions = Set.copyOf(companions);
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

    /**
     * Locks the directory for a new run ({@code resume} false) or a resume, checks that it may be used, and
     * removes what a killed save left behind (temporary files, checkpoints no {@code state.json} names).
     *
     * @param what who locks it, for the message a second process gets ("pe train")
     * @return the lock, to be closed when the run ends
     */
    public RunLock open(boolean resume, String what) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(
                    dir + " is a file, not a directory; give a directory (new, empty, or" + " a run directory)");
        }
        if (!resume) {
            requireUsableForNewRun();
        } else if (!hasState()) {
            throw new InvalidDataException("run directory " + dir + " has no " + STATE
                    + " (not a run directory, or no checkpoint was saved yet)");
        }
        RunLock lock = RunLock.acquire(dir, what);
        try {
            if (resume) {
                RunState s = readState();
                removeLeftovers(s.checkpoint());
            } else {
                requireUsableForNewRun();
                removeLeftovers(null);
            }
            return lock;
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * The checks of {@link #open} without keeping the lock (and without creating the directory), so that a command
     * line fails at once, before it loads data: a file, a foreign directory, a directory in use.
     */
    public void check(boolean resume) {
        if (Files.exists(dir)) {
            open(resume, "pe (checking the directory)").close();
        } else if (resume) {
            throw new InvalidDataException("run directory " + dir + " does not exist");
        }
    }

    private void requireUsableForNewRun() {
        if (hasState()) {
            throw new IllegalArgumentException("out = " + dir + " already holds a run (" + STATE
                    + "); continue it (resume the run in " + dir + ") or choose another out directory");
        }
        if (!Files.isDirectory(dir)) {
            return;
        }
        List<String> foreign = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!(isOwnTemporary(n)
                        || CHECKPOINT.matcher(n).matches()
                        || n.equals(RunLock.FILE)
                        || companions.contains(n))) {
                    foreign.add(n);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        if (!foreign.isEmpty()) {
            java.util.Collections.sort(foreign);
            throw new IllegalArgumentException("out = " + dir + " is not empty and holds no run (no " + STATE + "): "
                    + String.join(", ", foreign.subList(0, Math.min(10, foreign.size())))
                    + (foreign.size() > 10 ? " and " + (foreign.size() - 10) + " more" : "")
                    + "; a new run needs a new or empty directory, so that no file of yours is replaced or deleted");
        }
    }

    /** Whether {@code name} is a temporary file this class (or {@link Charts}) writes: {@code .NAME.tmp}. */
    static boolean isOwnTemporary(String name) {
        if (!name.startsWith(".") || !name.endsWith(".tmp")) {
            return false;
        }
        String inner = name.substring(1, name.length() - 4);
        return OWN.contains(inner) || CHECKPOINT.matcher(inner).matches();
    }

    /** Deletes own temporary files, and checkpoints other than {@code keep} (null: all of them). */
    void removeLeftovers(String keep) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (isOwnTemporary(n) || (CHECKPOINT.matcher(n).matches() && !n.equals(keep))) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean up " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Reads {@code state.json} and checks it ({@link RunState#problems}); the message names the file. */
    public RunState readState() {
        if (!hasState()) {
            throw new InvalidDataException(
                    "run directory " + dir + " has no " + STATE + " (not a run directory, or no epoch was saved yet)");
        }
        RunState s = Json.readFile(stateFile(), RunState.class, "");
        List<String> problems = s.problems();
        if (!problems.isEmpty()) {
            throw new InvalidDataException(stateFile() + " is not a valid run state: " + String.join("; ", problems));
        }
        return s;
    }

    /** The checkpoint file that {@code state} names. */
    public Path checkpointFile(RunState state) {
        return dir.resolve(state.checkpoint());
    }

    /** Restores the model of {@code state}, with updater state, verified against the state ({@link #verify}). */
    public ComputationGraph loadModel(RunState state) {
        Path file = checkpointFile(state);
        ComputationGraph net = load(file);
        verify(state, net, file);
        return net;
    }

    /**
     * Checks that {@code net} (read from {@code file}) is the model {@code state} describes: its fingerprint
     * (architecture and parameter shapes) when the state records one, and its trainable parameter count.
     */
    public static void verify(RunState state, ComputationGraph net, Path file) {
        long trainable = ParameterCounts.trainable(net);
        String model = state.config().model();
        if (trainable != state.trainableParameters()) {
            throw new InvalidDataException("checkpoint " + file + " holds a model with " + trainable + " trainable"
                    + " parameters, but the run is " + model + " with " + state.trainableParameters()
                    + "; it is not this run's checkpoint");
        }
        if (state.modelFingerprint() != null && !state.modelFingerprint().equals(fingerprint(net))) {
            throw new InvalidDataException("checkpoint " + file + " holds a model whose architecture or parameter"
                    + " shapes differ from those of the run's " + model + " (fingerprint "
                    + fingerprint(net).substring(0, 12) + " vs "
                    + state.modelFingerprint()
                            .substring(0, Math.min(12, state.modelFingerprint().length()))
                    + "); it is not this run's checkpoint");
        }
    }

    /**
     * SHA-256 of a model's configuration (with its iteration and epoch counters zeroed) and of its parameter names
     * and shapes: equal for every checkpoint of one run, different for another model or configuration.
     */
    public static String fingerprint(ComputationGraph net) {
        ComputationGraphConfiguration conf = net.getConfiguration().clone();
        conf.setIterationCount(0);
        conf.setEpochCount(0);
        StringBuilder sb = new StringBuilder(conf.toJson());
        Map<String, INDArray> params = new TreeMap<>(net.paramTable());
        params.forEach((k, v) -> sb.append('\n').append(k).append(java.util.Arrays.toString(v.shape())));
        return Json.sha256(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Restores a ModelSerializer zip with its updater; the message names the file and what is wrong with it. */
    public static ComputationGraph load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidDataException("checkpoint " + file + " does not exist");
        }
        try {
            if (Files.size(file) == 0) {
                throw new InvalidDataException("checkpoint " + file + " is empty (0 bytes): it was cut short or"
                        + " overwritten; it cannot be restored");
            }
            try (ZipFile zip = new ZipFile(file.toFile())) {
                for (String entry : List.of("configuration.json", "coefficients.bin")) {
                    if (zip.getEntry(entry) == null) {
                        throw new InvalidDataException("checkpoint " + file + " is a zip without " + entry
                                + "; it is not a model checkpoint (ModelSerializer zip)");
                    }
                }
            } catch (java.util.zip.ZipException e) {
                throw new InvalidDataException(
                        "checkpoint " + file + " is not a complete zip (" + e.getMessage()
                                + "): truncated or corrupt; it cannot be restored",
                        e);
            }
            // a checkpoint saved before the zoo deduped DL4J's twice-listed weight decay would decay twice again
            return Regularizations.dedupe(ModelSerializer.restoreComputationGraph(file.toFile(), true));
        } catch (InvalidDataException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new InvalidDataException("cannot restore checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /** Checkpoint file name for a state at {@code epochsDone} and {@code batchInEpoch}. */
    static String checkpointName(int epochsDone, int batchInEpoch) {
        return batchInEpoch == 0
                ? String.format("checkpoint-e%04d.zip", epochsDone)
                : String.format("checkpoint-e%04d-b%05d.zip", epochsDone, batchInEpoch);
    }

    /**
     * Saves {@code net} as the checkpoint {@code state} names, then commits {@code state}; then deletes the other
     * checkpoint files (of this class's names only). Metrics CSV is rewritten from the state's history.
     */
    public void save(ComputationGraph net, RunState state) throws IOException {
        Files.createDirectories(dir);
        Path model = dir.resolve(state.checkpoint());
        Path tmpModel = dir.resolve("." + state.checkpoint() + ".tmp");
        try {
            ModelSerializer.writeModel(net, tmpModel.toFile(), true);
            move(tmpModel, model);
        } finally {
            Files.deleteIfExists(tmpModel);
        }
        writeAtomically(stateFile(), Json.write(state));
        writeAtomically(metricsFile(), csv(state.history()));
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "checkpoint-*.zip")) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (CHECKPOINT.matcher(n).matches() && !n.equals(state.checkpoint())) {
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

    /** Writes {@code text} to a temporary file and renames it to {@code file}; the temporary file never stays. */
    public static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            move(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
