package org.dl4jpe.zoo.cli;

import java.util.ArrayList;
import java.util.List;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.RegisteredModel;
import org.dl4jpe.zoo.bench.ModelThroughput;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code pe bench}: whole-model throughput. The layer benchmarks (our SameDiff layers against DL4J's built-in
 * ones) are not part of this build yet; the command says so on standard error.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmarks. Whole-model throughput: training and inference images per second of each model"
                + " on random inputs (default: every registered model with inputs up to 64x64; --all adds the"
                + " full-size ones).",
            "Layer benchmarks (tied attention, tied MLP and shared bottleneck stage against DL4J's built-in layers)"
                + " will run here too; they are not in this build yet."})
final class BenchCommand implements Runnable {
    static final String LAYER_BENCHMARKS_MISSING = "pe bench: layer benchmarks (TiedSelfAttention, TiedFeedForward,"
            + " SharedBottleneckStage against DL4J's built-in layers) are not in this build yet; measuring whole-model"
            + " throughput only";

    @ParentCommand
    PeCommand pe;

    @Parameters(arity = "0..*", paramLabel = "MODEL", description = "Models to measure (default: see above).")
    List<String> models = new ArrayList<>();

    @Option(names = "--all", description = "Include full-size models (slow on a CPU).")
    boolean all;

    @Option(names = "--batch", paramLabel = "B", description = "Batch size (default: 32).")
    int batch = 32;

    @Option(names = "--warmup", paramLabel = "N", description = "Untimed iterations first (default: 2).")
    int warmup = 2;

    @Option(names = "--iterations", paramLabel = "N", description = "Timed iterations (default: 5).")
    int iterations = 5;

    @Override
    public void run() {
        pe.err.println(LAYER_BENCHMARKS_MISSING);
        List<RegisteredModel> chosen = new ArrayList<>();
        if (models.isEmpty()) {
            for (RegisteredModel m : pe.registry().models()) {
                ModelOptions o = m.defaultOptions();
                if (all || (long) o.inputHeight() * o.inputWidth() <= 64 * 64) {
                    chosen.add(m);
                }
            }
        } else {
            for (String name : models) {
                chosen.add(pe.registry().get(name));
            }
        }
        TextTable t = new TextTable("model", ">parameters", ">batch", ">train img/s", ">inference img/s");
        for (RegisteredModel m : chosen) {
            pe.err.println("measuring " + m.name() + " ...");
            ModelThroughput.Result r = ModelThroughput.measure(m, m.defaultOptions(), batch, warmup, iterations);
            t.row(r.model(), TextTable.count(r.trainable()), r.batch(), TextTable.rate(r.trainPerSecond()),
                    TextTable.rate(r.inferPerSecond()));
        }
        pe.out.print(t.text());
        pe.out.flush();
    }
}
