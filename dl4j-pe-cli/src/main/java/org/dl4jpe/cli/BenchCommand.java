package org.dl4jpe.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dl4jpe.cli.bench.BlockBenchmark;
import org.dl4jpe.cli.bench.GemmRate;
import org.dl4jpe.cli.bench.ModelThroughput;
import org.dl4jpe.cli.bench.StageBenchmark;
import org.dl4jpe.cli.bench.TrainingMemory;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.RegisteredModel;
import org.dl4jpe.zoo.train.TextTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code pe bench}: the layer benchmarks ({@link BlockBenchmark}: a transformer block tied, untied, composed and
 * as DL4J built-ins; {@link StageBenchmark}: a ResNet50 stage 3 at every sharing level against DL4J built-ins),
 * then whole-model throughput. Each table comes from one run with the variants interleaved.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Benchmarks, each variant interleaved with the others in one run, reported as ratios.",
            "Layers: one transformer block (D 384, 197 tokens, batch 8) tied vs untied vs composed layers vs DL4J"
                    + " built-ins, with achieved GFLOP/s against the measured float32 matrix-multiply rate; a ResNet50"
                    + " stage 3 (m 256, 6 blocks, 14x14, batch 8) at every sharing level vs DL4J built-in layers.",
            "Models: training and inference images per second of each model on random inputs (default: every"
                    + " registered model with inputs up to 64x64; --all adds the full-size ones, at batch 8), the time"
                    + " of one training step, and achieved GFLOP/s (matrix products and convolutions; a training step"
                    + " counts 3x the forward FLOPs) as a share of the float32 matrix-multiply rate measured before and"
                    + " after each model.",
            "With MODEL names, only those models are measured."
        })
final class BenchCommand implements Runnable {
    /** Side of the square float32 product that gives the reference matrix-multiply rate. */
    static final int GEMM_SIZE = 1024;
    /** Ops listed by --op-profile; the rest are summed in one row. */
    static final int OPS_SHOWN = 12;

    @ParentCommand
    PeCommand pe;

    @Parameters(arity = "0..*", paramLabel = "MODEL", description = "Models to measure (default: see above).")
    List<String> models = new ArrayList<>();

    @Option(names = "--all", description = "Include full-size models (slow on a CPU).")
    boolean all;

    @Option(names = "--batch", paramLabel = "B", description = "Batch size (default: 32; 8 for full-size models).")
    Integer batch;

    @Option(names = "--warmup", paramLabel = "N", description = "Untimed iterations first (default: 2).")
    int warmup = 2;

    @Option(
            names = "--iterations",
            paramLabel = "N",
            description = "Timed iterations; images/s come from the median step (default: 5).")
    int iterations = 5;

    @Option(
            names = "--only",
            paramLabel = "WHAT",
            description = "${COMPLETION-CANDIDATES} (default: both; only models when MODELs are named).")
    Part only;

    /** What {@code --only} selects. */
    enum Part {
        LAYERS,
        MODELS
    }

    @Option(
            names = "--op-profile",
            description = "Also profile training steps by ND4J op (its OpProfiler): time per"
                    + " step inside ops and outside them, and the ops that take it.")
    boolean opProfile;

    @Option(
            names = "--reps",
            paramLabel = "N",
            description = "Timed repetitions of each layer benchmark (default: 9 for the block, 5 for the stage).")
    Integer reps;

    @Override
    public void run() {
        if (reps != null && reps < 1) {
            throw new IllegalArgumentException("--reps " + reps + " must be at least 1");
        }
        boolean layers = only == null ? models.isEmpty() : only == Part.LAYERS;
        boolean wholeModels = only == null || only == Part.MODELS;
        if (layers) {
            runLayerBenchmarks();
        }
        if (wholeModels) {
            runModelBenchmarks();
        }
    }

    private void runLayerBenchmarks() {
        BlockBenchmark.Options b = BlockBenchmark.Options.defaults();
        if (reps != null) {
            b = new BlockBenchmark.Options(
                    b.embedDim(), b.numHeads(), b.mlpRatio(), b.tokens(), b.batch(), b.warmup(), reps);
        }
        pe.err.println("benchmark: transformer block (" + b + ") ...");
        BlockBenchmark.run(pe.out, b);
        pe.out.println();
        StageBenchmark.Options s = new StageBenchmark.Options();
        if (reps != null) {
            s.reps = reps;
        }
        pe.err.println("benchmark: ResNet50 stage 3 (" + s + ") ...");
        StageBenchmark.run(pe.out, s);
        pe.out.println();
        pe.out.flush();
    }

    private void runModelBenchmarks() {
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
        TextTable t = new TextTable(
                "model",
                ">parameters",
                ">batch",
                ">train img/s",
                ">step ms",
                ">train GFLOP/s",
                ">of gemm",
                ">inference img/s",
                ">GFLOP/s",
                ">of gemm");
        TextTable mem = new TextTable(
                "model", ">peak RSS MB", ">JVM heap peak MB", ">params MB", ">updater MB", ">params+updater MB");
        GemmRate gemm = GemmRate.square(GEMM_SIZE);
        List<Double> rates = new ArrayList<>();
        for (RegisteredModel m : chosen) {
            ModelOptions o = m.defaultOptions();
            int b = batchFor(o);
            pe.err.println("measuring " + m.name() + " at batch " + b + " ...");
            double before = gemm.gflops();
            ModelThroughput.Result r = ModelThroughput.measure(m, o, b, warmup, iterations);
            double rate = (before + gemm.gflops()) / 2;
            rates.add(rate);
            t.row(
                    r.model(),
                    TextTable.count(r.trainable()),
                    r.batch(),
                    TextTable.rate(r.trainPerSecond()),
                    String.format(Locale.ROOT, "%.0f", r.trainStepMs()),
                    gflops(r.trainGflops()),
                    share(r.trainGflops() / rate),
                    TextTable.rate(r.inferPerSecond()),
                    gflops(r.inferGflops()),
                    share(r.inferGflops() / rate));
            TrainingMemory tm = r.memory();
            mem.row(
                    r.model(),
                    megabytes(tm.peakRssBytes()),
                    megabytes(tm.heapPeakBytes()),
                    megabytes(tm.parameterBytes()),
                    megabytes(tm.updaterBytes()),
                    megabytes(tm.modelStateBytes()));
        }
        pe.out.print(t.text());
        pe.out.printf(
                Locale.ROOT,
                "of gemm: achieved GFLOP/s over the float32 gemm rate (%dx%d by %dx%d) measured"
                        + " before and after each model, %s GFLOP/s here; %s native thread(s) (OMP_NUM_THREADS)%n",
                GEMM_SIZE,
                GEMM_SIZE,
                GEMM_SIZE,
                GEMM_SIZE,
                rates.isEmpty()
                        ? "-"
                        : String.format(Locale.ROOT, "%.1f-%.1f", Collections.min(rates), Collections.max(rates)),
                System.getenv().getOrDefault("OMP_NUM_THREADS", "default"));
        pe.out.println();
        pe.out.print(mem.text());
        pe.out.println("memory of the timed training steps: peak RSS of the process (Linux VmHWM, reset before them;"
                + " it includes what earlier models of this run left: one model per run for an absolute figure),"
                + " JVM heap pools' peak, parameters and updater state");
        pe.out.flush();
        if (opProfile) {
            for (RegisteredModel m : chosen) {
                printOpProfile(m);
            }
        }
    }

    private void printOpProfile(RegisteredModel m) {
        ModelOptions o = m.defaultOptions();
        int b = batchFor(o);
        pe.err.println("profiling " + m.name() + " by op ...");
        ModelThroughput.OpProfile p = ModelThroughput.profileTraining(m, o, b, warmup, iterations);
        pe.out.printf(
                Locale.ROOT,
                "%n%s, batch %d: %.0f ms per training step under the profiler, %.0f ms (%.0f%%) of"
                        + " it in ND4J ops, the rest in Java (DL4J, SameDiff's per-op dispatch)%n",
                p.model(),
                p.batch(),
                p.stepMs(),
                p.opMs(),
                100 * p.opMs() / p.stepMs());
        TextTable t = new TextTable("op", ">ms per step", ">of op time");
        double shown = 0;
        for (Map.Entry<String, Double> e : p.ops().entrySet()) {
            if (t.size() == OPS_SHOWN) {
                break;
            }
            t.row(e.getKey(), String.format(Locale.ROOT, "%.1f", e.getValue()), share(e.getValue() / p.opMs()));
            shown += e.getValue();
        }
        t.row(
                "(" + Math.max(0, p.ops().size() - OPS_SHOWN) + " other ops)",
                String.format(Locale.ROOT, "%.1f", p.opMs() - shown),
                share((p.opMs() - shown) / p.opMs()));
        pe.out.print(t.text());
        pe.out.flush();
    }

    private int batchFor(ModelOptions o) {
        return batch != null ? batch : (long) o.inputHeight() * o.inputWidth() <= 64 * 64 ? 32 : 8;
    }

    /** Three significant digits, so that the tiny test models do not show as 0. */
    private static String gflops(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
    }

    private static String megabytes(long bytes) {
        return bytes < 0 ? "-" : String.format(Locale.ROOT, bytes < 10 << 20 ? "%.2f" : "%.0f", bytes / 1048576.0);
    }

    private static String share(double fraction) {
        return fraction >= 0.001
                ? String.format(Locale.ROOT, "%.1f%%", 100 * fraction)
                : String.format(Locale.ROOT, "%.2g%%", 100 * fraction);
    }
}
