package org.dl4jpe.zoo.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dl4jpe.zoo.train.Charts;
import org.dl4jpe.zoo.train.EpochMetrics;
import org.dl4jpe.zoo.train.Progress;
import org.dl4jpe.zoo.train.Provenance;
import org.dl4jpe.zoo.train.RunDirectory;
import org.dl4jpe.zoo.train.TrainResult;
import org.dl4jpe.zoo.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code pe compare A B}: trains both under the same budget and seed and tabulates the results. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Train models A and B under the same data, epochs, batch size, learning rate and seed, then"
                + " print one table (parameters, test accuracy, train time, images/s) and write it as compare.md"
                + " with a plot compare.png into --out (each run in its own subdirectory).",
            "Example: pe compare vit_pe_micro_patch4_28 vit_micro_patch4_28 --data fashion-mnist --epochs 10"})
final class CompareCommand implements Runnable {
    @ParentCommand
    PeCommand pe;

    @Parameters(index = "0", paramLabel = "A", description = "First model.")
    String a;

    @Parameters(index = "1", paramLabel = "B", description = "Second model.")
    String b;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs for each model (default: 10).")
    int epochs = 10;

    @Option(names = "--batch", paramLabel = "B", description = "Training batch size (default: 64).")
    int batch = 64;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: runs/compare-TIME).")
    Path out;

    @Mixin
    DataOptionsMixin dataOptions;

    @Mixin
    ModelOptionsMixin modelOptions;

    @Override
    public void run() {
        Path dir = out != null ? out : RunSetup.defaultOut("compare");
        compare(pe, List.of(a, b), modelOptions, dataOptions, epochs, batch, dir);
    }

    /** Trains every model in {@code models} in turn and reports them side by side. */
    static void compare(PeCommand pe, List<String> models, ModelOptionsMixin mo, DataOptionsMixin dopt, int epochs,
                        int batch, Path dir) {
        if (models.stream().distinct().count() != models.size()) {
            throw new IllegalArgumentException("compare needs two different models, got " + String.join(" and ", models));
        }
        // Resolve everything before the first epoch, so a bad second name fails at once.
        Map<String, RunSetup.Prepared> prepared = new LinkedHashMap<>();
        for (String m : models) {
            prepared.put(m, RunSetup.prepare(pe.registry(), m, mo, dopt, epochs, batch));
        }
        Map<String, TrainResult> results = new LinkedHashMap<>();
        String[] labels = {"A", "B", "C", "D", "E", "F"};
        int i = 0;
        for (Map.Entry<String, RunSetup.Prepared> e : prepared.entrySet()) {
            String label = labels[Math.min(i++, labels.length - 1)];
            Trainer trainer = new Trainer(pe.registry(), pe.err, Progress.Style.detect())
                    .handleInterrupts(pe.handleInterrupts).label(label);
            pe.err.println(label + ": training " + e.getKey() + " for " + epochs + " epochs on " + e.getValue().config().data());
            TrainResult r = trainer.train(e.getValue().config(), e.getValue().data(), dir.resolve(e.getKey()));
            results.put(e.getKey(), r);
            if (r.interrupted()) {
                pe.err.println("compare interrupted; each run can be continued with pe train --resume DIR");
                return;
            }
        }
        TextTable t = new TextTable("model", ">parameters", ">test accuracy", ">train time", ">images/s");
        Map<String, List<EpochMetrics>> curves = new LinkedHashMap<>();
        for (Map.Entry<String, TrainResult> e : results.entrySet()) {
            TrainResult r = e.getValue();
            t.row(e.getKey(), TextTable.count(r.trainableParameters()), TextTable.percent(r.testAccuracy()),
                    TextTable.seconds(r.trainSeconds()), TextTable.rate(r.imagesPerSecond()));
            curves.put(e.getKey(), r.history());
        }
        pe.out.print(t.text());
        pe.out.flush();
        var first = prepared.values().iterator().next().config();
        String md = "# " + String.join(" vs ", models) + "\n\n" + t.markdown() + "\n"
                + String.format(Locale.ROOT, "Same budget for every model: data `%s`, %d epochs, batch %d, %s at"
                        + " learning rate %s, weight decay %s, seed %d, augmentation %s, normalisation %s.%n%n",
                        first.data(), epochs, batch, first.options().updater().name().toLowerCase(Locale.ROOT),
                        first.options().learningRate(), first.options().weightDecay(), first.options().seed(),
                        first.augment() ? "on" : "off", first.normalization().describe())
                + "Test accuracy after the last epoch; train time excludes evaluation; images/s is the mean"
                + " training throughput.\n\n![test accuracy and training loss per epoch](compare.png)\n\n"
                + "Runs: " + String.join(", ", models.stream().map(m -> "`" + m + "/`").toList())
                + " (checkpoints, metrics.csv, curves.png).\n\n" + Provenance.current().describe() + "\n";
        try {
            Files.createDirectories(dir);
            RunDirectory.writeAtomically(dir.resolve("compare.md"), md);
            Charts.comparison(String.join(" vs ", models), curves, dir.resolve("compare.png"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the comparison to " + dir + ": " + e.getMessage(), e);
        }
        pe.err.println("wrote " + dir.resolve("compare.md") + " and " + dir.resolve("compare.png"));
    }
}
