package org.dl4jpe.zoo.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Training progress on standard error: a bar updated in place ({@code \r}) on a terminal, otherwise a log line
 * every {@code lineIntervalSeconds} and one per finished epoch.
 */
public final class Progress {
    /** How progress is shown. */
    public enum Style {
        /** A bar rewritten in place: for terminals. */
        BAR,
        /** Periodic lines: for logs and pipes. */
        LINES,
        /** Nothing but the per-epoch summary lines. */
        QUIET;

        /** BAR when a terminal is attached (or {@code -Dpe.progress=bar}), else LINES. */
        public static Style detect() {
            String forced = System.getProperty("pe.progress", System.getenv("PE_PROGRESS"));
            if (forced != null && !forced.isBlank()) {
                return switch (forced.trim().toLowerCase(Locale.ROOT)) {
                    case "bar" -> BAR;
                    case "quiet" -> QUIET;
                    default -> LINES;
                };
            }
            return System.console() != null ? BAR : LINES;
        }
    }

    private final PrintStream out;
    private final Style style;
    private final double lineIntervalSeconds;
    private long lastDraw;
    private int lastWidth;

    public Progress(PrintStream out, Style style, double lineIntervalSeconds) {
        this.out = out;
        this.style = style;
        this.lineIntervalSeconds = lineIntervalSeconds;
    }

    /**
     * Reports batch {@code batch} of {@code batches} in epoch {@code epoch} of {@code epochs}: {@code loss} is the
     * data loss (cross-entropy), {@code regularization} the term DL4J's {@code score()} adds to it (shown when
     * positive); a loss or accuracy the engine does not measure is NaN and shown as {@code -}.
     */
    public void update(
            String label,
            int epoch,
            int epochs,
            int batch,
            int batches,
            double loss,
            double regularization,
            double accuracy,
            double imagesPerSecond,
            double etaSeconds) {
        long now = System.nanoTime();
        boolean last = batch == batches;
        String text = String.format(
                Locale.ROOT,
                "%sepoch %d/%d %s %d/%d loss %s%s acc %s %6.0f img/s ETA %s",
                label.isEmpty() ? "" : label + " ",
                epoch,
                epochs,
                bar(batch, batches),
                batch,
                batches,
                Double.isNaN(loss) ? "-" : String.format(Locale.ROOT, "%.4f", loss),
                regularization > 0 ? String.format(Locale.ROOT, " (+%.4f reg)", regularization) : "",
                Double.isNaN(accuracy) ? "    -" : String.format(Locale.ROOT, "%5.1f%%", 100 * accuracy),
                imagesPerSecond,
                duration(etaSeconds));
        switch (style) {
            case BAR -> {
                if (last || now - lastDraw > 100_000_000L) {
                    String padded = text.length() < lastWidth ? text + " ".repeat(lastWidth - text.length()) : text;
                    out.print("\r" + padded);
                    out.flush();
                    lastWidth = text.length();
                    lastDraw = now;
                }
            }
            case LINES -> {
                // the epoch's first update, then one line per interval
                if (lastDraw == 0 || (now - lastDraw) / 1e9 >= lineIntervalSeconds) {
                    out.println(text);
                    lastDraw = now;
                }
            }
            case QUIET -> {}
        }
    }

    /**
     * Reports {@code done} of {@code batches} minibatches of {@code batchSize} images finished since
     * {@code startNanos} ({@link System#nanoTime}), for engines whose minibatches finish elsewhere (ParallelWrapper's
     * workers, Spark's tasks): images/s and ETA from that count, no regularization term, no training accuracy.
     * Callable from several threads.
     */
    public synchronized void minibatchesDone(
            int epoch, int epochs, long done, int batches, double loss, int batchSize, long startNanos) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        double rate = done * batchSize / Math.max(seconds, 1e-9);
        update(
                "",
                epoch,
                epochs,
                (int) Math.min(done, batches),
                batches,
                loss,
                0,
                Double.NaN,
                rate,
                Math.max(0, batches - done) * batchSize / Math.max(rate, 1e-9));
    }

    /** Ends the epoch's bar and prints its summary line. */
    public void epochDone(String summary) {
        clear();
        out.println(summary);
        out.flush();
    }

    /** Erases the bar (nothing to erase in the other styles); the next update starts afresh. */
    public synchronized void clear() {
        if (style == Style.BAR && lastWidth > 0) {
            out.print("\r" + " ".repeat(lastWidth) + "\r");
            out.flush();
            lastWidth = 0;
        }
        lastDraw = 0;
    }

    /** A message on its own line (ends a bar first). */
    public void message(String text) {
        if (style == Style.BAR && lastWidth > 0) {
            out.println();
            lastWidth = 0;
        }
        out.println(text);
        out.flush();
    }

    static String bar(int done, int total) {
        int width = 20;
        int filled = total == 0 ? width : (int) Math.round(width * (double) done / total);
        return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]";
    }

    /** {@code m:ss} or {@code h:mm:ss}; {@code --:--} when unknown. */
    public static String duration(double seconds) {
        if (Double.isNaN(seconds) || Double.isInfinite(seconds) || seconds < 0) {
            return "--:--";
        }
        long s = Math.round(seconds);
        return s >= 3600
                ? String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
                : String.format("%d:%02d", s / 60, s % 60);
    }
}
