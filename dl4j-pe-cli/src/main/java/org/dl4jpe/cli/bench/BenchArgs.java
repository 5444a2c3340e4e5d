package org.dl4jpe.cli.bench;

import picocli.CommandLine;

/** The command line of the benchmarks' own {@code main}s: picocli parses, {@code --help} prints the options. */
final class BenchArgs {
    private BenchArgs() {}

    /**
     * {@code command} with {@code args} applied; on {@code --help} prints the usage and exits 0, on a bad argument
     * prints the error and the usage to standard error and exits 2.
     */
    static <T> T parseOrExit(T command, String... args) {
        CommandLine cl = new CommandLine(command);
        try {
            cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            System.err.println(cl.getCommandName() + ": " + e.getMessage());
            cl.usage(System.err);
            System.exit(2);
        }
        if (cl.isUsageHelpRequested()) {
            cl.usage(System.out);
            System.exit(0);
        }
        return command;
    }
}
