package org.dl4jpe.spark.train;

import java.util.Locale;

/**
 * How {@code pe train --spark} trains: the master, the training master and its knobs.
 *
 * @param master             Spark master URL: {@code local[N]}, {@code local-cluster[N,C,MB]}, {@code spark://...},
 *                           {@code yarn}
 * @param mode               parameter averaging or gradient sharing
 * @param averagingFrequency averaging: minibatches each worker fits between two averagings
 * @param threshold          sharing: the initial threshold of DL4J's adaptive threshold encoding
 * @param port               sharing: the UDP port of the Aeron transport (the same on every node)
 * @param networkMask        sharing: the network the nodes talk over (CIDR, such as 10.0.0.0/16), or null for the
 *                           driver's address
 */
public record SparkSettings(
        String master, Mode mode, int averagingFrequency, double threshold, int port, String networkMask) {

    public static final int DEFAULT_AVERAGING_FREQUENCY = 5;
    public static final double DEFAULT_THRESHOLD = 1e-3;
    public static final int DEFAULT_PORT = 40123;

    /** The two training masters of DL4J. */
    public enum Mode {
        /** ParameterAveragingTrainingMaster: workers fit alone and their parameters are averaged. */
        AVERAGING,
        /** SharedTrainingMaster: threshold-encoded gradient updates shared through Aeron. */
        SHARING;

        public static Mode parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("mode = '" + s + "' is not one of averaging, sharing");
            }
        }

        public String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public SparkSettings {
        if (averagingFrequency <= 0) {
            throw new IllegalArgumentException("averagingFrequency = " + averagingFrequency + " must be positive");
        }
        if (!(threshold > 0 && threshold < 1)) {
            throw new IllegalArgumentException("threshold = " + threshold + " must be in (0, 1)");
        }
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port = " + port + " must be in 1..65535");
        }
    }
}
