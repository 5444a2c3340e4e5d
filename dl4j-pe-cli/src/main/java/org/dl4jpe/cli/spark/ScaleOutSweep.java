package org.dl4jpe.cli.spark;

import org.dl4jpe.cli.sweep.SweepExtension;
import org.dl4jpe.hyperparam.sweep.Sweep;
import org.dl4jpe.spark.SparkRuntime;
import org.dl4jpe.spark.sweep.SparkCandidateTrainer;
import org.dl4jpe.cli.PeCommand;
import picocli.CommandLine.Option;

/** {@code pe sweep --spark MASTER}: every candidate is one Spark task. */
final class ScaleOutSweep implements SweepExtension {
    private final Options options = new Options();

    static final class Options {
        @Option(names = "--spark", paramLabel = "MASTER", description = "Train each candidate as one Spark task on"
                + " MASTER (local[N], local-cluster[N,cores,MB], spark://host:port, yarn); --parallel N candidates at"
                + " once. The sweep directory must be on storage every executor can write (it is on one machine).")
        String master;
    }

    @Override
    public Object options() {
        return options;
    }

    @Override
    public AutoCloseable configure(Sweep sweep, PeCommand pe) {
        if (options.master == null) {
            return null;
        }
        SparkRuntime spark = SparkRuntime.start(options.master, "pe sweep " + sweep.dir().getFileName(), false);
        sweep.candidateTrainer(new SparkCandidateTrainer(spark.context()));
        pe.err().println("sweep candidates run as Spark tasks on " + options.master + " ("
                + sweep.settings().budget().parallel() + " at once; --parallel N for more)");
        return spark;
    }
}
