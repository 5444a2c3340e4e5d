package org.dl4jpe.cli.spark;

import org.dl4jpe.spark.train.SparkSettings;
import picocli.CommandLine.Option;

/** The options dl4j-pe-spark adds to {@code pe train}. */
public final class ScaleOutOptions {
    @Option(names = "--spark", paramLabel = "MASTER", description = "Train on Apache Spark: local[N], "
            + "local-cluster[N,cores,MB] (N executor JVMs on this machine), spark://host:port or yarn. The run"
            + " directory is the same as a local run's, plus distributed.json.")
    String master;

    @Option(names = "--spark-mode", paramLabel = "MODE", description = "averaging (DL4J's parameter averaging, the"
            + " default) or sharing (gradient sharing through Aeron).")
    SparkSettings.Mode mode;

    @Option(names = "--averaging-frequency", paramLabel = "N", description = "Averaging (--spark or --workers):"
            + " minibatches each worker fits between two averagings (default: "
            + SparkSettings.DEFAULT_AVERAGING_FREQUENCY + "). --batch is the minibatch of each worker.")
    Integer averagingFrequency;

    @Option(names = "--threshold", paramLabel = "T", description = "Sharing: initial threshold of the adaptive"
            + " threshold encoding of gradient updates (default: " + SparkSettings.DEFAULT_THRESHOLD + ").")
    Double threshold;

    @Option(names = "--spark-port", paramLabel = "PORT", description = "Sharing: UDP port of the Aeron transport"
            + " on every node (default: " + SparkSettings.DEFAULT_PORT + ").")
    Integer port;

    @Option(names = "--spark-network", paramLabel = "CIDR", description = "Sharing: the network the nodes talk"
            + " over, such as 10.0.0.0/16 (default: the driver's address).")
    String networkMask;

    @Option(names = "--workers", paramLabel = "N", description = "Train with DL4J's ParallelWrapper: N copies of"
            + " the model on this machine's devices (GPUs; on a CPU, threads), parameters averaged.")
    Integer workers;

    boolean any() {
        return master != null || mode != null || averagingFrequency != null || threshold != null || port != null
                || networkMask != null || workers != null;
    }

    SparkSettings sparkSettings() {
        SparkSettings.Mode m = mode == null ? SparkSettings.Mode.AVERAGING : mode;
        if (m == SparkSettings.Mode.AVERAGING && (threshold != null || port != null || networkMask != null)) {
            throw new IllegalArgumentException("--threshold, --spark-port and --spark-network apply to --spark-mode"
                    + " sharing only");
        }
        if (m == SparkSettings.Mode.SHARING && averagingFrequency != null) {
            throw new IllegalArgumentException("--averaging-frequency applies to --spark-mode averaging only");
        }
        return new SparkSettings(master, m,
                averagingFrequency != null ? averagingFrequency : SparkSettings.DEFAULT_AVERAGING_FREQUENCY,
                threshold != null ? threshold : SparkSettings.DEFAULT_THRESHOLD,
                port != null ? port : SparkSettings.DEFAULT_PORT, networkMask);
    }
}
