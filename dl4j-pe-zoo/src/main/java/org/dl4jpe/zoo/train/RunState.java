package org.dl4jpe.zoo.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonValue;
import org.nd4j.shade.jackson.core.type.TypeReference;
import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * The content of a run directory's {@code state.json}, the commit point of a checkpoint: it is replaced
 * atomically after the model file it names has been written completely. It holds named parts: where the run is
 * ({@link Position}), what the model is ({@link ModelInfo}), the history of completed epochs and the
 * {@link Status}.
 *
 * <p>On disk the state is one flat object, as format 1 has always written it ({@code format, config, checkpoint,
 * epochsDone, batchInEpoch, iteration, partial, history, classNames, inputShape, trainableParameters, status,
 * provenance, configHash, modelFingerprint, trainImages}; the last three are absent in older runs): files written
 * by earlier versions stay readable, and this version's files are readable by them.
 *
 * @param format      file format version ({@link #FORMAT})
 * @param config      the run's settings
 * @param configHash  {@link Json#hash} of {@code config}: an edited config is noticed (null in older runs)
 * @param position    the checkpoint and how far the run has trained
 * @param history     metrics of completed epochs
 * @param model       class names, input shape, parameter count and fingerprint of the model
 * @param trainImages training images of the run's data (null in older runs)
 * @param status      running, interrupted or finished
 * @param provenance  versions, git revision, host, time
 */
public record RunState(
        int format,
        RunConfig config,
        String configHash,
        Position position,
        List<EpochMetrics> history,
        ModelInfo model,
        Integer trainImages,
        Status status,
        Provenance provenance) {

    public static final int FORMAT = 1;

    /** Where a run stands; written in lower case ({@code running}, {@code interrupted}, {@code finished}). */
    public enum Status {
        RUNNING,
        INTERRUPTED,
        FINISHED;

        /** The name in {@code state.json}. */
        @JsonValue
        public String fileName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The status a file names, or null if it names none of them ({@link RunState#problems} says so). */
        @JsonCreator
        public static Status fromFile(String name) {
            for (Status s : values()) {
                if (s.fileName().equals(name)) {
                    return s;
                }
            }
            return null;
        }
    }

    /**
     * How far a run has trained.
     *
     * @param checkpoint   file name of the model checkpoint (ModelSerializer zip with updater state), in the run
     *                     directory (null before the first save)
     * @param epochsDone   completed epochs
     * @param batchInEpoch batches of epoch {@code epochsDone + 1} already trained (0 at an epoch boundary)
     * @param iteration    parameter updates so far
     * @param partial      sums of the unfinished epoch (null at an epoch boundary)
     */
    public record Position(String checkpoint, int epochsDone, int batchInEpoch, long iteration, PartialEpoch partial) {
        /** A run that has not trained yet. */
        public static final Position START = new Position(null, 0, 0, 0, null);

        /** After {@code epochsDone} whole epochs and {@code iteration} updates. */
        public static Position afterEpoch(int epochsDone, long iteration) {
            return new Position(RunDirectory.checkpointName(epochsDone, 0), epochsDone, 0, iteration, null);
        }

        /**
         * Inside epoch {@code epochsDone + 1}, after {@code batchInEpoch} of its batches (at a boundary when 0,
         * and then {@code partial} is dropped).
         */
        public static Position inEpoch(int epochsDone, int batchInEpoch, long iteration, PartialEpoch partial) {
            return new Position(
                    RunDirectory.checkpointName(epochsDone, batchInEpoch),
                    epochsDone,
                    batchInEpoch,
                    iteration,
                    batchInEpoch > 0 ? partial : null);
        }
    }

    /**
     * What the run's model is, so that eval and predict need not rebuild it and another model's checkpoint is
     * refused.
     *
     * @param classNames          class names by label
     * @param inputShape          {channels, height, width} the model takes
     * @param trainableParameters trainable parameters of the model (the count docs/what-it-computes.md defines)
     * @param fingerprint         {@link RunDirectory#fingerprint} of the model: its architecture and parameter
     *                            shapes (null in older runs)
     */
    public record ModelInfo(List<String> classNames, int[] inputShape, long trainableParameters, String fingerprint) {
        /** Lists stay null when a file lacks them, so that {@link RunState#problems} can name the missing field. */
        public ModelInfo {
            classNames = classNames == null ? null : List.copyOf(classNames);
            inputShape = inputShape == null ? null : inputShape.clone();
        }

        /** This model with another fingerprint (the learning rate changed on resume). */
        public ModelInfo withFingerprint(String f) {
            return new ModelInfo(classNames, inputShape, trainableParameters, f);
        }
    }

    /** Sums of an unfinished epoch, so that its metrics come out right after a resume. */
    public record PartialEpoch(double lossSum, long correct, long seen, double seconds) {}

    /** Lists stay null when a file lacks them, so that {@link #problems} can name the missing field. */
    public RunState {
        history = history == null ? null : List.copyOf(history);
        position = position == null ? Position.START : position;
    }

    /** A state of {@code config} now: its hash and this process's provenance filled in. */
    public static RunState of(
            RunConfig config,
            Position position,
            List<EpochMetrics> history,
            ModelInfo model,
            Integer trainImages,
            Status status) {
        return new RunState(
                FORMAT, config, Json.hash(config), position, history, model, trainImages, status, Provenance.current());
    }

    /** The state of this run, now, at {@code position} with {@code history}, under {@code config}. */
    public RunState next(RunConfig config, Position position, List<EpochMetrics> history, Status status) {
        return of(config, position, history, model, trainImages, status);
    }

    /** This state with {@code config} (and its hash) and {@code status}; a recorded change. */
    public RunState with(RunConfig config, Status status) {
        return new RunState(
                format, config, Json.hash(config), position, history, model, trainImages, status, provenance);
    }

    /** This state with another model fingerprint (the learning rate changed on resume). */
    public RunState withFingerprint(String fingerprint) {
        return new RunState(
                format,
                config,
                configHash,
                position,
                history,
                model == null ? null : model.withFingerprint(fingerprint),
                trainImages,
                status,
                provenance);
    }

    /** Shortcut: {@code position().checkpoint()}. */
    public String checkpoint() {
        return position.checkpoint();
    }

    /** Shortcut: {@code position().epochsDone()}. */
    public int epochsDone() {
        return position.epochsDone();
    }

    /** Shortcut: {@code position().batchInEpoch()}. */
    public int batchInEpoch() {
        return position.batchInEpoch();
    }

    /** Shortcut: {@code position().iteration()}. */
    public long iteration() {
        return position.iteration();
    }

    /** Shortcut: {@code position().partial()}. */
    public PartialEpoch partial() {
        return position.partial();
    }

    /** Shortcut: {@code model().classNames()} (null if the file lacks them). */
    public List<String> classNames() {
        return model == null ? null : model.classNames();
    }

    /** Shortcut: {@code model().inputShape()}, {channels, height, width} (null if the file lacks it). */
    public int[] inputShape() {
        return model == null ? null : model.inputShape();
    }

    /** Shortcut: {@code model().trainableParameters()}. */
    public long trainableParameters() {
        return model == null ? 0 : model.trainableParameters();
    }

    /** Shortcut: {@code model().fingerprint()} (null in older runs). */
    public String modelFingerprint() {
        return model == null ? null : model.fingerprint();
    }

    /** Whether the run has trained every epoch. */
    public boolean finished() {
        return status == Status.FINISHED;
    }

    /** The file form: one flat object, keys in the order format 1 writes them. */
    @JsonValue
    Map<String, Object> file() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", format);
        m.put("config", config);
        m.put("checkpoint", position.checkpoint());
        m.put("epochsDone", position.epochsDone());
        m.put("batchInEpoch", position.batchInEpoch());
        m.put("iteration", position.iteration());
        m.put("partial", position.partial());
        m.put("history", history);
        m.put("classNames", classNames());
        m.put("inputShape", inputShape());
        m.put("trainableParameters", trainableParameters());
        m.put("status", status);
        m.put("provenance", provenance);
        m.put("configHash", configHash);
        m.put("modelFingerprint", modelFingerprint());
        m.put("trainImages", trainImages);
        return m;
    }

    /**
     * The state a file holds. A missing number reads as 0 and a missing object as null, so that {@link #problems}
     * names what is missing; a value of the wrong kind is an error naming the key.
     */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static RunState fromFile(JsonNode file) throws IOException {
        if (file == null || !file.isObject()) {
            throw new IllegalArgumentException("the run state is not a JSON object");
        }
        Position position = new Position(
                Json.text(file, "checkpoint"),
                (int) Json.wholeNumber(file, "epochsDone"),
                (int) Json.wholeNumber(file, "batchInEpoch"),
                Json.wholeNumber(file, "iteration"),
                Json.field(file, "partial", new TypeReference<PartialEpoch>() {}));
        ModelInfo model = new ModelInfo(
                Json.field(file, "classNames", new TypeReference<List<String>>() {}),
                Json.field(file, "inputShape", new TypeReference<int[]>() {}),
                Json.wholeNumber(file, "trainableParameters"),
                Json.text(file, "modelFingerprint"));
        JsonNode images = file.get("trainImages");
        return new RunState(
                (int) Json.wholeNumber(file, "format"),
                Json.field(file, "config", new TypeReference<RunConfig>() {}),
                Json.text(file, "configHash"),
                position,
                Json.field(file, "history", new TypeReference<List<EpochMetrics>>() {}),
                model,
                images == null || images.isNull() ? null : (int) Json.wholeNumber(file, "trainImages"),
                status(Json.text(file, "status")),
                Json.field(file, "provenance", new TypeReference<Provenance>() {}));
    }

    private static Status status(String name) {
        Status s = Status.fromFile(name);
        if (name != null && s == null) {
            throw new IllegalArgumentException(
                    "status is '" + name + "'; it is one of running, interrupted," + " finished");
        }
        return s;
    }

    /**
     * What is wrong with a state read back from a file: missing fields, values out of range, and fields that
     * disagree with each other (a hand-edited {@code epochsDone}, a config that no longer matches its hash).
     */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (format != FORMAT) {
            p.add("format is " + format + "; this version reads " + FORMAT);
            return p;
        }
        List<String> classNames = classNames();
        int[] inputShape = inputShape();
        int epochsDone = position.epochsDone();
        int batchInEpoch = position.batchInEpoch();
        long iteration = position.iteration();
        long trainableParameters = trainableParameters();
        String checkpoint = position.checkpoint();
        if (config == null) {
            p.add("config is missing");
        }
        if (checkpoint == null || checkpoint.isBlank()) {
            p.add("checkpoint is missing");
        }
        if (history == null) {
            p.add("history is missing");
        }
        if (classNames == null || classNames.size() < 2) {
            p.add("classNames is " + (classNames == null ? "missing" : classNames + " (fewer than 2 classes)"));
        }
        if (inputShape == null
                || inputShape.length != 3
                || inputShape[0] <= 0
                || inputShape[1] <= 0
                || inputShape[2] <= 0) {
            p.add("inputShape is " + (inputShape == null ? "missing" : Arrays.toString(inputShape))
                    + "; it is {channels, height, width}, all positive");
        }
        if (status == null) {
            p.add("status is missing; it is one of running, interrupted, finished");
        }
        if (epochsDone < 0 || batchInEpoch < 0 || iteration < 0 || trainableParameters <= 0) {
            p.add("epochsDone " + epochsDone + ", batchInEpoch " + batchInEpoch + ", iteration " + iteration
                    + " must be >= 0 and trainableParameters " + trainableParameters + " positive");
        }
        if (!p.isEmpty()) {
            return p;
        }
        if (configHash != null && !configHash.equals(Json.hash(config))) {
            p.add("config was changed after it was written (its configHash no longer matches); a run keeps its"
                    + " settings: a resumed run accepts new epochs, learningRate and data and records them");
        }
        if (epochsDone > config.epochs()) {
            p.add("epochsDone " + epochsDone + " is above the run's epochs " + config.epochs());
        }
        if (history.size() != epochsDone) {
            p.add("epochsDone is " + epochsDone + " but history has " + history.size() + " epochs");
        }
        for (int i = 0; i < history.size(); i++) {
            if (history.get(i) == null || history.get(i).epoch() != i + 1) {
                p.add("history entry " + (i + 1) + " is "
                        + (history.get(i) == null
                                ? "missing"
                                : "epoch " + history.get(i).epoch()) + "; epochs are numbered 1, 2, ...");
                break;
            }
        }
        String expected = RunDirectory.checkpointName(epochsDone, batchInEpoch);
        if (!expected.equals(checkpoint)) {
            p.add("checkpoint is " + checkpoint + " but epochsDone " + epochsDone + " and batchInEpoch " + batchInEpoch
                    + " name " + expected);
        }
        if (batchInEpoch > 0 && position.partial() == null) {
            p.add("batchInEpoch is " + batchInEpoch + " but the unfinished epoch's sums (partial) are missing");
        }
        if (trainImages != null) {
            long perEpoch = (trainImages + (long) config.batchSize() - 1) / config.batchSize();
            if (batchInEpoch > perEpoch) {
                p.add("batchInEpoch " + batchInEpoch + " is above the " + perEpoch + " batches of an epoch");
            } else if (iteration != epochsDone * perEpoch + batchInEpoch) {
                p.add("iteration is " + iteration + " but " + epochsDone + " epochs of " + perEpoch + " batches and "
                        + batchInEpoch + " more make " + (epochsDone * perEpoch + batchInEpoch));
            }
        }
        return p;
    }
}
