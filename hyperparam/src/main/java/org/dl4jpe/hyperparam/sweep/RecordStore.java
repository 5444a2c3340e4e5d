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
import org.dl4jpe.zoo.data.InvalidDataException;
import org.dl4jpe.zoo.train.RunDirectory;

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
                CandidateRecord r;
                try {
                    r = SweepJson.read(p, CandidateRecord.class);
                } catch (IOException e) {
                    throw new InvalidDataException("cannot read candidate record " + p + ": " + e.getMessage(), e);
                }
                if (r.format() != CandidateRecord.FORMAT) {
                    throw new InvalidDataException(p + " has format " + r.format() + "; this version reads "
                            + CandidateRecord.FORMAT);
                }
                records.put(r.candidate(), r);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + rd + ": " + e.getMessage(), e);
        }
        return this;
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
            boolean newBest = r.finished() && (before == null || metric.better(r.scoreOrNaN(), before.scoreOrNaN()));
            Files.createDirectories(dir.resolve(RECORDS));
            if (newBest && checkpoint != null && Files.isRegularFile(checkpoint)) {
                copyAtomically(checkpoint, dir.resolve(BEST_MODEL));
            }
            RunDirectory.writeAtomically(dir.resolve(RECORDS).resolve(fileName(r.candidate())), SweepJson.write(r));
            records.put(r.candidate(), r);
            writeResults();
            return best();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the record of candidate " + r.candidate() + " to " + dir
                    + ": " + e.getMessage(), e);
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
        RunDirectory.writeAtomically(dir.resolve(RESULTS_JSON), SweepJson.write(json));
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
        List<String> header = new ArrayList<>(List.of("candidate", "status", "score_metric", "score",
                "validation_accuracy", "validation_loss", "trainable_parameters", "total_parameters", "batch_size",
                "epochs", "seed"));
        for (String a : axes) {
            header.add("axis_" + a);
        }
        header.addAll(List.of("train_seconds", "wall_seconds", "base_model", "family", "dl4j_version",
                "java_version", "git_revision", "started", "ended", "run_directory", "message"));
        StringBuilder sb = new StringBuilder(String.join(",", header)).append('\n');
        for (CandidateRecord r : records.values()) {
            List<String> row = new ArrayList<>();
            row.add(Integer.toString(r.candidate()));
            row.add(r.status().name());
            row.add(r.scoreMetric());
            row.add(num(r.score()));
            row.add(num(r.validationAccuracy()));
            row.add(num(r.validationLoss()));
            row.add(r.trainableParameters() == null ? "" : r.trainableParameters().toString());
            row.add(r.totalParameters() == null ? "" : r.totalParameters().toString());
            row.add(r.batchSize() == null ? "" : r.batchSize().toString());
            row.add(r.epochs() == null ? "" : r.epochs().toString());
            row.add(Long.toString(r.seed()));
            for (String a : axes) {
                row.add(r.choices() == null ? "" : r.choices().getOrDefault(a, ""));
            }
            row.add(String.format(Locale.ROOT, "%.3f", r.trainSeconds()));
            row.add(String.format(Locale.ROOT, "%.3f", r.wallSeconds()));
            row.add(r.baseModel());
            row.add(r.family());
            row.add(r.provenance() == null ? "" : r.provenance().dl4j());
            row.add(r.provenance() == null ? "" : r.provenance().java());
            row.add(r.provenance() == null ? "" : r.provenance().gitRevision());
            row.add(r.started());
            row.add(r.ended());
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
        Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
        try {
            Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
