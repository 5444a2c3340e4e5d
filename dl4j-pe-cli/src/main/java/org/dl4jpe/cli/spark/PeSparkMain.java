package org.dl4jpe.cli.spark;

import java.io.PrintStream;
import org.dl4jpe.cli.sweep.PeMain;
import org.dl4jpe.zoo.ModelRegistry;
import org.dl4jpe.cli.PeCommand;
import picocli.CommandLine;

/**
 * The full {@code pe} command line with scale-out: hyperparam's ({@link PeMain}: the zoo's commands and
 * {@code sweep}) plus {@code train --spark MASTER}, {@code train --workers N} and {@code sweep --spark MASTER}.
 * {@code ./pe} runs this class; so does {@code spark-submit} with the shaded jar.
 */
public final class PeSparkMain {
    private PeSparkMain() {
    }

    public static void main(String[] args) {
        PeMain.main(args, PeSparkMain::extend);
    }

    /** Runs the command line with the given streams (tests call this); returns the exit code. */
    public static int execute(String[] args, PrintStream out, PrintStream err, ModelRegistry registry) {
        return PeMain.execute(args, out, err, registry, false, PeSparkMain::extend);
    }

    /** Adds the scale-out options to {@code train} and {@code sweep}. */
    public static void extend(CommandLine root) {
        ((PeCommand) root.getCommand()).addTrainExtension(root, new ScaleOutTrain());
        PeMain.addSweepExtension(root, new ScaleOutSweep());
    }
}
