package org.dl4jpe.spark.train;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.AdaptiveThresholdAlgorithm;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.dl4jpe.spark.PeSpark;
import org.dl4jpe.zoo.data.ImageSource;
import org.dl4jpe.zoo.train.EpochFitter;
import org.dl4jpe.zoo.train.Progress;
import org.dl4jpe.zoo.train.RunConfig;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;

/**
 * Fits each epoch on Spark with one of DL4J's training masters. The driver sends only batch positions: each
 * executor opens the data itself and builds its batches ({@link ExecutorData}), in the epoch order of the local
 * trainer. The zoo's {@link org.dl4jpe.zoo.train.Trainer} does the rest (evaluation on the driver, checkpoint
 * every epoch, metrics, resume).
 *
 * <p>The training loss of an epoch is the mean score of every minibatch every worker fitted (Spark accumulators);
 * where the training master does not report them (gradient sharing after its first epoch in a Spark context), the
 * mean loss of the trained network over the epoch's batches. Training accuracy is not measured (NaN, an empty
 * column in metrics.csv).
 *
 * <p>Progress during an epoch comes from the same accumulators: each finished Spark task merges its minibatch
 * count and score sum on the driver, and a listener draws the progress line from them (minibatches done, their mean
 * score, images/s, ETA). Where the accumulators stay empty (gradient sharing after its first epoch), only the
 * epoch's summary line shows.
 */
public final class SparkEpochFitter implements EpochFitter {
    private final JavaSparkContext sc;
    private final SparkSettings settings;
    private final PrintStream err;
    private final Progress progress;
    private SparkComputationGraph sparkNet;
    private ScoreAccumulator scores;
    private int workers;

    public SparkEpochFitter(JavaSparkContext sc, SparkSettings settings, PrintStream err) {
        this.sc = sc;
        this.settings = settings;
        this.err = err;
        this.progress = new Progress(err, Progress.Style.detect(), 10.0);
    }

    /** Worker count: the task slots of the cluster. */
    public int workers() {
        return Math.max(1, PeSpark.workers(sc));
    }

    @Override
    public Fit fit(ComputationGraph net, ImageSource train, RunConfig config, int epoch, int firstBatch) {
        if (sparkNet == null || sparkNet.getNetwork() != net) {
            workers = workers();
            sparkNet = PeSpark.computationGraph(sc, net, trainingMaster(config, workers));
            scores = new ScoreAccumulator(sc);
            sparkNet.setListeners(scores);
        }
        scores.reset();
        int batch = config.batchSize();
        List<int[]> batches = EpochBatches.of(train, config, batch, epoch, firstBatch);
        long images = batches.stream().mapToLong(b -> b.length).sum();
        ExecutorData data = ExecutorData.of(config, train);
        err.printf(
                Locale.ROOT,
                "epoch %d/%d on Spark %s (%s, %d workers, batch %d per worker): %d batches%n",
                epoch + 1,
                config.epochs(),
                settings.master(),
                settings.mode().cliName(),
                workers,
                batch,
                batches.size());
        int e = epoch;
        JavaRDD<DataSet> rdd = sc.parallelize(batches, Math.max(workers, Math.min(batches.size(), 4 * workers)))
                .map(positions -> data.batch(positions, e));
        // parameter averaging counts the RDD before it trains on it: decode each batch once (gradient sharing
        // persists the RDD itself)
        boolean persist = settings.mode() == SparkSettings.Mode.AVERAGING;
        if (persist) {
            rdd.persist(StorageLevel.MEMORY_AND_DISK_SER());
        }
        long t0 = System.nanoTime();
        double loss;
        long iterations;
        EpochProgress shown = new EpochProgress(epoch + 1, config.epochs(), batches.size(), batch, t0);
        sc.sc().addSparkListener(shown);
        try {
            sparkNet.fit(rdd);
            if (scores.count() > 0) {
                loss = scores.mean();
                iterations = scores.count();
            } else {
                // gradient sharing keeps its workers (and their listeners) from the first epoch of this context:
                // score the epoch's batches with the trained network instead
                loss = sparkNet.calculateScore(rdd, true);
                iterations = batches.size();
            }
        } finally {
            sc.sc().removeSparkListener(shown);
            progress.clear();
            rdd.unpersist(false);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Fit(sparkNet.getNetwork(), loss, Double.NaN, images, iterations, seconds);
    }

    /** Draws the progress line whenever a task of the epoch has merged its minibatches into the accumulators. */
    private final class EpochProgress extends SparkListener {
        private final int epoch;
        private final int epochs;
        private final int batches;
        private final int batchSize;
        private final long start;

        EpochProgress(int epoch, int epochs, int batches, int batchSize, long start) {
            this.epoch = epoch;
            this.epochs = epochs;
            this.batches = batches;
            this.batchSize = batchSize;
            this.start = start;
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
            long done = scores.count();
            if (done == 0) {
                return;
            }
            progress.minibatchesDone(epoch, epochs, done, batches, scores.mean(), batchSize, start);
        }
    }

    /** The training master of {@code settings} for {@code workers} workers. */
    TrainingMaster trainingMaster(RunConfig config, int workers) {
        int batch = config.batchSize();
        long seed = config.options().seed();
        return switch (settings.mode()) {
            case AVERAGING ->
                new ParameterAveragingTrainingMaster.Builder(workers, batch)
                        .batchSizePerWorker(batch)
                        .averagingFrequency(settings.averagingFrequency())
                        .workerPrefetchNumBatches(0)
                        .saveUpdater(true)
                        .rddTrainingApproach(RDDTrainingApproach.Direct)
                        .rngSeed(seed)
                        .build();
            case SHARING -> {
                VoidConfiguration.VoidConfigurationBuilder v =
                        VoidConfiguration.builder().unicastPort(settings.port());
                if (settings.networkMask() != null) {
                    v.networkMask(settings.networkMask());
                } else {
                    v.controllerAddress(sc.getConf().get("spark.driver.host", "127.0.0.1"));
                }
                yield new SharedTrainingMaster.Builder(
                                v.build(), workers, new AdaptiveThresholdAlgorithm(settings.threshold()), batch)
                        .batchSizePerWorker(batch)
                        .workersPerNode(1)
                        .workerPrefetchNumBatches(0)
                        .rddTrainingApproach(RDDTrainingApproach.Direct)
                        .rngSeed(seed)
                        .build();
            }
        };
    }
}
