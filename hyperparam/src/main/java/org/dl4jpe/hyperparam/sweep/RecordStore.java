package org.dl4jpe.hyperparam.sweep;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.zoo.ParameterCounts;
import org.dl4jpe.zoo.data.InvalidDataException;
import org.dl4jpe.zoo.train.Json;
import org.dl4jpe.zoo.train.RunDirectory;
import org.dl4jpe.zoo.train.RunState;

/**
 * The records of a sweep directory: {@code records/cNNNN.json} (one per ended candidate, written atomically),
 * rebuilt after every record into {@code results.csv} and {@code results.json}, and the best candidate's model as
 * {@code best-model.zip}. Thread-safe: candidates running in parallel record through one store.
 */
final class RecordStore {
    static final String RECORDS = "records";
    static final String RESULTS_CSV = "results.csv";
    static final String RESULTS_JSON = "results.json";
    static final String BEST_MODEL = "best-model.zip";
    /** Whose model {@code best-model.zip} is: candidate number, SHA-256 of the zip, trainable parameters. */
    static final String BEST_MODEL_RECORD = "best-model.json";

    private final Path dir;
    private final ScoreMetric metric;
    private final Map<Integer, CandidateRecord> records = new TreeMap<>();

    RecordStore(Path dir, ScoreMetric metric) {
        this.dir = dir;
        this.metric = metric;
    }

    /** Reads the records already in the directory (a resumed sweep); the message names a file that cannot be read. */
    synchronized RecordStore load() {
        Path rd = dir.resolve(RECORDS);
        if (!Files.isDirectory(rd)) {
            return this;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(rd, "c*.json")) {
            for (Path p : ds) {
                CandidateRecord r = Json.readFile(p, CandidateRecord.class, "candidate record ");
                List<String> problems = problems(r, p);
                if (!problems.isEmpty()) {
                    throw new InvalidDataException(
                            "candidate record " + p + " is not valid: " + String.join("; ", problems));
                }
                records.put(r.candidate(), r);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + rd + ": " + e.getMessage(), e);
        }
        return this;
    }

    /**
     * What is wrong with record {@code r} read from {@code file}: missing fields, a number that is not its file's,
     * a score that is not its validation result, a validation result that its run directory does not show.
     */
    private List<String> problems(CandidateRecord r, Path file) {
        List<String> p = new ArrayList<>();
        if (r.format() != CandidateRecord.FORMAT) {
            p.add("format is " + r.format() + "; this version reads " + CandidateRecord.FORMAT);
            return p;
        }
        if (!file.getFileName().toString().equals(fileName(r.candidate()))) {
            p.add("candidate is " + r.candidate() + " but the file is " + file.getFileName());
        }
        if (r.status() == null) {
            p.add("status is missing (FINISHED or FAILED)");
            return p;
        }
        if (!r.finished()) {
            return p;
        }
        if (!metric.cliName().equals(r.score().metric())) {
            p.add("scoreMetric is " + r.score().metric() + " but the sweep scores " + metric.cliName());
        }
        Double own = metric == ScoreMetric.ACCURACY
                ? r.score().validationAccuracy()
                : r.score().validationLoss();
        Double score = r.score().value();
        if (score == null || !Double.isFinite(score) || own == null || !score.equals(own)) {
            p.add("score " + r.score().value() + " is not its " + metric.label() + " " + own);
        }
        if (r.runDirectory() != null && r.score().validationAccuracy() != null) {
            RunDirectory run = new RunDirectory(dir.resolve(r.runDirectory()));
            if (run.hasState()) {
                RunState s = run.readState();
                double trained = s.history().isEmpty()
                        ? Double.NaN
                        : s.history().get(s.history().size() - 1).testAccuracy();
                if (trained != r.score().validationAccuracy()) {
                    p.add("validationAccuracy " + r.score().validationAccuracy() + " differs from the " + trained
                            + " its run " + run.stateFile() + " recorded");
                }
            }
        }
        return p;
    }

    /**
     * Checks the records against the sweep's settings: each candidate was trained with the sweep's seed (unless
     * the seed is searched); an edited {@code sweep.json} seed is refused here when its hash is absent.
     */
    synchronized void check(SweepSettings settings, boolean seedSearched) {
        if (seedSearched) {
            return;
        }
        for (CandidateRecord r : records.values()) {
            if (r.finished() && r.resolved().seed() != settings.search().seed()) {
                throw new InvalidDataException(
                        "candidate record " + dir.resolve(RECORDS).resolve(fileName(r.candidate()))
                                + " was trained with seed " + r.resolved().seed() + " but the sweep's seed is "
                                + settings.search().seed() + "; the records do not belong to these settings");
            }
        }
    }

    /** Loads {@code best-model.zip}, verified to be the model of {@code best} ({@link #BEST_MODEL_RECORD}). */
    synchronized ComputationGraph loadBest(CandidateRecord best) {
        Path zip = dir.resolve(BEST_MODEL);
        Path meta = dir.resolve(BEST_MODEL_RECORD);
        if (Files.isRegularFile(meta)) {
            Map<?, ?> m;
            byte[] bytes;
            try {
                m = Json.mapper().readValue(meta.toFile(), Map.class);
                bytes = Files.readAllBytes(zip);
            } catch (IOException | RuntimeException e) {
                throw new InvalidDataException("cannot read " + meta + " or " + zip + ": " + e.getMessage(), e);
            }
            Object candidate = m.get("candidate");
            if (!(candidate instanceof Number n) || n.intValue() != best.candidate()) {
                throw new InvalidDataException(zip + " is the model of candidate " + candidate + " (" + meta
                        + ") but the records make candidate " + best.candidate() + " the best; a record was edited"
                        + " or a write was cut short: check " + dir.resolve(RECORDS));
            }
            if (!Json.sha256(bytes).equals(m.get("sha256"))) {
                throw new InvalidDataException(zip + " is not the file " + meta + " describes (its SHA-256"
                        + " differs): it was replaced or damaged");
            }
        }
        ComputationGraph net = RunDirectory.load(zip);
        long trainable = ParameterCounts.trainable(net);
        if (best.trainableParameters() != null && trainable != best.trainableParameters()) {
            throw new InvalidDataException(zip + " holds a model with " + trainable + " trainable parameters but the"
                    + " best candidate " + best.candidate() + " has " + best.trainableParameters()
                    + "; it is not that candidate's model");
        }
        return net;
    }

    static String fileName(int candidate) {
        return String.format(Locale.ROOT, "c%04d.json", candidate);
    }

    /** The record of candidate {@code number}, or null. */
    synchronized CandidateRecord get(int number) {
        return records.get(number);
    }

    /** A finished record with configuration {@code key} other than {@code number}'s own, or null. */
    synchronized CandidateRecord finishedWithKey(String key, int number) {
        for (CandidateRecord r : records.values()) {
            if (r.finished() && r.candidate() != number && key.equals(r.key())) {
                return r;
            }
        }
        return null;
    }

    synchronized List<CandidateRecord> all() {
        return Collections.unmodifiableList(new ArrayList<>(records.values()));
    }

    /** The finished record with the best score (the lowest number among equals), or null. */
    synchronized CandidateRecord best() {
        CandidateRecord best = null;
        for (CandidateRecord r : records.values()) {
            if (r.finished() && (best == null || metric.better(r.scoreOrNaN(), best.scoreOrNaN()))) {
                best = r;
            }
        }
        return best;
    }

    /**
     * Commits {@code r}: its record file first (temporary file and rename), then the results files. When it is the
     * new best, {@code checkpoint} (its model) is copied to {@code best-model.zip} the same way, before the record,
     * so that the best model on disk always belongs to a recorded candidate at least as good.
     *
     * @return the best record after this one
     */
    synchronized CandidateRecord commit(CandidateRecord r, Path checkpoint) {
        try {
            CandidateRecord before = best();
            // the same rule as best(): a better score, or an equal one of a lower candidate number (candidates
            // running in parallel end in any order)
            boolean newBest = r.finished()
                    && (before == null
                            || metric.better(r.scoreOrNaN(), before.scoreOrNaN())
                            || (!metric.better(before.scoreOrNaN(), r.scoreOrNaN())
                                    && r.candidate() < before.candidate()));
            Files.createDirectories(dir.resolve(RECORDS));
            if (newBest && checkpoint != null && Files.isRegularFile(checkpoint)) {
                copyAtomically(checkpoint, dir.resolve(BEST_MODEL));
                Map<String, Object> meta = new LinkedHashMap<>();
                meta.put("candidate", r.candidate());
                meta.put("sha256", Json.sha256(Files.readAllBytes(dir.resolve(BEST_MODEL))));
                meta.put("trainableParameters", r.trainableParameters());
                RunDirectory.writeAtomically(dir.resolve(BEST_MODEL_RECORD), Json.writeLine(meta));
            }
            RunDirectory.writeAtomically(dir.resolve(RECORDS).resolve(fileName(r.candidate())), Json.writeLine(r));
            records.put(r.candidate(), r);
            writeResults();
            return best();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot write the record of candidate " + r.candidate() + " to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Rewrites {@code results.csv} and {@code results.json} from the records. */
    synchronized void writeResults() throws IOException {
        Files.createDirectories(dir);
        RunDirectory.writeAtomically(dir.resolve(RESULTS_CSV), csv());
        Map<String, Object> json = new LinkedHashMap<>();
        CandidateRecord best = best();
        json.put("scoreMetric", metric.cliName());
        json.put("bestCandidate", best == null ? null : best.candidate());
        json.put("candidates", new ArrayList<>(records.values()));
        RunDirectory.writeAtomically(dir.resolve(RESULTS_JSON), Json.writeLine(json));
    }

    /** The axis names of the records, in order of first appearance. */
    synchronized List<String> axes() {
        Set<String> s = new LinkedHashSet<>();
        for (CandidateRecord r : records.values()) {
            if (r.choices() != null) {
                s.addAll(r.choices().keySet());
            }
        }
        return new ArrayList<>(s);
    }

    synchronized String csv() {
        List<String> axes = axes();
        List<String> header = new ArrayList<>(List.of(
                "candidate",
                "status",
                "score_metric",
                "score",
                "validation_accuracy",
                "validation_loss",
                "trainable_parameters",
                "total_parameters",
                "batch_size",
                "epochs",
                "seed"));
        for (String a : axes) {
            header.add("axis_" + a);
        }
        header.addAll(List.of(
                "train_seconds",
                "wall_seconds",
                "base_model",
                "family",
                "dl4j_version",
                "java_version",
                "git_revision",
                "started",
                "ended",
                "run_directory",
                "message"));
        StringBuilder sb = new StringBuilder(String.join(",", header)).append('\n');
        for (CandidateRecord r : records.values()) {
            List<String> row = new ArrayList<>();
            row.add(Integer.toString(r.candidate()));
            row.add(r.status().name());
            row.add(r.score().metric());
            row.add(num(r.score().value()));
            row.add(num(r.score().validationAccuracy()));
            row.add(num(r.score().validationLoss()));
            row.add(
                    r.trainableParameters() == null
                            ? ""
                            : r.trainableParameters().toString());
            row.add(
                    r.size().totalParameters() == null
                            ? ""
                            : r.size().totalParameters().toString());
            row.add(
                    r.resolved().batchSize() == null
                            ? ""
                            : r.resolved().batchSize().toString());
            row.add(r.resolved().epochs() == null ? "" : r.resolved().epochs().toString());
            row.add(Long.toString(r.resolved().seed()));
            for (String a : axes) {
                row.add(r.choices() == null ? "" : r.choices().getOrDefault(a, ""));
            }
            row.add(String.format(Locale.ROOT, "%.3f", r.timing().trainSeconds()));
            row.add(String.format(Locale.ROOT, "%.3f", r.timing().wallSeconds()));
            row.add(r.baseModel());
            row.add(r.drawn().family());
            row.add(r.provenance() == null ? "" : r.provenance().dl4j());
            row.add(r.provenance() == null ? "" : r.provenance().java());
            row.add(r.provenance() == null ? "" : r.provenance().gitRevision());
            row.add(r.timing().started());
            row.add(r.timing().ended());
            row.add(r.runDirectory());
            row.add(r.message());
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(i == 0 ? "" : ",").append(csvCell(row.get(i)));
            }
            sb.append(line).append('\n');
        }
        return sb.toString();
    }

    private static String num(Double v) {
        return v == null || v.isNaN() ? "" : String.format(Locale.ROOT, "%.6g", v);
    }

    static String csvCell(String s) {
        if (s == null) {
            return "";
        }
        if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }

    static void copyAtomically(Path from, Path to) throws IOException {
        Path tmp = to.resolveSibling("." + to.getFileName() + ".tmp");
        try {
            Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
            try {
                Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
