package org.dl4jpe.cli.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.dl4jpe.spark.PeSpark;
import org.dl4jpe.spark.SparkRuntime;
import org.dl4jpe.spark.train.DistributedLog;
import org.dl4jpe.spark.train.ParallelWrapperFitter;
import org.dl4jpe.spark.train.SparkEpochFitter;
import org.dl4jpe.spark.train.SparkSettings;
import org.dl4jpe.cli.PeCommand;
import org.dl4jpe.cli.TrainExtension;
import org.dl4jpe.zoo.train.RunConfig;
import org.dl4jpe.zoo.train.RunDirectory;
import org.dl4jpe.zoo.train.Trainer;

/** {@code pe train --spark MASTER} and {@code pe train --workers N}. */
final class ScaleOutTrain implements TrainExtension {
    private final ScaleOutOptions options = new ScaleOutOptions();

    @Override
    public Object options() {
        return options;
    }

    @Override
    public AutoCloseable configure(Trainer trainer, RunConfig config, Path runDir, boolean resume, PeCommand pe) {
        ScaleOutOptions o = options;
        if (!o.any()) {
            return null;
        }
        if (o.master != null && o.workers != null) {
            throw new IllegalArgumentException("give one of --spark MASTER and --workers N, not both");
        }
        int startEpoch = resume ? new RunDirectory(runDir).readState().epochsDone() : 0;
        Map<String, Object> entry = new LinkedHashMap<>();
        if (o.workers != null) {
            if (o.mode != null || o.threshold != null || o.port != null || o.networkMask != null) {
                throw new IllegalArgumentException("--spark-mode, --threshold, --spark-port and --spark-network need"
                        + " --spark MASTER");
            }
            int freq = o.averagingFrequency != null ? o.averagingFrequency : SparkSettings.DEFAULT_AVERAGING_FREQUENCY;
            trainer.epochFitter(new ParallelWrapperFitter(o.workers, freq, pe.libraryErr()));
            entry.put("engine", "ParallelWrapper");
            entry.put("workers", o.workers);
            entry.put("averagingFrequency", freq);
            entry.put("batchPerWorker", config.batchSize());
            entry.put("fromEpoch", startEpoch);
            record(trainer, runDir, entry);
            return null;
        }
        if (o.master == null) {
            throw new IllegalArgumentException("--spark-mode, --averaging-frequency, --threshold, --spark-port and"
                    + " --spark-network need --spark MASTER (or --workers N for --averaging-frequency)");
        }
        SparkSettings s = o.sparkSettings();
        SparkRuntime spark = SparkRuntime.start(s.master(), "pe train " + config.model(),
                s.mode() == SparkSettings.Mode.SHARING);
        try {
            SparkEpochFitter fitter = new SparkEpochFitter(spark.context(), s, pe.libraryErr());
            trainer.epochFitter(fitter);
            entry.put("engine", "Spark");
            entry.put("master", s.master());
            entry.put("trainingMaster", s.mode() == SparkSettings.Mode.AVERAGING ? "ParameterAveragingTrainingMaster"
                    : "SharedTrainingMaster");
            entry.put("mode", s.mode().cliName());
            entry.put("workers", fitter.workers());
            entry.put("executors", PeSpark.executors(spark.context()));
            entry.put("batchPerWorker", config.batchSize());
            if (s.mode() == SparkSettings.Mode.AVERAGING) {
                entry.put("averagingFrequency", s.averagingFrequency());
            } else {
                entry.put("threshold", s.threshold());
                entry.put("port", s.port());
                entry.put("networkMask", s.networkMask());
            }
            entry.put("sparkVersion", spark.context().version());
            entry.put("serializer", spark.context().getConf().get("spark.serializer"));
            entry.put("fromEpoch", startEpoch);
            record(trainer, runDir, entry);
            return spark;
        } catch (RuntimeException e) {
            spark.close();
            throw e;
        }
    }

    /**
     * Records the session in the run's {@code distributed.json}, declared to the trainer as one of the run's own files;
     * only into a directory that is absent, empty, or already a run (a foreign one is left untouched, and the trainer
     * then refuses it with its own message).
     */
    private static void record(Trainer trainer, Path runDir, Map<String, Object> entry) {
        trainer.companionFiles(Set.of(DistributedLog.FILE));
        boolean ours;
        try (java.util.stream.Stream<Path> files = Files.isDirectory(runDir) ? Files.list(runDir) : null) {
            ours = files == null || new RunDirectory(runDir).hasState()
                    || files.allMatch(f -> f.getFileName().toString().equals(DistributedLog.FILE));
        } catch (java.io.IOException e) {
            ours = false;
        }
        if (ours) {
            DistributedLog.append(runDir, entry);
        }
    }
}
