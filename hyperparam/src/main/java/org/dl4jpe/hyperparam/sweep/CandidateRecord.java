package org.dl4jpe.hyperparam.sweep;

import java.util.Map;
import org.dl4jpe.zoo.train.Provenance;

/**
 * What a sweep keeps of one candidate once it has ended, as {@code records/cNNNN.json}: its configuration, seed,
 * score, size, time and provenance. A record is written once, atomically, the moment the candidate ends; a
 * candidate interrupted before that has no record and runs (or continues from its checkpoint) when the sweep is
 * resumed.
 *
 * @param format              file format version ({@link #FORMAT})
 * @param candidate           1-based candidate number, in the order the generator drew them
 * @param status              {@link Status#FINISHED} or {@link Status#FAILED}
 * @param message             why it failed, or a note (null when there is nothing to say)
 * @param baseModel           the registered model the candidate varies
 * @param family              its family ("vit", "resnet")
 * @param choices             the value of every axis of the space (exact text: enum names, full-precision numbers)
 * @param key                 {@code ModelCandidate.key()}: identifies the configuration
 * @param config              the resolved variant config, component by component (null if it did not resolve)
 * @param options             the resolved model options, component by component (null if they did not resolve)
 * @param batchSize           training batch size (null if unresolved)
 * @param epochs              training epochs (null if unresolved)
 * @param seed                seed of initialisation, data order and dropout
 * @param scoreMetric         {@code accuracy} or {@code loss}
 * @param score               the value of the score metric on the validation split (null when failed)
 * @param validationAccuracy  accuracy on the validation split after the last epoch (null when failed)
 * @param validationLoss      mean cross-entropy on the validation split after the last epoch (null when failed)
 * @param trainableParameters parameters training changes (the documented count; null if the model was not built)
 * @param totalParameters     all parameters as DL4J counts them (BatchNorm statistics included)
 * @param trainSeconds        training time (evaluation excluded; over all runs of a resumed candidate)
 * @param wallSeconds         wall time of the candidate's last run, building and evaluation included
 * @param started             when the candidate's last run started (ISO-8601)
 * @param ended               when it ended (ISO-8601)
 * @param runDirectory        its run directory, relative to the sweep directory ({@code pe eval} accepts it)
 * @param provenance          dl4j-pe, DL4J and Java versions, git revision, processors
 */
public record CandidateRecord(int format, int candidate, Status status, String message, String baseModel,
                              String family, Map<String, String> choices, String key, Map<String, String> config,
                              Map<String, String> options, Integer batchSize, Integer epochs, long seed,
                              String scoreMetric, Double score, Double validationAccuracy, Double validationLoss,
                              Long trainableParameters, Long totalParameters, double trainSeconds,
                              double wallSeconds, String started, String ended, String runDirectory,
                              Provenance provenance) {

    public static final int FORMAT = 1;

    /** How a candidate ended. */
    public enum Status { FINISHED, FAILED }

    public boolean finished() {
        return status == Status.FINISHED;
    }

    /** The score, or NaN when there is none. */
    public double scoreOrNaN() {
        return score == null ? Double.NaN : score;
    }
}
