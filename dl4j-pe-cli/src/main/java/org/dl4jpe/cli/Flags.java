package org.dl4jpe.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The libraries' messages speak of fields and values ({@code limitTrain = 0 must be >= 0}, {@code resume the run in
 * runs/r}); the command line reports them in its own words, the flags ({@code --limit-train 0 must be >= 0},
 * {@code --resume runs/r}). Only the written forms {@code field = value} and {@code resume the run|sweep in DIR}
 * are rewritten, so that a field name used as a plain word ("the same data") stays a word.
 */
final class Flags {
    /** Library field (as RunConfig, SweepSettings, SparkSettings, ... name it) to the flag that sets it. */
    static final Map<String, String> FLAG_OF_FIELD = Map.ofEntries(
            Map.entry("epochs", "--epochs"),
            Map.entry("batchSize", "--batch"),
            Map.entry("learningRate", "--lr"),
            Map.entry("warmupEpochs", "--warmup-epochs"),
            Map.entry("minLearningRate", "--min-lr"),
            Map.entry("trainLimit", "--limit-train"),
            Map.entry("testLimit", "--limit-test"),
            Map.entry("limitTrain", "--limit-train"),
            Map.entry("limitTest", "--limit-test"),
            Map.entry("checkpointEvery", "--checkpoint-every"),
            Map.entry("data", "--data"),
            Map.entry("out", "--out"),
            Map.entry("resume", "--resume"),
            Map.entry("inputSize", "--input-size"),
            Map.entry("channels", "--channels"),
            Map.entry("seed", "--seed"),
            Map.entry("space", "--space"),
            Map.entry("preset", "--preset"),
            Map.entry("generator", "--generator"),
            Map.entry("score", "--score"),
            Map.entry("candidates", "--candidates"),
            Map.entry("gridPoints", "--grid-points"),
            Map.entry("maxTimeSeconds", "--max-time"),
            Map.entry("parallel", "--parallel"),
            Map.entry("valFraction", "--val-fraction"),
            Map.entry("master", "--spark"),
            Map.entry("mode", "--spark-mode"),
            Map.entry("averagingFrequency", "--averaging-frequency"),
            Map.entry("threshold", "--threshold"),
            Map.entry("port", "--spark-port"),
            Map.entry("workers", "--workers"));

    private static final Pattern ASSIGNMENT =
            Pattern.compile("\\b(" + String.join("|", FLAG_OF_FIELD.keySet()) + ") = ");
    private static final Pattern RESUME = Pattern.compile("resume the (?:run|sweep) in ");
    private static final Pattern OTHER_OUT = Pattern.compile("another out directory");

    private Flags() {}

    /**
     * {@code out} for the libraries' progress and messages: every line printed with {@code println(String)} (how
     * {@code Progress} ends its messages) is rewritten by {@link #of}; bars and other output pass unchanged.
     */
    static PrintStream stream(PrintStream out) {
        return new PrintStream(out, true, StandardCharsets.UTF_8) {
            @Override
            public void println(String x) {
                super.println(of(x));
            }
        };
    }

    /** {@code message} with the libraries' field names replaced by this command line's flags. */
    static String of(String message) {
        if (message == null) {
            return null;
        }
        Matcher m = ASSIGNMENT.matcher(message);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(FLAG_OF_FIELD.get(m.group(1)) + " "));
        }
        m.appendTail(sb);
        String s = RESUME.matcher(sb).replaceAll("--resume ");
        return OTHER_OUT.matcher(s).replaceAll("another --out");
    }
}
