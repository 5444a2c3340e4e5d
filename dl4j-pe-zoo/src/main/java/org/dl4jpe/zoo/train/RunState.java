package org.dl4jpe.zoo.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The content of a run directory's {@code state.json}, the commit point of a checkpoint: it is replaced
 * atomically after the model file it names has been written completely.
 *
 * @param format        file format version ({@link #FORMAT})
 * @param config        the run's settings
 * @param checkpoint    file name of the model checkpoint (ModelSerializer zip with updater state), in the run dir
 * @param epochsDone    completed epochs
 * @param batchInEpoch  batches of epoch {@code epochsDone + 1} already trained (0 at an epoch boundary)
 * @param iteration     parameter updates so far
 * @param partial       sums of the unfinished epoch (null at an epoch boundary)
 * @param history       metrics of completed epochs
 * @param classNames    class names by label, for eval and predict
 * @param inputShape    {channels, height, width} the model takes
 * @param trainableParameters trainable parameters of the model (SPEC's count)
 * @param status        {@code running}, {@code interrupted} or {@code finished}
 * @param provenance    versions, git revision, host, time
 * @param configHash    {@link Json#hash} of {@code config}: an edited config is noticed (null in older runs)
 * @param modelFingerprint {@link RunDirectory#fingerprint} of the checkpoint's model: its architecture and
 *                      parameter shapes, so that a checkpoint of another model is refused (null in older runs)
 * @param trainImages   training images of the run's data (null in older runs)
 */
public record RunState(int format, RunConfig config, String checkpoint, int epochsDone, int batchInEpoch,
                       long iteration, PartialEpoch partial, List<EpochMetrics> history, List<String> classNames,
                       int[] inputShape, long trainableParameters, String status, Provenance provenance,
                       String configHash, String modelFingerprint, Integer trainImages) {

    public static final int FORMAT = 1;
    static final Set<String> STATUSES = Set.of("running", "interrupted", "finished");

    /** Lists stay null when a file lacks them, so that {@link #problems} can name the missing field. */
    public RunState {
        history = history == null ? null : List.copyOf(history);
        classNames = classNames == null ? null : List.copyOf(classNames);
    }

    /** A state of {@code config}, its hash filled in. */
    public static RunState of(RunConfig config, String checkpoint, int epochsDone, int batchInEpoch, long iteration,
                              PartialEpoch partial, List<EpochMetrics> history, List<String> classNames,
                              int[] inputShape, long trainableParameters, String status, String modelFingerprint,
                              Integer trainImages) {
        return new RunState(FORMAT, config, checkpoint, epochsDone, batchInEpoch, iteration, partial, history,
                classNames, inputShape, trainableParameters, status, Provenance.current(), Json.hash(config),
                modelFingerprint, trainImages);
    }

    /** This state with {@code config} (and its hash) and {@code status}; a recorded change. */
    public RunState with(RunConfig config, String status) {
        return new RunState(format, config, checkpoint, epochsDone, batchInEpoch, iteration, partial, history,
                classNames, inputShape, trainableParameters, status, provenance, Json.hash(config), modelFingerprint,
                trainImages);
    }

    /** This state with another model fingerprint (the learning rate changed on resume). */
    public RunState withFingerprint(String fingerprint) {
        return new RunState(format, config, checkpoint, epochsDone, batchInEpoch, iteration, partial, history,
                classNames, inputShape, trainableParameters, status, provenance, configHash, fingerprint,
                trainImages);
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
        if (inputShape == null || inputShape.length != 3 || inputShape[0] <= 0 || inputShape[1] <= 0
                || inputShape[2] <= 0) {
            p.add("inputShape is " + (inputShape == null ? "missing" : java.util.Arrays.toString(inputShape))
                    + "; it is {channels, height, width}, all positive");
        }
        if (status == null || !STATUSES.contains(status)) {
            p.add("status is " + status + "; it is one of running, interrupted, finished");
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
                p.add("history entry " + (i + 1) + " is " + (history.get(i) == null ? "missing" : "epoch "
                        + history.get(i).epoch()) + "; epochs are numbered 1, 2, ...");
                break;
            }
        }
        String expected = RunDirectory.checkpointName(epochsDone, batchInEpoch);
        if (!expected.equals(checkpoint)) {
            p.add("checkpoint is " + checkpoint + " but epochsDone " + epochsDone + " and batchInEpoch "
                    + batchInEpoch + " name " + expected);
        }
        if (batchInEpoch > 0 && partial == null) {
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

    /** Sums of an unfinished epoch, so that its metrics come out right after a resume. */
    public record PartialEpoch(double lossSum, long correct, long seen, double seconds) {
    }
}
