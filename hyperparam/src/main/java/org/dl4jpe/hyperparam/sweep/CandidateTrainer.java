package org.dl4jpe.hyperparam.sweep;

import java.nio.file.Path;
import org.dl4jpe.hyperparam.model.ModelCandidate;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.train.RunConfig;
import org.dl4jpe.zoo.train.TrainResult;
import org.dl4jpe.zoo.train.Trainer;

/**
 * Where a sweep's candidate trains: the extension point of {@link Sweep#candidateTrainer} (dl4j-pe-spark runs each
 * candidate as a Spark task). The sweep does everything around it: drawing, records, resume, the report.
 */
public interface CandidateTrainer {

    /**
     * One candidate to train.
     *
     * @param number      the candidate's number (1-based)
     * @param name        its model name in {@code config} (registered by {@link #train}'s implementation)
     * @param description its description for the registry
     * @param candidate   the candidate's choices
     * @param baseOptions the sweep's options before the candidate's choices ({@code ModelAxes.resolve} input)
     * @param config      the run's settings
     * @param runDir      its run directory (prepared: empty but for the candidate marker, or a checkpoint to
     *                    continue from)
     * @param continued   whether to resume from the checkpoint in {@code runDir}
     * @param settings    the sweep's settings (data, limits, validation split, seed)
     * @param label       the progress label
     */
    record Task(
            int number,
            String name,
            String description,
            ModelCandidate candidate,
            ModelOptions baseOptions,
            RunConfig config,
            Path runDir,
            boolean continued,
            SweepSettings settings,
            String label) {}

    /**
     * Trains {@code task} and returns what the local trainer would: the run's last state and its evaluation on the
     * validation part. {@code local} is the trainer the sweep would have used in this process (its registry knows
     * the candidate; stop requests reach it).
     */
    TrainResult train(Task task, Trainer local);

    /** Stops every running candidate (the sweep was asked to stop); they keep their last checkpoint. */
    default void requestStop() {}
}
