package org.dl4jpe.zoo.train;

import java.util.List;

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
 */
public record RunState(int format, RunConfig config, String checkpoint, int epochsDone, int batchInEpoch,
                       long iteration, PartialEpoch partial, List<EpochMetrics> history, List<String> classNames,
                       int[] inputShape, long trainableParameters, String status, Provenance provenance) {

    public static final int FORMAT = 1;

    public RunState {
        history = List.copyOf(history);
        classNames = List.copyOf(classNames);
    }

    /** Sums of an unfinished epoch, so that its metrics come out right after a resume. */
    public record PartialEpoch(double lossSum, long correct, long seen, double seconds) {
    }
}
