package org.dl4jpe.cli.spark;

import org.dl4jpe.cli.PeCommand;
import org.dl4jpe.hyperparam.sweep.Sweep;
import org.dl4jpe.spark.SparkRuntime;
import org.dl4jpe.spark.sweep.SparkCandidateTrainer;
import picocli.CommandLine.Option;

/** {@code pe sweep --spark MASTER}: every candidate is one Spark task (a mixin of {@code pe sweep}). */
public final class ScaleOutSweep {
    @Option(
            names = "--spark",
            paramLabel = "MASTER",
            description = "Train each candidate as one Spark task on"
                    + " MASTER (local[N], local-cluster[N,cores,MB], spark://host:port, yarn); --parallel N candidates at"
                    + " once. The sweep directory must be on storage every executor can write (it is on one machine).")
    String master;

    /**
     * Gives {@code sweep} a Spark candidate trainer when {@code --spark} is given; returns the Spark session to close
     * after the sweep (null: none).
     */
    public SparkRuntime configure(Sweep sweep, PeCommand pe) {
        if (master == null) {
            return null;
        }
        SparkRuntime spark =
                SparkRuntime.start(master, "pe sweep " + sweep.dir().getFileName(), false);
        sweep.candidateTrainer(new SparkCandidateTrainer(spark.context()));
        pe.err()
                .println("sweep candidates run as Spark tasks on " + master + " ("
                        + sweep.settings().budget().parallel() + " at once; --parallel N for more)");
        return spark;
    }
}
