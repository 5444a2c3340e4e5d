package org.dl4jpe.layers.samediff;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Keeps SameDiff's debugging output off standard output.
 *
 * <p>ND4J 1.0.0-M2.1 prints one {@code "Added differentiated op ..."} line to {@code System.out} for every op
 * while it builds a gradient function ({@code SameDiff.createGradFunction}). {@link #run(Runnable)} swaps in a
 * stream that drops exactly those lines while the action runs and passes every other line through unchanged,
 * so output from other threads is not lost.
 */
public final class QuietSameDiff {
    private static final String NOISE = "Added differentiated op";
    private static final Object LOCK = new Object();

    private QuietSameDiff() {}

    /** Runs {@code action} with SameDiff's "Added differentiated op" lines filtered out of standard output. */
    public static void run(Runnable action) {
        synchronized (LOCK) {
            PrintStream original = System.out;
            PrintStream filtered = new PrintStream(new LineFilter(original), true, StandardCharsets.UTF_8);
            System.setOut(filtered);
            try {
                action.run();
            } finally {
                filtered.flush();
                System.setOut(original);
            }
        }
    }

    /** Buffers one line at a time and forwards it unless it is SameDiff's noise. */
    private static final class LineFilter extends OutputStream {
        private final PrintStream target;
        private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();

        LineFilter(PrintStream target) {
            this.target = target;
        }

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
            if (b == '\n') {
                emit();
            }
        }

        @Override
        public synchronized void flush() {
            if (bytes.size() > 0) {
                emit();
            }
            target.flush();
        }

        private void emit() {
            String s = bytes.toString(StandardCharsets.UTF_8);
            bytes.reset();
            if (!s.startsWith(NOISE)) {
                target.print(s);
            }
        }
    }
}
