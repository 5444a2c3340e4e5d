package org.dl4jpe.zoo.train;

import java.nio.file.Path;
import java.util.List;

/**
 * The outcome of {@link Trainer#train} or {@link Trainer#resume}.
 *
 * @param runDir              the run directory
 * @param state               the last saved state
 * @param interrupted         whether the run stopped early on request (Ctrl-C); resume it to continue
 * @param finalEvaluation     the test-set evaluation after the last completed epoch (null without test set or
 *                            when no epoch completed)
 * @param trainableParameters trainable parameters of the model
 */
public record TrainResult(
        Path runDir, RunState state, boolean interrupted, EvalResult finalEvaluation, long trainableParameters) {

    public List<EpochMetrics> history() {
        return state.history();
    }

    /** Total training seconds over all epochs (evaluation excluded). */
    public double trainSeconds() {
        return state.history().stream().mapToDouble(EpochMetrics::seconds).sum();
    }

    /** Mean training throughput over the run. */
    public double imagesPerSecond() {
        double images = state.history().stream()
                .mapToDouble(m -> m.seconds() * m.imagesPerSecond())
                .sum();
        double s = trainSeconds();
        return s > 0 ? images / s : Double.NaN;
    }

    /** Test accuracy after the last epoch, or NaN. */
    public double testAccuracy() {
        List<EpochMetrics> h = state.history();
        return h.isEmpty() ? Double.NaN : h.get(h.size() - 1).testAccuracy();
    }
}
