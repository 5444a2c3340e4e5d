package org.dl4jpe.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dl4jpe.zoo.train.Charts;
import org.dl4jpe.zoo.train.EpochMetrics;
import org.dl4jpe.zoo.train.MeanDifference;
import org.dl4jpe.zoo.train.Progress;
import org.dl4jpe.zoo.train.Provenance;
import org.dl4jpe.zoo.train.ResultsCsv;
import org.dl4jpe.zoo.train.RunConfig;
import org.dl4jpe.zoo.train.RunDirectory;
import org.dl4jpe.zoo.train.RunState;
import org.dl4jpe.zoo.train.TextTable;
import org.dl4jpe.zoo.train.TrainResult;
import org.dl4jpe.zoo.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code pe compare A B [C ...]}: trains every model under the same budget and seeds and tabulates the results,
 * with the difference of A to each other model (and, with several seeds, its 95% interval). Run again with the same
 * arguments, it continues: finished runs are read back, interrupted ones resumed from their checkpoint.
 */
@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        description = {
            "Train models A, B (and any more) under the same data, epochs, batch size, learning rate and"
                    + " seed(s), then"
                    + " print one table (parameters, test accuracy, train time, images/s) and write it as compare.md"
                    + " with a plot compare.png into --out (each run in its own subdirectory, MODEL/ or, with several"
                    + " --seeds, seed-S/MODEL/). With several seeds the table gives the mean and spread of test accuracy,"
                    + " and the difference of A to each other model comes with Welch's 95%% confidence interval over seeds.",
            "--results FILE adds one row per finished run to a CSV table as soon as the run finishes (replacing rows of the same run directory),"
                    + " so that several comparisons collect into one file.",
            "A model argument MODEL@axis=value[@axis=value...] overrides axes of MODEL's config (the axes pe sweep"
                    + " searches; a list axis takes its elements separated by commas). When some model has overridden"
                    + " versions, the comparison is also a front: front.png plots test accuracy against parameters (log"
                    + " scale), one curve per base model (mean over seeds, each seed's point shown); pe plot-front draws"
                    + " the same from a --results file.",
            "Running the same command again continues it: finished runs are read back, an interrupted or crashed"
                    + " run resumes from its last checkpoint.",
            "Examples:",
            "  pe compare vit_pe_micro_patch4_28 vit_micro_patch4_28 --data fashion-mnist --epochs 10",
            "  pe compare resnet_pe_mini_28 resnet_mini_28 --data fashion-mnist --epochs 1 --seeds 1,2 --out runs/r"
        })
final class CompareCommand implements Runnable {
    /** With several seeds: final test accuracy of every run against parameters. */
    static final String SEEDS_PNG = "compare-seeds.png";

    @ParentCommand
    PeCommand pe;

    @Parameters(
            arity = "2..*",
            paramLabel = "MODEL",
            description = "Two or more models; the first is compared with"
                    + " each of the others. A model may override axes of its architecture: MODEL@axis=value[@axis=value...],"
                    + " e.g. vit_micro_patch4_28@embedDim=48 or resnet_mini_28@midWidths=8,16,32 (the config axes that"
                    + " pe sweep searches).")
    List<String> models;

    @Option(
            names = "--epochs",
            paramLabel = "N",
            description = "Epochs for each model (default: " + RunConfig.DEFAULT_EPOCHS + ").")
    int epochs = RunConfig.DEFAULT_EPOCHS;

    @Option(
            names = "--batch",
            paramLabel = "B",
            description = "Training batch size (default: " + RunConfig.DEFAULT_BATCH_SIZE + ").")
    int batch = RunConfig.DEFAULT_BATCH_SIZE;

    @Option(
            names = "--seeds",
            split = ",",
            paramLabel = "S",
            description = "Train each model once per seed (instead of --seed), e.g. --seeds 1,2,3.")
    List<Long> seeds;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: runs/compare-TIME).")
    Path out;

    @Option(
            names = "--results",
            paramLabel = "FILE",
            description =
                    "Also write every finished run as a row of this CSV"
                            + " file (model, parameters, seed, epochs, train_images, test_accuracy, ...), keeping its other rows.")
    Path results;

    @Mixin
    DataOptionsMixin dataOptions;

    @Mixin
    ModelOptionsMixin modelOptions;

    @Override
    public void run() {
        if (seeds != null && modelOptions.seed != null) {
            throw new IllegalArgumentException("give --seed or --seeds, not both");
        }
        if (seeds != null && seeds.stream().distinct().count() != seeds.size()) {
            throw new IllegalArgumentException("--seeds " + seeds + " repeats a seed");
        }
        Path dir = out != null ? out : RunSetup.defaultOut("compare");
        compare(pe, models, modelOptions, dataOptions, epochs, batch, seeds, dir, results);
    }

    /**
     * Trains every model in {@code models} once per seed (or once, at the options' seed, when {@code seeds} is
     * null) and reports them side by side. Runs already in {@code dir} are continued or read back.
     */
    static void compare(
            PeCommand pe,
            List<String> models,
            ModelOptionsMixin mo,
            DataOptionsMixin dopt,
            int epochs,
            int batch,
            List<Long> seeds,
            Path dir,
            Path resultsFile) {
        if (models.stream().distinct().count() != models.size()) {
            String twice = models.stream()
                    .filter(m -> models.indexOf(m) != models.lastIndexOf(m))
                    .findFirst()
                    .orElseThrow();
            throw new IllegalArgumentException("compare needs different models; " + twice + " is named twice");
        }
        // Resolve everything before the first epoch, so a bad second name fails at once.
        Map<String, RunSetup.Prepared> prepared = new LinkedHashMap<>();
        Map<String, ModelSpec> specs = new LinkedHashMap<>();
        for (String m : models) {
            ModelSpec spec = ModelSpec.parse(m, pe.registry());
            specs.put(m, spec);
            prepared.put(m, RunSetup.prepare(spec.registry(), spec.name(), mo, dopt, epochs, batch));
        }
        List<Long> seedList = seeds != null
                ? seeds
                : List.of(prepared.values().iterator().next().config().options().seed());
        boolean perSeedDirs = seeds != null && seeds.size() > 1;
        Map<String, List<TrainResult>> results = new LinkedHashMap<>();
        for (long seed : seedList) {
            int i = 0;
            for (Map.Entry<String, RunSetup.Prepared> e : prepared.entrySet()) {
                String label = label(i++);
                RunConfig config = e.getValue().config();
                config = config.withOptions(config.options().withSeed(seed));
                Path runDir = (perSeedDirs ? dir.resolve("seed-" + seed) : dir).resolve(e.getKey());
                TrainResult r = trainOrContinue(
                        pe, specs.get(e.getKey()), label, config, e.getValue(), runDir, seedList.size() > 1);
                results.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(r);
                if (resultsFile != null && !r.interrupted()) {
                    // each finished run's row at once: a long compare that stops later keeps what finished
                    writeResult(resultsFile, e.getKey(), e.getValue(), r);
                }
                if (r.interrupted()) {
                    pe.err.println("compare interrupted; run the same command again to continue");
                    return;
                }
            }
        }
        report(pe, models, prepared.values().iterator().next().config(), epochs, batch, seedList, results, dir);
        if (resultsFile != null) {
            // every run's row was written as the run finished (or was read back)
            pe.err.println(
                    "wrote " + results.values().stream().mapToInt(List::size).sum() + " rows into " + resultsFile);
        }
    }

    /**
     * Adds (or replaces) the row of run {@code r} of {@code model} in the results file, with the run's own
     * provenance (the revision and time of the process that finished it, from its {@code state.json}), so that a run
     * read back by a later command keeps the revision it was trained at.
     */
    private static void writeResult(Path file, String model, RunSetup.Prepared p, TrainResult r) {
        Provenance trained = r.state().provenance();
        ResultsCsv.Row row = ResultsCsv.Row.of(
                model,
                r,
                p.data().requireTrain().size(),
                p.data().evaluationSet().size(),
                trained != null ? trained : Provenance.current());
        try {
            ResultsCsv.upsert(file, List.of(row));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the results to " + file + ": " + e.getMessage(), e);
        }
    }

    /** Trains {@code config} into {@code runDir}, resumes the run there, or reads it back when it is finished. */
    private static TrainResult trainOrContinue(
            PeCommand pe,
            ModelSpec spec,
            String label,
            RunConfig config,
            RunSetup.Prepared p,
            Path runDir,
            boolean sayingSeed) {
        String what = spec.spec() + (sayingSeed ? " (seed " + config.options().seed() + ")" : "");
        Trainer trainer = new Trainer(spec.registry(), pe.libraryErr(), Progress.Style.detect())
                .handleInterrupts(pe.handleInterrupts)
                .label(label);
        RunDirectory rd = new RunDirectory(runDir);
        if (!rd.hasState()) {
            pe.err.println(label + ": training " + what + " for " + config.epochs() + " epochs on " + config.data());
            return trainer.train(config, p.data(), runDir);
        }
        RunState state = rd.readState();
        if (!state.config().equals(config)) {
            throw new IllegalArgumentException(runDir + " holds a run of " + describe(state.config())
                    + ", not the requested " + describe(config) + "; choose another --out");
        }
        if (state.epochsDone() >= config.epochs()) {
            pe.err.println(label + ": " + what + " already trained in " + runDir);
            return new TrainResult(runDir, state, false, null, state.trainableParameters());
        }
        pe.err.println(label + ": continuing " + what + " in " + runDir);
        return trainer.resume(runDir, p.data(), 0, Double.NaN);
    }

    private static String describe(RunConfig c) {
        return String.format(
                Locale.ROOT,
                "%s on %s (limit %d/%d), %d epochs, batch %d, seed %d, %s lr %s %s",
                c.model(),
                c.data(),
                c.trainLimit(),
                c.testLimit(),
                c.epochs(),
                c.batchSize(),
                c.options().seed(),
                c.options().updater().name().toLowerCase(Locale.ROOT),
                c.options().learningRate(),
                c.schedule().describe());
    }

    private static void report(
            PeCommand pe,
            List<String> models,
            RunConfig first,
            int epochs,
            int batch,
            List<Long> seeds,
            Map<String, List<TrainResult>> results,
            Path dir) {
        boolean several = seeds.size() > 1;
        boolean front = isFront(models);
        TextTable t = several
                ? new TextTable(
                        "model", ">parameters", ">test accuracy (mean ± sd)", ">per seed", ">train time", ">images/s")
                : new TextTable("model", ">parameters", ">test accuracy", ">train time", ">images/s");
        Map<String, List<EpochMetrics>> curves = new LinkedHashMap<>();
        for (Map.Entry<String, List<TrainResult>> e : results.entrySet()) {
            List<TrainResult> rs = e.getValue();
            double[] acc = accuracies(rs);
            double seconds =
                    rs.stream().mapToDouble(TrainResult::trainSeconds).average().orElse(Double.NaN);
            double rate = rs.stream()
                    .mapToDouble(TrainResult::imagesPerSecond)
                    .average()
                    .orElse(Double.NaN);
            String params = TextTable.count(rs.get(0).trainableParameters());
            if (several) {
                t.row(
                        e.getKey(),
                        params,
                        TextTable.percent(MeanDifference.mean(acc)) + " ± " + points(MeanDifference.sd(acc)),
                        String.join(
                                " / ",
                                Arrays.stream(acc).mapToObj(TextTable::percent).toList()),
                        TextTable.seconds(seconds),
                        TextTable.rate(rate));
            } else {
                t.row(e.getKey(), params, TextTable.percent(acc[0]), TextTable.seconds(seconds), TextTable.rate(rate));
            }
            for (int i = 0; i < rs.size(); i++) {
                curves.put(
                        e.getKey() + (several ? " seed " + seeds.get(i) : ""),
                        rs.get(i).history());
            }
        }
        StringBuilder differences = new StringBuilder();
        double[] firstAccuracies = accuracies(results.get(models.get(0)));
        for (String other : models.subList(1, models.size())) {
            MeanDifference d = MeanDifference.of(firstAccuracies, accuracies(results.get(other)));
            differences.append(String.format(
                    Locale.ROOT,
                    "%s − %s: %+.2f points of test accuracy%s.%n",
                    models.get(0),
                    other,
                    100 * d.difference(),
                    several
                            ? String.format(
                                    Locale.ROOT,
                                    " (difference of the means over %d seeds; 95%% interval"
                                            + " %+.2f to %+.2f, Welch)",
                                    seeds.size(),
                                    100 * d.low(),
                                    100 * d.high())
                            : ""));
        }
        String difference = differences.toString();
        pe.out.print(t.text());
        pe.out.print(difference);
        pe.out.flush();
        String md = "# " + String.join(" vs ", models) + "\n\n" + t.markdown() + "\n" + difference + "\n"
                + String.format(
                        Locale.ROOT,
                        "Same budget for every model: data `%s`%s, %d %s, batch %d, %s at"
                                + " learning rate %s (%s), weight decay %s, %s %s, augmentation %s, normalisation %s.%n%n",
                        first.data(),
                        limits(first),
                        epochs,
                        epochs == 1 ? "epoch" : "epochs",
                        batch,
                        first.options().updater().name().toLowerCase(Locale.ROOT),
                        first.options().learningRate(),
                        first.schedule().describe(),
                        first.options().weightDecay(),
                        several ? "seeds" : "seed",
                        String.join(", ", seeds.stream().map(String::valueOf).toList()),
                        first.augment() ? "on" : "off",
                        first.normalization().describe())
                + "Test accuracy after the last epoch" + (several ? " (sd: sample standard deviation over seeds)" : "")
                + "; train time excludes evaluation" + (several ? " and is the mean per run" : "")
                + "; images/s is the mean training throughput.\n\n"
                + "![test accuracy and training loss per epoch](compare.png)\n\n"
                + (several ? "![final test accuracy of every seed against parameters](" + SEEDS_PNG + ")\n\n" : "")
                + (front
                        ? "![the accuracy-size front: test accuracy against parameters, one curve per base model]("
                                + PlotFrontCommand.FRONT_PNG + ")\n\n"
                        : "")
                + "Runs: "
                + (several
                        ? "`seed-S/MODEL/`"
                        : String.join(
                                ", ", models.stream().map(m -> "`" + m + "/`").toList()))
                + " (checkpoints, metrics.csv, curves.png).\n\n"
                + Provenance.current().describe() + "\n";
        try {
            Files.createDirectories(dir);
            RunDirectory.writeAtomically(dir.resolve("compare.md"), md);
            Charts.comparison(String.join(" vs ", models), curves, dir.resolve("compare.png"));
            if (several) {
                Map<String, Long> params = new LinkedHashMap<>();
                Map<String, double[]> acc = new LinkedHashMap<>();
                results.forEach((m, rs) -> {
                    params.put(m, rs.get(0).trainableParameters());
                    acc.put(m, accuracies(rs));
                });
                Charts.accuracyAgainstParameters(
                        "test accuracy per seed against parameters", params, acc, dir.resolve(SEEDS_PNG));
            }
            if (front) {
                Map<String, Map<Long, double[]>> series = new LinkedHashMap<>();
                results.forEach((m, rs) ->
                        rs.forEach(r -> PlotFrontCommand.add(series, m, r.trainableParameters(), r.testAccuracy())));
                PlotFrontCommand.write(
                        "test accuracy against parameters", series, dir.resolve(PlotFrontCommand.FRONT_PNG));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the comparison to " + dir + ": " + e.getMessage(), e);
        }
        pe.err.println("wrote " + dir.resolve("compare.md") + " and " + dir.resolve("compare.png")
                + (several ? " and " + dir.resolve(SEEDS_PNG) : "")
                + (front ? " and " + dir.resolve(PlotFrontCommand.FRONT_PNG) : ""));
    }

    /** A, B, ..., Z, then M27, M28, ... */
    static String label(int i) {
        return i < 26 ? String.valueOf((char) ('A' + i)) : "M" + (i + 1);
    }

    /** Whether some base model comes with several sizes (overridden versions): then the comparison is a front. */
    private static boolean isFront(List<String> models) {
        return models.stream().map(ModelSpec::baseName).distinct().count() < models.size();
    }

    private static String limits(RunConfig c) {
        if (c.trainLimit() == 0 && c.testLimit() == 0) {
            return "";
        }
        return " ("
                + (c.trainLimit() > 0
                        ? "first " + c.trainLimit() + " training images, class-balanced"
                        : "all training images")
                + ", " + (c.testLimit() > 0 ? "first " + c.testLimit() + " test images" : "all test images") + ")";
    }

    private static double[] accuracies(List<TrainResult> rs) {
        return rs.stream().mapToDouble(TrainResult::testAccuracy).toArray();
    }

    private static String points(double fraction) {
        return String.format(Locale.ROOT, "%.2f", 100 * fraction);
    }
}
