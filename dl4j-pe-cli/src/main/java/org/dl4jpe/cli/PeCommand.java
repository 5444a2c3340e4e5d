package org.dl4jpe.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.dl4jpe.cli.sweep.SweepCommand;
import org.dl4jpe.zoo.ModelRegistry;
import org.dl4jpe.zoo.Zoo;
import org.dl4jpe.zoo.train.NonFiniteLossException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pe}: the command line of dl4j-pe, every command in one tree (the zoo's, {@code sweep} through
 * dl4j-pe-hyperparam, the scale-out options of {@code train} and {@code sweep} through dl4j-pe-spark). {@code ./pe}
 * runs this class, and so does {@code spark-submit} with the application jar. Results go to standard output,
 * progress and messages to standard error. Exit codes: 0 success, 1 internal error, 2 bad input (arguments, files, data), 3 training stopped at a
 * non-finite loss.
 */
@Command(
        name = "pe",
        mixinStandardHelpOptions = true,
        versionProvider = PeCommand.Version.class,
        description = "Parameter-efficient models (arXiv 2401.16438) for Deeplearning4j: list, inspect, train,"
                + " evaluate and compare them.",
        subcommands = {
            ModelsCommand.class,
            SummaryCommand.class,
            TrainCommand.class,
            EvalCommand.class,
            PredictCommand.class,
            CompareCommand.class,
            DemoCommand.class,
            BenchCommand.class,
            MakeSubsetCommand.class,
            PlotFrontCommand.class,
            SweepCommand.class
        })
public final class PeCommand implements Runnable {
    public static final int OK = 0;
    public static final int INTERNAL_ERROR = 1;
    public static final int BAD_INPUT = 2;
    public static final int NON_FINITE_LOSS = 3;

    @Option(
            names = "--verbose",
            scope = CommandLine.ScopeType.INHERIT,
            description = "Log more, and print stack traces of errors.")
    boolean verbose;

    final PrintStream out;
    final PrintStream err;
    private PrintStream libraryErr;
    final ModelRegistry registry;
    final boolean handleInterrupts;

    PeCommand(PrintStream out, PrintStream err, ModelRegistry registry, boolean handleInterrupts) {
        this.out = out;
        this.err = err;
        this.registry = registry;
        this.handleInterrupts = handleInterrupts;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(),
                "a command is missing; commands: "
                        + String.join(", ", spec.subcommands().keySet()));
    }

    /** Standard output: results only. */
    public PrintStream out() {
        return out;
    }

    /** Standard error: progress and messages. */
    public PrintStream err() {
        return err;
    }

    /**
     * Standard error for the libraries (a trainer's or a sweep's progress): their lines in this command line's
     * words ({@link Flags}).
     */
    public PrintStream libraryErr() {
        if (libraryErr == null) {
            libraryErr = Flags.stream(err);
        }
        return libraryErr;
    }

    /** Whether Ctrl-C should save a checkpoint during training. */
    public boolean handleInterrupts() {
        return handleInterrupts;
    }

    /** Which of {@code options} were given on the command line of {@code command}, in the order listed. */
    public static java.util.List<String> given(CommandLine.Model.CommandSpec command, String... options) {
        CommandLine.ParseResult parsed = command.commandLine().getParseResult();
        return java.util.Arrays.stream(options).filter(parsed::hasMatchedOption).toList();
    }

    /** Whether --verbose was given. */
    public boolean verbose() {
        return verbose;
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        // logging defaults, before the backend check first logs anything
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
        setIfAbsent("org.slf4j.simpleLogger.log.org.nd4j.imports.converters.ImportClassMapping", "error");
        String backendProblem = BackendCheck.problem(args, System.err);
        if (backendProblem != null) {
            System.err.println("pe: " + backendProblem);
            System.exit(BAD_INPUT);
        }
        org.dl4jpe.zoo.train.Interrupts.install();
        int code = execute(args, System.out, System.err, null, true);
        System.out.flush();
        System.exit(code);
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /**
     * Runs the command line with the given streams (tests call this).
     *
     * @param registry         the models (null: {@link Zoo#registry()})
     * @param handleInterrupts whether Ctrl-C saves a checkpoint during training
     * @return the exit code
     */
    public static int execute(
            String[] args, PrintStream out, PrintStream err, ModelRegistry registry, boolean handleInterrupts) {
        PeCommand root = new PeCommand(out, err, registry, handleInterrupts);
        CommandLine cl = new CommandLine(root);
        cl.getSubcommands().get("sweep").getCommandSpec().usageMessage().description(SweepCommand.description());
        cl.setCaseInsensitiveEnumValuesAllowed(true); // --schedule cosine, --sharing stage_first
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cl.setParameterExceptionHandler((ex, a) -> {
            String cmd = ex.getCommandLine().getCommandSpec().qualifiedName();
            err.println(cmd + ": " + ex.getMessage() + " (see '" + cmd + " --help')");
            return BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            String cmd = commandLine.getCommandSpec().qualifiedName();
            boolean verbose = root.verbose;
            int code;
            if (ex instanceof NonFiniteLossException) {
                err.println(cmd + ": " + message(ex));
                code = NON_FINITE_LOSS;
            } else if (ex instanceof IllegalArgumentException
                    || ex instanceof UncheckedIOException
                    || ex instanceof IOException) {
                err.println(cmd + ": " + message(ex));
                code = BAD_INPUT;
            } else {
                err.println(cmd + ": internal error: " + ex.getClass().getName() + ": " + message(ex)
                        + (verbose ? "" : " (run with --verbose for the stack trace)"));
                code = INTERNAL_ERROR;
            }
            if (verbose) {
                ex.printStackTrace(err);
            }
            return code;
        });
        return cl.execute(args);
    }

    /** The message of {@code t} in this command line's words (its flags for the libraries' field names). */
    private static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : Flags.of(m);
    }

    /** The models: the registry given to {@link #execute}, or {@link Zoo#registry()}. */
    public ModelRegistry registry() {
        return registry != null ? registry : Zoo.registry();
    }

    /** Version of the build, from build.properties. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            Properties p = new Properties();
            try (InputStream in = PeCommand.class.getResourceAsStream("/org/dl4jpe/zoo/build.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                // unknown versions
            }
            return new String[] {
                "pe (dl4j-pe) " + p.getProperty("project.version", "unknown") + ", Deeplearning4j "
                        + p.getProperty("dl4j.version", "unknown")
            };
        }
    }
}
