package org.dl4jpe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs the whole {@code pe} command line ({@link PeCommand}) in this JVM for the command-line tests. */
public final class PeRunner {
    private PeRunner() {}

    /** Exit code, standard output and standard error of one command line. */
    public record Run(int code, String out, String err) {
        /** The non-blank lines of standard error. */
        public List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }
    }

    /** {@code pe args...} with the zoo's registry and no Ctrl-C handling. */
    public static Run pe(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = PeCommand.execute(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                null,
                false);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A bad input gives exit code 2, nothing on stdout and one error line containing every {@code parts}. */
    public static void assertBadInput(Run r, String... parts) {
        assertEquals(PeCommand.BAD_INPUT, r.code(), r.toString());
        assertEquals("", r.out(), r.toString());
        List<String> lines = r.errLines();
        assertEquals(1, lines.size(), "one error line expected: " + r.err());
        for (String p : parts) {
            assertTrue(lines.get(0).contains(p), "'" + p + "' missing from: " + lines.get(0));
        }
        assertTrue(!r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
    }
}
