package org.dl4jpe.hyperparam.sweep;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.dl4jpe.zoo.train.Json;
import org.dl4jpe.zoo.train.Provenance;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonValue;
import org.nd4j.shade.jackson.core.type.TypeReference;
import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * What a sweep keeps of one candidate once it has ended, as {@code records/cNNNN.json}, in named parts: what was
 * drawn ({@link Drawn}), what it resolved to ({@link Resolved}), its {@link Score}, {@link Size} and
 * {@link Timing}. A record is written once, atomically, the moment the candidate ends; a candidate interrupted
 * before that has no record and runs (or continues from its checkpoint) when the sweep is resumed. Build one with
 * {@link #builder}: only the number and status are required.
 *
 * <p>On disk a record is one flat object, as format 1 has always written it ({@code format, candidate, status,
 * message, baseModel, family, choices, key, config, options, batchSize, epochs, seed, scoreMetric, score,
 * validationAccuracy, validationLoss, trainableParameters, totalParameters, trainSeconds, wallSeconds, started,
 * ended, runDirectory, provenance}), so that the records of earlier versions stay readable.
 *
 * @param format     file format version ({@link #FORMAT})
 * @param candidate  1-based candidate number, in the order the generator drew them
 * @param status     {@link Status#FINISHED} or {@link Status#FAILED}
 * @param message    why it failed, or a note (null when there is nothing to say)
 * @param drawn      the base model and the values drawn for the space's axes
 * @param resolved   the configuration they resolved to (its parts null if it did not resolve)
 * @param score      the validation result (its values null when failed)
 * @param size       parameter counts (null if the model was not built)
 * @param timing     times of the candidate's runs
 * @param runDirectory its run directory, relative to the sweep directory ({@code pe eval} accepts it)
 * @param provenance dl4j-pe, DL4J and Java versions, git revision, processors
 */
public record CandidateRecord(
        int format,
        int candidate,
        Status status,
        String message,
        Drawn drawn,
        Resolved resolved,
        Score score,
        Size size,
        Timing timing,
        String runDirectory,
        Provenance provenance) {

    public static final int FORMAT = 1;

    /** How a candidate ended. */
    public enum Status {
        FINISHED,
        FAILED
    }

    /**
     * What the generator drew.
     *
     * @param baseModel the registered model the candidate varies
     * @param family    its family ("vit", "resnet")
     * @param choices   the value of every axis of the space (exact text: enum names, full-precision numbers)
     * @param key       {@code ModelCandidate.key()}: identifies the configuration
     */
    public record Drawn(String baseModel, String family, Map<String, String> choices, String key) {
        public Drawn {
            choices = choices == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(choices));
        }
    }

    /**
     * The configuration the candidate trained with.
     *
     * @param config    the resolved variant config, component by component (null if it did not resolve)
     * @param options   the resolved model options, field by field (null if they did not resolve)
     * @param batchSize training batch size (null if unresolved)
     * @param epochs    training epochs (null if unresolved)
     * @param seed      seed of initialisation, data order and dropout
     */
    public record Resolved(
            Map<String, String> config, Map<String, String> options, Integer batchSize, Integer epochs, long seed) {
        /** A candidate that did not resolve: only the seed is known. */
        public static Resolved unresolved(long seed) {
            return new Resolved(null, null, null, null, seed);
        }
    }

    /**
     * The candidate's validation result.
     *
     * @param metric             {@code accuracy} or {@code loss}
     * @param value              the value of the metric on the validation split (null when failed)
     * @param validationAccuracy accuracy on the validation split after the last epoch (null when failed)
     * @param validationLoss     mean cross-entropy on the validation split after the last epoch (null when failed)
     */
    public record Score(String metric, Double value, Double validationAccuracy, Double validationLoss) {
        /** No result, scored by {@code metric}. */
        public static Score none(String metric) {
            return new Score(metric, null, null, null);
        }
    }

    /**
     * The model's size.
     *
     * @param trainableParameters parameters training changes (the documented count; null if the model was not
     *                            built)
     * @param totalParameters     all parameters as DL4J counts them (BatchNorm statistics included)
     */
    public record Size(Long trainableParameters, Long totalParameters) {
        public static final Size UNKNOWN = new Size(null, null);
    }

    /**
     * The candidate's times.
     *
     * @param trainSeconds training time (evaluation excluded; over all runs of a resumed candidate)
     * @param wallSeconds  wall time of the candidate's last run, building and evaluation included
     * @param started      when the candidate's last run started (ISO-8601)
     * @param ended        when it ended (ISO-8601)
     */
    public record Timing(double trainSeconds, double wallSeconds, String started, String ended) {}

    /** Parts a file or a builder left out are empty parts, so that every accessor chain is safe. */
    public CandidateRecord {
        drawn = drawn == null ? new Drawn(null, null, null, null) : drawn;
        resolved = resolved == null ? Resolved.unresolved(0) : resolved;
        score = score == null ? Score.none(null) : score;
        size = size == null ? Size.UNKNOWN : size;
        timing = timing == null ? new Timing(0, 0, null, null) : timing;
    }

    /** A record of candidate {@code candidate} that ended with {@code status}; set the parts it has. */
    public static Builder builder(int candidate, Status status) {
        return new Builder(candidate, status);
    }

    /** This record as a builder, to derive another record from it. */
    public Builder toBuilder() {
        return new Builder(candidate, status)
                .message(message)
                .drawn(drawn)
                .resolved(resolved)
                .score(score)
                .size(size)
                .timing(timing)
                .runDirectory(runDirectory)
                .provenance(provenance);
    }

    public boolean finished() {
        return status == Status.FINISHED;
    }

    /** The score, or NaN when there is none. */
    public double scoreOrNaN() {
        return score.value() == null ? Double.NaN : score.value();
    }

    /** Shortcut: {@code drawn().baseModel()}. */
    public String baseModel() {
        return drawn.baseModel();
    }

    /** Shortcut: {@code drawn().choices()}. */
    public Map<String, String> choices() {
        return drawn.choices();
    }

    /** Shortcut: {@code drawn().key()}. */
    public String key() {
        return drawn.key();
    }

    /** Shortcut: {@code size().trainableParameters()}. */
    public Long trainableParameters() {
        return size.trainableParameters();
    }

    /** Builds a {@link CandidateRecord}; parts not set stay empty (a failed candidate has no score). */
    public static final class Builder {
        private int candidate;
        private final Status status;
        private String message;
        private Drawn drawn;
        private Resolved resolved;
        private Score score;
        private Size size;
        private Timing timing;
        private String runDirectory;
        private Provenance provenance;

        private Builder(int candidate, Status status) {
            this.candidate = candidate;
            this.status = Objects.requireNonNull(status, "status");
        }

        /** Another candidate number (a record derived from another candidate's). */
        public Builder candidate(int v) {
            candidate = v;
            return this;
        }

        public Builder message(String v) {
            message = v;
            return this;
        }

        public Builder drawn(Drawn v) {
            drawn = v;
            return this;
        }

        public Builder resolved(Resolved v) {
            resolved = v;
            return this;
        }

        public Builder score(Score v) {
            score = v;
            return this;
        }

        public Builder size(Size v) {
            size = v;
            return this;
        }

        public Builder timing(Timing v) {
            timing = v;
            return this;
        }

        public Builder runDirectory(String v) {
            runDirectory = v;
            return this;
        }

        public Builder provenance(Provenance v) {
            provenance = v;
            return this;
        }

        public CandidateRecord build() {
            return new CandidateRecord(
                    FORMAT, candidate, status, message, drawn, resolved, score, size, timing, runDirectory, provenance);
        }
    }

    /** The file form: one flat object, keys in the order format 1 writes them. */
    @JsonValue
    Map<String, Object> file() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", format);
        m.put("candidate", candidate);
        m.put("status", status);
        m.put("message", message);
        m.put("baseModel", drawn.baseModel());
        m.put("family", drawn.family());
        m.put("choices", drawn.choices());
        m.put("key", drawn.key());
        m.put("config", resolved.config());
        m.put("options", resolved.options());
        m.put("batchSize", resolved.batchSize());
        m.put("epochs", resolved.epochs());
        m.put("seed", resolved.seed());
        m.put("scoreMetric", score.metric());
        m.put("score", score.value());
        m.put("validationAccuracy", score.validationAccuracy());
        m.put("validationLoss", score.validationLoss());
        m.put("trainableParameters", size.trainableParameters());
        m.put("totalParameters", size.totalParameters());
        m.put("trainSeconds", timing.trainSeconds());
        m.put("wallSeconds", timing.wallSeconds());
        m.put("started", timing.started());
        m.put("ended", timing.ended());
        m.put("runDirectory", runDirectory);
        m.put("provenance", provenance);
        return m;
    }

    /** The record a file holds; a missing value reads as null (or 0), a value of the wrong kind is an error. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static CandidateRecord fromFile(JsonNode file) throws IOException {
        if (file == null || !file.isObject()) {
            throw new IllegalArgumentException("the candidate record is not a JSON object");
        }
        TypeReference<Map<String, String>> textMap = new TypeReference<>() {};
        Drawn drawn = new Drawn(
                Json.field(file, "baseModel", String.class),
                Json.field(file, "family", String.class),
                Json.field(file, "choices", textMap),
                Json.field(file, "key", String.class));
        Long seed = Json.field(file, "seed", Long.class);
        Resolved resolved = new Resolved(
                Json.field(file, "config", textMap),
                Json.field(file, "options", textMap),
                Json.field(file, "batchSize", Integer.class),
                Json.field(file, "epochs", Integer.class),
                seed == null ? 0 : seed);
        Score score = new Score(
                Json.field(file, "scoreMetric", String.class),
                Json.field(file, "score", Double.class),
                Json.field(file, "validationAccuracy", Double.class),
                Json.field(file, "validationLoss", Double.class));
        Size size = new Size(
                Json.field(file, "trainableParameters", Long.class), Json.field(file, "totalParameters", Long.class));
        Double train = Json.field(file, "trainSeconds", Double.class);
        Double wall = Json.field(file, "wallSeconds", Double.class);
        Timing timing = new Timing(
                train == null ? 0 : train,
                wall == null ? 0 : wall,
                Json.field(file, "started", String.class),
                Json.field(file, "ended", String.class));
        Integer format = Json.field(file, "format", Integer.class);
        Integer candidate = Json.field(file, "candidate", Integer.class);
        return new CandidateRecord(
                format == null ? 0 : format,
                candidate == null ? 0 : candidate,
                Json.field(file, "status", Status.class),
                Json.field(file, "message", String.class),
                drawn,
                resolved,
                score,
                size,
                timing,
                Json.field(file, "runDirectory", String.class),
                Json.field(file, "provenance", Provenance.class));
    }
}
