package org.dl4jpe.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.dl4jpe.zoo.train.Charts;
import org.dl4jpe.zoo.train.ResultsCsv;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code pe plot-front --results FILE}: the accuracy-size front of every run in a results file (written by
 * {@code pe compare --results}): test accuracy against parameters, one curve per base model.
 */
@Command(
        name = "plot-front",
        mixinStandardHelpOptions = true,
        description = {
            "Plot the accuracy-size front of the runs in a results file (pe compare --results FILE): test"
                    + " accuracy against trainable parameters (log scale), one curve per series through the mean over"
                    + " seeds, with each seed's point. A series is the base model of a row's model: rows of"
                    + " vit_micro_patch4_28@embedDim=32 and vit_micro_patch4_28@embedDim=48 are one curve, so several"
                    + " compare runs (e.g. one per family) plot together. When the file holds runs of several budgets (epochs,"
                    + " training images), each budget of a model is its own series.",
            "Example:",
            "  pe plot-front --results docs/evidence/results.csv --out docs/evidence/front.png"
        })
final class PlotFrontCommand implements Runnable {
    /** The front plot's file name. */
    static final String FRONT_PNG = "front.png";

    @ParentCommand
    PeCommand pe;

    @Option(names = "--results", required = true, paramLabel = "FILE", description = "The results file to plot.")
    Path results;

    @Option(
            names = "--out",
            paramLabel = "PNG",
            description = "The plot to write (default: " + FRONT_PNG + " next to the results file).")
    Path out;

    @Option(
            names = "--title",
            paramLabel = "TEXT",
            description = "The plot's title (default: test accuracy against" + " parameters).")
    String title = "test accuracy against parameters";

    @Override
    public void run() {
        if (!Files.isRegularFile(results)) {
            throw new IllegalArgumentException("--results " + results + ": no such file");
        }
        List<Map<String, String>> rows;
        try {
            rows = ResultsCsv.read(results);
        } catch (IOException e) {
            throw new IllegalArgumentException("--results " + results + ": " + e.getMessage(), e);
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("--results " + results + " has no rows to plot");
        }
        Map<String, Map<Long, double[]>> series = new LinkedHashMap<>();
        // Runs of different budgets are not one front: with several budgets in the file, each is its own series.
        boolean severalBudgets =
                rows.stream().map(PlotFrontCommand::budget).distinct().count() > 1;
        for (Map<String, String> r : rows) {
            long params;
            double acc;
            try {
                params = Long.parseLong(r.get("parameters"));
                acc = Double.parseDouble(r.get("test_accuracy"));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "--results " + results + ": the row of " + r.get("run_dir")
                                + " has parameters '" + r.get("parameters") + "' and test_accuracy '"
                                + r.get("test_accuracy")
                                + "' (expected a whole number and a fraction)",
                        e);
            }
            add(series, r.get("model"), severalBudgets ? " (" + budget(r) + ")" : "", params, acc);
        }
        Path png = out != null ? out : results.toAbsolutePath().resolveSibling(FRONT_PNG);
        write(title, series, png);
        pe.err.println("wrote " + png + " (" + series.size() + " series, " + rows.size() + " runs)");
    }

    /** A row's training budget, for people: {@code 1 epochs of 20000 images}. */
    private static String budget(Map<String, String> row) {
        return row.get("epochs") + " epochs of " + row.get("train_images") + " images";
    }

    /** Adds one run of {@code model} (a compare's model argument) to its series, the model's base. */
    static void add(Map<String, Map<Long, double[]>> series, String model, long parameters, double accuracy) {
        add(series, model, "", parameters, accuracy);
    }

    /** As {@link #add(Map, String, long, double)}, the series named the model's base and {@code suffix}. */
    static void add(
            Map<String, Map<Long, double[]>> series, String model, String suffix, long parameters, double accuracy) {
        series.computeIfAbsent(ModelSpec.baseName(model) + suffix, k -> new TreeMap<>())
                .merge(parameters, new double[] {accuracy}, (a, b) -> {
                    double[] c = java.util.Arrays.copyOf(a, a.length + b.length);
                    System.arraycopy(b, 0, c, a.length, b.length);
                    return c;
                });
    }

    static void write(String title, Map<String, Map<Long, double[]>> series, Path png) {
        try {
            Charts.front(title, series, png);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the front plot " + png + ": " + e.getMessage(), e);
        }
    }
}
