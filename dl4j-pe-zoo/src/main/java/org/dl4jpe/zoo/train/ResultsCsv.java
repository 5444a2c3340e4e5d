package org.dl4jpe.zoo.train;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dl4jpe.zoo.ModelOptions;

/**
 * A table of finished runs, one row per run directory, for evidence that outlives the runs: {@code pe compare
 * --results FILE} adds or replaces the rows of its runs, keeping every other row, so several commands (and several
 * sessions) collect into one file. Columns: {@link #HEADER}. {@code test_accuracy} is a fraction in [0, 1].
 */
public final class ResultsCsv {
    /** The columns, in order. */
    public static final List<String> HEADER = List.of(
            "model",
            "parameters",
            "seed",
            "epochs",
            "train_images",
            "test_images",
            "test_accuracy",
            "batch",
            "updater",
            "learning_rate",
            "weight_decay",
            "schedule",
            "augment",
            "train_seconds",
            "data",
            "run_dir",
            "git_revision",
            "recorded");

    private ResultsCsv() {}

    /**
     * One finished run: its settings, what came out, where it is and when it was recorded; the columns are derived
     * from these parts.
     *
     * @param model      the registered model (the row's label; a compare names it)
     * @param config     the run's settings (seed, epochs, batch, updater, learning rate, ...)
     * @param outcome    size, data sizes, accuracy and time
     * @param runDir     the run directory
     * @param provenance git revision and time of the recording
     */
    public record Row(String model, RunConfig config, Outcome outcome, String runDir, Provenance provenance) {

        /** The row of a finished {@code run} of {@code model} on {@code trainImages} and {@code testImages}. */
        public static Row of(String model, TrainResult run, int trainImages, int testImages, Provenance provenance) {
            return new Row(
                    model,
                    run.state().config(),
                    new Outcome(
                            run.trainableParameters(), trainImages, testImages, run.testAccuracy(), run.trainSeconds()),
                    run.runDir().toString(),
                    provenance);
        }

        List<String> cells() {
            ModelOptions o = config.options();
            return List.of(
                    model,
                    Long.toString(outcome.parameters()),
                    Long.toString(o.seed()),
                    Integer.toString(config.epochs()),
                    Integer.toString(outcome.trainImages()),
                    Integer.toString(outcome.testImages()),
                    String.format(Locale.ROOT, "%.4f", outcome.testAccuracy()),
                    Integer.toString(config.batchSize()),
                    o.updater().name().toLowerCase(Locale.ROOT),
                    Double.toString(o.learningRate()),
                    Double.toString(o.weightDecay()),
                    config.schedule().describe(),
                    Boolean.toString(config.augment()),
                    String.format(Locale.ROOT, "%.1f", outcome.trainSeconds()),
                    config.data(),
                    runDir,
                    provenance.gitRevision(),
                    provenance.recorded());
        }
    }

    /**
     * What a run came to.
     *
     * @param parameters   trainable parameters
     * @param trainImages  training images
     * @param testImages   test images it was evaluated on
     * @param testAccuracy accuracy on them, in [0, 1]
     * @param trainSeconds training time
     */
    public record Outcome(long parameters, int trainImages, int testImages, double testAccuracy, double trainSeconds) {}

    /**
     * Writes {@code rows} into {@code file} (created if absent): a row whose {@code run_dir} is already there
     * replaces it, the others are appended; rows of other runs are kept as they are.
     */
    public static void upsert(Path file, List<Row> rows) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        // Several commands may share one results file (two compares running at once, one per core): each
        // read-modify-write holds an exclusive lock on a lock file beside it, taken by one thread of this JVM at a
        // time (a FileLock is held per process) and by one process at a time.
        Path lockFile = file.resolveSibling("." + file.getFileName() + ".lock");
        synchronized (ResultsCsv.class) {
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = ch.lock()) {
                upsertLocked(file, rows);
            }
        }
    }

    private static void upsertLocked(Path file, List<Row> rows) throws IOException {
        Map<String, List<String>> byRun = new LinkedHashMap<>();
        if (Files.exists(file)) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty() || !split(lines.get(0)).equals(HEADER)) {
                throw new IOException(file + " is not a results file of this tool (its first line should be "
                        + String.join(",", HEADER) + "); choose another results file");
            }
            int runDir = HEADER.indexOf("run_dir");
            for (String line : lines.subList(1, lines.size())) {
                if (!line.isBlank()) {
                    List<String> cells = split(line);
                    if (cells.size() != HEADER.size()) {
                        throw new IOException(
                                file + ": the row '" + line + "' has " + cells.size() + " cells, not " + HEADER.size());
                    }
                    byRun.put(cells.get(runDir), cells);
                }
            }
        }
        for (Row r : rows) {
            byRun.put(r.runDir(), r.cells());
        }
        StringBuilder sb = new StringBuilder(join(HEADER)).append('\n');
        for (List<String> cells : byRun.values()) {
            sb.append(join(cells)).append('\n');
        }
        RunDirectory.writeAtomically(file, sb.toString());
    }

    /**
     * The rows of a results file written by {@link #upsert}, each as column name to cell, in file order.
     *
     * @throws IOException when the file cannot be read or is not a results file of this tool (the message says which
     *                     line is wrong)
     */
    public static List<Map<String, String>> read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !split(lines.get(0)).equals(HEADER)) {
            throw new IOException(file + " is not a results file of this tool (its first line should be "
                    + String.join(",", HEADER) + ")");
        }
        List<Map<String, String>> rows = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            List<String> cells = split(lines.get(i));
            if (cells.size() != HEADER.size()) {
                throw new IOException(
                        file + ": line " + (i + 1) + " has " + cells.size() + " cells, not " + HEADER.size());
            }
            Map<String, String> row = new LinkedHashMap<>();
            for (int c = 0; c < cells.size(); c++) {
                row.put(HEADER.get(c), cells.get(c));
            }
            rows.add(row);
        }
        return rows;
    }

    private static String join(List<String> cells) {
        List<String> quoted = new ArrayList<>(cells.size());
        for (String c : cells) {
            quoted.add(c.contains(",") || c.contains("\"") ? "\"" + c.replace("\"", "\"\"") + "\"" : c);
        }
        return String.join(",", quoted);
    }

    /** Splits one CSV line written by {@link #join} (quotes around cells with commas or quotes). */
    static List<String> split(String line) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    cell.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == ',') {
                cells.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(ch);
            }
        }
        cells.add(cell.toString());
        return cells;
    }
}
