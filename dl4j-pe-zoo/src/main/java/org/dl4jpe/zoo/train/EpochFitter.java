package org.dl4jpe.zoo.train;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.zoo.data.ImageSource;

/**
 * Fits one whole epoch at a time: the extension point of {@link Trainer#epochFitter} for engines that take a
 * whole epoch of data in one call (DL4J's Spark training masters, ParallelWrapper). The trainer keeps doing
 * everything around it: checks, test evaluation, the checkpoint and {@code state.json} after every epoch,
 * {@code metrics.csv}, curves and resume.
 */
public interface EpochFitter {

    /**
     * Trains {@code net} on epoch {@code epoch} (0-based) of {@code train}, starting at batch {@code firstBatch}
     * of that epoch (non-zero only when a run that stopped mid-epoch is resumed). The epoch's image order is
     * {@link org.dl4jpe.zoo.data.ImageBatchIterator#training}'s for the run's seed, as in the batch loop.
     */
    Fit fit(ComputationGraph net, ImageSource train, RunConfig config, int epoch, int firstBatch);

    /**
     * What an epoch gave.
     *
     * @param net           the trained network (the engine may hand back another instance than it was given)
     * @param trainLoss     mean training loss of the epoch's minibatches (NaN or infinite stops the run)
     * @param trainAccuracy training accuracy, or NaN when the engine does not measure it
     * @param images        images trained on
     * @param iterations    parameter updates made
     * @param seconds       training time of the epoch
     */
    record Fit(
            ComputationGraph net,
            double trainLoss,
            double trainAccuracy,
            long images,
            long iterations,
            double seconds) {}
}
