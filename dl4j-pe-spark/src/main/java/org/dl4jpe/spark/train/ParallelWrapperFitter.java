package org.dl4jpe.spark.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.dl4jpe.zoo.data.ImageBatchIterator;
import org.dl4jpe.zoo.data.ImageSource;
import org.dl4jpe.zoo.train.EpochFitter;
import org.dl4jpe.zoo.train.Progress;
import org.dl4jpe.zoo.train.RunConfig;

/**
 * Fits each epoch with DL4J's {@link ParallelWrapper}: {@code workers} copies of the network on the devices of
 * this machine (GPUs; on a CPU, threads), each fitting its own minibatches of the epoch (the local trainer's
 * order), parameters averaged every {@code averagingFrequency} minibatches. The epoch's training loss is the mean
 * of the workers' minibatch scores; training accuracy is not measured (NaN). Progress (minibatches done by all
 * workers, the latest minibatch's score, images/s, ETA) goes to {@code err} as a local run's does.
 */
public final class ParallelWrapperFitter implements EpochFitter {
    private final int workers;
    private final int averagingFrequency;
    private final PrintStream err;
    private final Progress progress;

    public ParallelWrapperFitter(int workers, int averagingFrequency, PrintStream err) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers = " + workers + " must be at least 1");
        }
        if (averagingFrequency < 1) {
            throw new IllegalArgumentException("averagingFrequency = " + averagingFrequency + " must be positive");
        }
        this.workers = workers;
        this.averagingFrequency = averagingFrequency;
        this.err = err;
        this.progress = new Progress(err, Progress.Style.detect(), 10.0);
    }

    @Override
    public Fit fit(ComputationGraph net, ImageSource train, RunConfig config, int epoch, int firstBatch) {
        ImageBatchIterator it = ImageBatchIterator.training(
                train, config.batchSize(), config.options().seed(), config.augment(), config.normalization());
        it.setEpoch(epoch);
        it.skipBatches(firstBatch);
        int batches = it.batchesPerEpoch() - firstBatch;
        long images = Math.max(0, train.size() - (long) firstBatch * config.batchSize());
        err.printf(
                Locale.ROOT,
                "epoch %d/%d with ParallelWrapper (%d workers, averaging every %d batches): %d" + " batches%n",
                epoch + 1,
                config.epochs(),
                workers,
                averagingFrequency,
                batches);
        DoubleAdder scores = new DoubleAdder();
        AtomicLong count = new AtomicLong();
        long start = System.nanoTime();
        int perBatch = config.batchSize();
        ParallelWrapper pw = new ParallelWrapper.Builder<>(net)
                .workers(workers)
                .prefetchBuffer(0)
                .averagingFrequency(averagingFrequency)
                .reportScoreAfterAveraging(false)
                .trainingMode(ParallelWrapper.TrainingMode.AVERAGING)
                .build();
        pw.setListeners(new BaseTrainingListener() {
            @Override
            public void iterationDone(Model model, int iteration, int ep) {
                double score = model.score();
                scores.add(score);
                progress.minibatchesDone(
                        epoch + 1, config.epochs(), count.incrementAndGet(), batches, score, perBatch, start);
            }
        });
        long t0 = System.nanoTime();
        try {
            pw.fit(new OneEpoch(it));
        } finally {
            pw.shutdown();
            progress.clear();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double loss = count.get() == 0 ? Double.NaN : scores.sum() / count.get();
        return new Fit(net, loss, Double.NaN, images, batches, seconds);
    }
}
