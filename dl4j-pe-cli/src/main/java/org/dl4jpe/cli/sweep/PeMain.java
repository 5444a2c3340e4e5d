package org.dl4jpe.cli.sweep;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.arbiter.optimize.parameter.FixedValue;
import org.dl4jpe.cli.BackendCheck;
import org.dl4jpe.hyperparam.model.Presets;
import org.dl4jpe.hyperparam.model.SpaceFile;
import org.dl4jpe.zoo.ModelRegistry;
import org.dl4jpe.zoo.Zoo;
import org.dl4jpe.cli.PeCommand;
import picocli.CommandLine;

/**
 * The full {@code pe} command line: the zoo's commands ({@link PeCommand}) and {@code pe sweep}, which lives here
 * because it needs Arbiter and the zoo must not see Arbiter. {@code ./pe} runs this class.
 */
public final class PeMain {
    private PeMain() {
    }

    public static void main(String[] args) {
        main(args, cl -> { });
    }

    /**
     * The entry point with more commands or options: {@code extend} receives the root {@link CommandLine} after
     * {@link #addCommands} (dl4j-pe-spark adds --spark and --workers this way).
     */
    public static void main(String[] args, java.util.function.Consumer<CommandLine> extend) {
        // the zoo's logging defaults (PeCommand.main sets the same), before the backend check first logs anything
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
        setIfAbsent("org.slf4j.simpleLogger.log.org.nd4j.imports.converters.ImportClassMapping", "error");
        String backendProblem = BackendCheck.problem(args, System.err);
        if (backendProblem != null) {
            System.err.println("pe: " + backendProblem);
            System.exit(PeCommand.BAD_INPUT);
        }
        PeCommand.main(args, cl -> {
            addCommands(cl);
            extend.accept(cl);
        });
    }

    /** Runs the command line with the given streams (tests call this); returns the exit code. */
    public static int execute(String[] args, PrintStream out, PrintStream err, ModelRegistry registry,
                              boolean handleInterrupts) {
        return execute(args, out, err, registry, handleInterrupts, cl -> { });
    }

    /** As {@link #execute(String[], PrintStream, PrintStream, ModelRegistry, boolean)}, with {@code extend}. */
    public static int execute(String[] args, PrintStream out, PrintStream err, ModelRegistry registry,
                              boolean handleInterrupts, java.util.function.Consumer<CommandLine> extend) {
        return PeCommand.execute(args, out, err, registry, handleInterrupts, cl -> {
            addCommands(cl);
            extend.accept(cl);
        });
    }

    /** Adds {@code sweep} to the zoo's command line. */
    public static void addCommands(CommandLine root) {
        CommandLine sweep = new CommandLine(new SweepCommand());
        sweep.getCommandSpec().usageMessage().description(sweepDescription());
        root.addSubcommand("sweep", sweep);
    }

    /** Adds {@code extension}'s options to {@code pe sweep} (after {@link #addCommands} on {@code root}). */
    public static void addSweepExtension(CommandLine root, SweepExtension extension) {
        CommandLine sweep = root.getSubcommands().get("sweep");
        ((SweepCommand) sweep.getCommand()).addExtension(sweep, extension);
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /** The help text of {@code pe sweep}, with each preset and its default budget. */
    static String[] sweepDescription() {
        List<String> lines = new ArrayList<>();
        lines.add("Search the architecture and training settings of a zoo model with Arbiter (random, grid or"
                + " genetic search). Each candidate is built through the zoo, trained on the training part of --data"
                + " and scored on a held-out validation part; the best model is evaluated on the test split.");
        lines.add("Progress goes to standard error (candidate i/N, best so far); the table of candidates to standard"
                + " output. --out gets every candidate's record (results.csv, results.json: configuration, seed,"
                + " score, parameters, time, DL4J and Java versions, git revision), best-model.zip and report.html"
                + " (score per candidate, score against parameter count). Ctrl-C stops after the current batch;"
                + " --resume DIR continues without redoing finished candidates; a failing candidate is recorded and"
                + " the sweep goes on.");
        lines.add("Presets (each sized for a 2-core CPU: the shipped Fashion-MNIST subset, 1 epoch per candidate;"
                + " expect a few minutes per candidate on 2 cores, much less on a GPU):");
        ModelRegistry registry = Zoo.registry();
        for (String name : Presets.NAMES) {
            String line;
            try {
                SpaceFile f = Presets.load(name, registry);
                Map<String, Object> d = f.defaults();
                line = String.format(Locale.ROOT, "  %s: %s. Default budget: %s candidates (%s search), %s, %s.",
                        name, f.description(), d.getOrDefault("candidates", 6), d.getOrDefault("generator", "random"),
                        d.containsKey("limitTrain") ? "the first " + d.get("limitTrain") + " training images of "
                                + d.getOrDefault("data", "fashion-mnist-subset")
                                : "all of " + d.getOrDefault("data", "fashion-mnist-subset"),
                        f.space().axes().get("epochs") instanceof FixedValue<?> e ? e.getValue() + " epoch(s) per"
                                + " candidate" : "searched epochs");
            } catch (RuntimeException e) {
                line = "  " + name + ": unavailable here (" + e.getMessage() + ")";
            }
            lines.add(line);
        }
        lines.add("Examples:");
        lines.add("  pe sweep --preset vit-micro-tie --out runs/tie");
        lines.add("  pe sweep --preset vit-micro-tie --data fashion-mnist --limit-train 5000 --candidates 12"
                + " --max-time 1h --parallel 2");
        lines.add("  pe sweep --space my-space.json --generator grid --score loss");
        lines.add("  pe sweep --resume runs/tie --candidates 10");
        lines.add("  pe sweep --preset vit-micro-tie --print-space > my-space.json");
        return lines.toArray(new String[0]);
    }
}
