package org.dl4jpe.cli.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.dl4jpe.cli.PeCommand;
import org.dl4jpe.spark.PeSpark;
import org.dl4jpe.spark.SparkRuntime;
import org.dl4jpe.spark.train.DistributedLog;
import org.dl4jpe.spark.train.ParallelWrapperFitter;
import org.dl4jpe.spark.train.SparkEpochFitter;
import org.dl4jpe.spark.train.SparkSettings;
import org.dl4jpe.zoo.train.RunConfig;
import org.dl4jpe.zoo.train.RunDirectory;
import org.dl4jpe.zoo.train.Trainer;
import picocli.CommandLine.Option;

/** {@code pe train --spark MASTER} and {@code pe train --workers N}: the options (a mixin of {@code pe train}). */
public final class ScaleOutTrain {
    @Option(
            names = "--spark",
            paramLabel = "MASTER",
            description = "Train on Apache Spark: local[N], "
                    + "local-cluster[N,cores,MB] (N executor JVMs on this machine), spark://host:port or yarn. The run"
                    + " directory is the same as a local run's, plus distributed.json.")
    String master;

    @Option(
            names = "--spark-mode",
            paramLabel = "MODE",
            description = "averaging (DL4J's parameter averaging, the"
                    + " default) or sharing (gradient sharing through Aeron).")
    SparkSettings.Mode mode;

    @Option(
            names = "--averaging-frequency",
            paramLabel = "N",
            description = "Averaging (--spark or --workers):"
                    + " minibatches each worker fits between two averagings (default: "
                    + SparkSettings.DEFAULT_AVERAGING_FREQUENCY + "). --batch is the minibatch of each worker.")
    Integer averagingFrequency;

    @Option(
            names = "--threshold",
            paramLabel = "T",
            description = "Sharing: initial threshold of the adaptive"
                    + " threshold encoding of gradient updates (default: " + SparkSettings.DEFAULT_THRESHOLD + ").")
    Double threshold;

    @Option(
            names = "--spark-port",
            paramLabel = "PORT",
            description = "Sharing: UDP port of the Aeron transport" + " on every node (default: "
                    + SparkSettings.DEFAULT_PORT + ").")
    Integer port;

    @Option(
            names = "--spark-network",
            paramLabel = "CIDR",
            description = "Sharing: the network the nodes talk"
                    + " over, such as 10.0.0.0/16 (default: the driver's address).")
    String networkMask;

    @Option(
            names = "--workers",
            paramLabel = "N",
            description = "Train with DL4J's ParallelWrapper: N copies of"
                    + " the model on this machine's devices (GPUs; on a CPU, threads), parameters averaged.")
    Integer workers;

    boolean any() {
        return master != null
                || mode != null
                || averagingFrequency != null
                || threshold != null
                || port != null
                || networkMask != null
                || workers != null;
    }

    SparkSettings sparkSettings() {
        SparkSettings.Mode m = mode == null ? SparkSettings.Mode.AVERAGING : mode;
        if (m == SparkSettings.Mode.AVERAGING && (threshold != null || port != null || networkMask != null)) {
            throw new IllegalArgumentException(
                    "--threshold, --spark-port and --spark-network apply to --spark-mode" + " sharing only");
        }
        if (m == SparkSettings.Mode.SHARING && averagingFrequency != null) {
            throw new IllegalArgumentException("--averaging-frequency applies to --spark-mode averaging only");
        }
        return new SparkSettings(
                master,
                m,
                averagingFrequency != null ? averagingFrequency : SparkSettings.DEFAULT_AVERAGING_FREQUENCY,
                threshold != null ? threshold : SparkSettings.DEFAULT_THRESHOLD,
                port != null ? port : SparkSettings.DEFAULT_PORT,
                networkMask);
    }

    /**
     * Called before {@code pe train} trains or resumes: gives {@code trainer} a Spark or ParallelWrapper
     * {@link Trainer#epochFitter EpochFitter} when the options ask for one, and returns the Spark session to close
     * after the run (null: none).
     *
     * @param config the run's settings (of the run being resumed, with --resume)
     * @param runDir the run directory
     * @param resume whether the run is resumed
     */
    public SparkRuntime configure(Trainer trainer, RunConfig config, Path runDir, boolean resume, PeCommand pe) {
        if (!any()) {
            return null;
        }
        if (master != null && workers != null) {
            throw new IllegalArgumentException("give one of --spark MASTER and --workers N, not both");
        }
        int startEpoch = resume ? new RunDirectory(runDir).readState().epochsDone() : 0;
        Map<String, Object> entry = new LinkedHashMap<>();
        if (workers != null) {
            if (mode != null || threshold != null || port != null || networkMask != null) {
                throw new IllegalArgumentException(
                        "--spark-mode, --threshold, --spark-port and --spark-network need" + " --spark MASTER");
            }
            int freq = averagingFrequency != null ? averagingFrequency : SparkSettings.DEFAULT_AVERAGING_FREQUENCY;
            trainer.epochFitter(new ParallelWrapperFitter(workers, freq, pe.libraryErr()));
            entry.put("engine", "ParallelWrapper");
            entry.put("workers", workers);
            entry.put("averagingFrequency", freq);
            entry.put("batchPerWorker", config.batchSize());
            entry.put("fromEpoch", startEpoch);
            record(trainer, runDir, entry);
            return null;
        }
        if (master == null) {
            throw new IllegalArgumentException("--spark-mode, --averaging-frequency, --threshold, --spark-port and"
                    + " --spark-network need --spark MASTER (or --workers N for --averaging-frequency)");
        }
        SparkSettings s = sparkSettings();
        SparkRuntime spark =
                SparkRuntime.start(s.master(), "pe train " + config.model(), s.mode() == SparkSettings.Mode.SHARING);
        try {
            SparkEpochFitter fitter = new SparkEpochFitter(spark.context(), s, pe.libraryErr());
            trainer.epochFitter(fitter);
            entry.put("engine", "Spark");
            entry.put("master", s.master());
            entry.put(
                    "trainingMaster",
                    s.mode() == SparkSettings.Mode.AVERAGING
                            ? "ParameterAveragingTrainingMaster"
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
            ours = files == null
                    || new RunDirectory(runDir).hasState()
                    || files.allMatch(f -> f.getFileName().toString().equals(DistributedLog.FILE));
        } catch (java.io.IOException e) {
            ours = false;
        }
        if (ours) {
            DistributedLog.append(runDir, entry);
        }
    }
}
