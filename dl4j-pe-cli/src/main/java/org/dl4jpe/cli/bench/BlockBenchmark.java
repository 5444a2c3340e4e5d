package org.dl4jpe.cli.bench;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnLossLayer;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.TimeDistributed;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4jpe.layers.Engine;
import org.dl4jpe.layers.LayerNorm;
import org.dl4jpe.layers.MatmulFlops;
import org.dl4jpe.layers.TiedFeedForward;
import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.TiedSelfAttention;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;
import org.dl4jpe.layers.TransformerBlock;
import org.dl4jpe.layers.samediff.QuietSameDiff;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Times one transformer block, tied and untied, against the same block built from our separate layers, against
 * DL4J's built-in layers and against itself on the SameDiff engine, and prints one table.
 *
 * <p>Default workload: ViT-S block (D 384, H 6, r 4), 197 tokens, batch 8, float32. A training step is
 * {@code fit(features, labels)} on a network of the block and an MSE {@link RnnLossLayer} (no parameters) with Adam;
 * inference is {@code output(features)}. Variants are warmed up, then run interleaved (each repetition visits every
 * variant in a rotated order, and re-measures the machine's matrix-multiply rate), and medians are reported: the
 * machine is small and shared, so single timings are noisy. The first, untimed step of each variant builds its
 * graphs; {@code warmup} more untimed repetitions follow.
 *
 * <p>FLOPs count only matrix products, 2·M·K·N each: per block forward {@code 8·M·D²} (Q, K, V, output
 * projections, M = N·T) + {@code 4·N·T²·D} (scores and A·V) + {@code 4·M·D·R} (MLP); a training step counts as
 * 3× forward. The reference rate is ND4J's float32 {@code gemm} of [N·T, D] × [D, R].
 *
 * <p>Run ({@code pe bench --only layers} runs it too), after one {@code ./pe} run has built the application:
 * <pre>
 * java -cp dl4j-pe-cli/target/dl4j-pe-cli-0.1.0-SNAPSHOT.jar:$(cat dl4j-pe-cli/target/runtime-classpath.txt) \
 *     org.dl4jpe.cli.bench.BlockBenchmark --reps 5
 * </pre>
 * Options ({@code --help} lists them): {@code --reps} (timed repetitions, default 9; {@code --reps 3 --warmup 1} is
 * a quick run), {@code --warmup} (default 2), {@code --batch}, {@code --tokens}, {@code --embedDim},
 * {@code --numHeads}, {@code --mlpRatio}.
 */
public final class BlockBenchmark {
    private static final Logger log = LoggerFactory.getLogger(BlockBenchmark.class);

    private BlockBenchmark() {}

    /** What to run. */
    public record Options(int embedDim, int numHeads, double mlpRatio, int tokens, int batch, int warmup, int reps) {
        public Options {
            if (embedDim <= 0
                    || numHeads <= 0
                    || embedDim % numHeads != 0
                    || mlpRatio <= 0
                    || tokens <= 0
                    || batch <= 0
                    || warmup < 0
                    || reps <= 0) {
                throw new IllegalArgumentException("BlockBenchmark: invalid options " + this);
            }
        }

        /** ViT-S block, 197 tokens, batch 8, 2 warm-up and 9 timed repetitions. */
        public static Options defaults() {
            return new Options(384, 6, 4.0, 197, 8, 2, 9);
        }

        /** Options from command-line arguments ({@code --reps 5 --tokens 65} ...) over {@link #defaults()}. */
        public static Options parse(String... args) {
            return CommandLine.populateCommand(new Args(), args).options();
        }
    }

    /** The command line of {@link #main}: every {@link Options} component, defaults from {@link Options#defaults()}. */
    @Command(
            name = "BlockBenchmark",
            usageHelpAutoWidth = true,
            mixinStandardHelpOptions = true,
            description = "Times one transformer block, tied and untied, against separate layers, DL4J's built-in"
                    + " layers and the SameDiff engine.")
    static final class Args {
        private static final Options DEFAULTS = Options.defaults();

        @Option(names = "--embedDim", paramLabel = "D", description = "Width (default: 384).")
        int embedDim = DEFAULTS.embedDim();

        @Option(names = "--numHeads", paramLabel = "H", description = "Attention heads (default: 6).")
        int numHeads = DEFAULTS.numHeads();

        @Option(names = "--mlpRatio", paramLabel = "R", description = "MLP hidden width over D (default: 4).")
        double mlpRatio = DEFAULTS.mlpRatio();

        @Option(names = "--tokens", paramLabel = "T", description = "Tokens per example (default: 197).")
        int tokens = DEFAULTS.tokens();

        @Option(names = "--batch", paramLabel = "N", description = "Examples per step (default: 8).")
        int batch = DEFAULTS.batch();

        @Option(names = "--warmup", paramLabel = "N", description = "Untimed repetitions first (default: 2).")
        int warmup = DEFAULTS.warmup();

        @Option(names = "--reps", paramLabel = "N", description = "Timed repetitions (default: 9).")
        int reps = DEFAULTS.reps();

        Options options() {
            return new Options(embedDim, numHeads, mlpRatio, tokens, batch, warmup, reps);
        }
    }

    /**
     * One row of the table. Times in milliseconds per step (median and minimum over repetitions); {@code vsUntied}
     * is the median over repetitions of this variant's time divided by (b)'s in the same repetition, and
     * {@code ofGemm} the median of its achieved FLOP rate divided by the gemm rate measured in the same repetition.
     */
    public record Row(
            String label,
            String contents,
            long params,
            double trainMs,
            double trainMinMs,
            double trainVsUntied,
            double trainOfGemm,
            double inferMs,
            double inferMinMs,
            double inferVsUntied,
            double inferOfGemm) {}

    /** The table's numbers. */
    public record Result(Options options, double gemmGflops, double forwardGflop, List<Row> rows) {
        /** The row whose label starts with {@code prefix}, e.g. "(b)". */
        public Row row(String prefix) {
            return rows.stream()
                    .filter(r -> r.label.startsWith(prefix))
                    .findFirst()
                    .orElseThrow();
        }
    }

    public static void main(String[] args) {
        run(System.out, BenchArgs.parseOrExit(new Args(), args).options());
    }

    /** Runs the benchmark and prints its table to {@code out}; returns the numbers. */
    public static Result run(PrintStream out, Options o) {
        DataType dt = DataType.FLOAT;
        long hidden = Math.round(o.mlpRatio * o.embedDim);
        Nd4j.getRandom().setSeed(42);
        INDArray x = Nd4j.rand(dt, o.batch, o.embedDim, o.tokens).subi(0.5);
        INDArray y = Nd4j.rand(dt, o.batch, o.embedDim, o.tokens).subi(0.5);

        List<Variant> variants = new ArrayList<>();
        variants.add(Variant.of(
                "(a) TransformerBlock tied",
                "QO_KV + TRANSPOSE; LN, biases, exact GELU",
                blockNet(o, Scheme.QO_KV, Tie.TRANSPOSE, dt),
                x,
                y));
        variants.add(Variant.of(
                "(b) TransformerBlock untied",
                "NONE + NONE, same code; LN, biases, exact GELU",
                blockNet(o, Scheme.NONE, Tie.NONE, dt),
                x,
                y));
        variants.add(Variant.of(
                "(c) composed graph, tied",
                "LayerNorm+TiedSelfAttention+Add+LayerNorm+" + "TiedFeedForward+Add",
                composedGraph(o, dt),
                x,
                y));
        variants.add(Variant.of(
                "(d) DL4J built-ins",
                "SelfAttentionLayer+Add+2 Dense+Add; no LN, no attn " + "biases, sigmoid-GELU",
                builtInGraph(o, dt),
                x,
                y));
        variants.add(Variant.of(
                "(e) (a), SameDiff engine",
                "as (a), Engine.SAMEDIFF (the reference): " + "(e)/(a) is the direct engine's speed-up",
                blockNet(o, Scheme.QO_KV, Tie.TRANSPOSE, Engine.SAMEDIFF, dt),
                x,
                y));

        GemmRate gemm = new GemmRate((long) o.batch * o.tokens, o.embedDim, hidden, dt);
        log.info("building the graphs, then warming up ({} repetitions)", o.warmup);
        // The first step builds each SameDiff graph and its gradient; DL4J's own SameDiff layer (variant d) prints
        // a line per op to standard output while doing so, which this filters out.
        QuietSameDiff.run(() -> {
            for (int r = 0; r <= o.warmup; r++) {
                gemm.time();
                for (Variant v : variants) {
                    v.fit();
                    v.infer();
                }
            }
        });
        List<Double> gemmMs = new ArrayList<>();
        for (int r = 0; r < o.reps; r++) {
            gemmMs.add(gemm.time());
            StringBuilder times = new StringBuilder();
            for (int i = 0; i < variants.size(); i++) {
                Variant v = variants.get((i + r) % variants.size());
                v.train.add(v.fit());
                v.inference.add(v.infer());
                times.append(String.format(
                        Locale.ROOT, " %s %.0f/%.0f ms", v.label.substring(0, 3), v.train.get(r), v.inference.get(r)));
            }
            log.info(
                    "repetition {}/{}: gemm {} ms;{}",
                    r + 1,
                    o.reps,
                    String.format(Locale.ROOT, "%.1f", gemmMs.get(r)),
                    times);
        }

        double gemmGflops = gemm.flops() / median(gemmMs) / 1e6;
        double forward = forwardFlops(o, hidden);
        Variant base = variants.get(1);
        List<Row> rows = new ArrayList<>();
        for (Variant v : variants) {
            // Paired per repetition: the load on a shared machine drifts between repetitions far more than within one.
            List<Double> trainRatio = new ArrayList<>();
            List<Double> inferRatio = new ArrayList<>();
            List<Double> trainOfGemm = new ArrayList<>();
            List<Double> inferOfGemm = new ArrayList<>();
            for (int r = 0; r < o.reps; r++) {
                trainRatio.add(v.train.get(r) / base.train.get(r));
                inferRatio.add(v.inference.get(r) / base.inference.get(r));
                trainOfGemm.add(3 * forward / v.train.get(r) / (gemm.flops() / gemmMs.get(r)));
                inferOfGemm.add(forward / v.inference.get(r) / (gemm.flops() / gemmMs.get(r)));
            }
            rows.add(new Row(
                    v.label,
                    v.contents,
                    v.params,
                    median(v.train),
                    Collections.min(v.train),
                    median(trainRatio),
                    median(trainOfGemm),
                    median(v.inference),
                    Collections.min(v.inference),
                    median(inferRatio),
                    median(inferOfGemm)));
        }
        Result result = new Result(o, gemmGflops, forward / 1e9, rows);
        print(out, result, hidden);
        return result;
    }

    /** Matrix-product FLOPs of one block's forward pass. */
    static double forwardFlops(Options o, long hidden) {
        return o.batch
                * (MatmulFlops.attention(o.tokens, o.embedDim) + MatmulFlops.feedForward(o.tokens, o.embedDim, hidden));
    }

    private static void print(PrintStream out, Result res, long hidden) {
        Options o = res.options;
        double fwd = res.forwardGflop;
        out.printf(
                Locale.ROOT,
                "Transformer block benchmark: D %d, H %d, R %d, %d tokens, batch %d, float32; "
                        + "medians of %d interleaved repetitions after %d warm-up%n",
                o.embedDim,
                o.numHeads,
                hidden,
                o.tokens,
                o.batch,
                o.reps,
                o.warmup);
        out.printf(
                Locale.ROOT,
                "ND4J %s backend, %d threads, %s; %s%n",
                Nd4j.getBackend().getClass().getSimpleName(),
                Nd4j.getEnvironment().maxThreads(),
                Runtime.version(),
                Instant.now());
        out.printf(
                Locale.ROOT,
                "matmul FLOPs per block: forward %.2f GFLOP, training step %.2f GFLOP (3x); "
                        + "machine float32 gemm [%d x %d]x[%d x %d]: %.1f GFLOP/s (median)%n",
                fwd,
                3 * fwd,
                (long) o.batch * o.tokens,
                o.embedDim,
                o.embedDim,
                hidden,
                res.gemmGflops);
        out.printf(
                Locale.ROOT,
                "ms: median per step (min); x (b): median over repetitions of time / time of (b) "
                        + "in the same repetition; GFLOP/s: from the median time; of gemm: median of rate / gemm rate of the "
                        + "same repetition%n");
        String fmt = "%-29s %10s %13s %6s %8s %8s %12s %6s %8s %8s  %s%n";
        out.printf(
                Locale.ROOT,
                fmt,
                "variant",
                "params",
                "train ms",
                "x (b)",
                "GFLOP/s",
                "of gemm",
                "infer ms",
                "x (b)",
                "GFLOP/s",
                "of gemm",
                "what it includes");
        for (Row r : res.rows) {
            out.printf(
                    Locale.ROOT,
                    fmt,
                    r.label,
                    String.format(Locale.ROOT, "%,d", r.params),
                    String.format(Locale.ROOT, "%.0f (%.0f)", r.trainMs, r.trainMinMs),
                    String.format(Locale.ROOT, "%.2f", r.trainVsUntied),
                    String.format(Locale.ROOT, "%.1f", 3 * fwd / (r.trainMs / 1e3)),
                    String.format(Locale.ROOT, "%.0f%%", 100 * r.trainOfGemm),
                    String.format(Locale.ROOT, "%.0f (%.0f)", r.inferMs, r.inferMinMs),
                    String.format(Locale.ROOT, "%.2f", r.inferVsUntied),
                    String.format(Locale.ROOT, "%.1f", fwd / (r.inferMs / 1e3)),
                    String.format(Locale.ROOT, "%.0f%%", 100 * r.inferOfGemm),
                    r.contents);
        }
        out.flush();
    }

    // ---- networks ----

    private static NeuralNetConfiguration.Builder base(DataType dt) {
        return new NeuralNetConfiguration.Builder().seed(42).dataType(dt).updater(new Adam(1e-4));
    }

    private static Layer loss() {
        return new RnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                .activation(Activation.IDENTITY)
                .build();
    }

    static MultiLayerNetwork blockNet(Options o, Scheme scheme, Tie tie, DataType dt) {
        return blockNet(o, scheme, tie, Engine.DIRECT, dt);
    }

    static MultiLayerNetwork blockNet(Options o, Scheme scheme, Tie tie, Engine engine, DataType dt) {
        MultiLayerNetwork net = new MultiLayerNetwork(base(dt).list()
                .layer(TransformerBlock.builder(o.embedDim, o.numHeads)
                        .mlpRatio(o.mlpRatio)
                        .scheme(scheme)
                        .tie(tie)
                        .engine(engine)
                        .build())
                .layer(loss())
                .setInputType(InputType.recurrent(o.embedDim, o.tokens))
                .build());
        net.init();
        return net;
    }

    static ComputationGraph composedGraph(Options o, DataType dt) {
        ComputationGraphConfiguration conf = base(dt).graphBuilder()
                .addInputs("in")
                .addLayer("norm1", LayerNorm.builder(o.embedDim).build(), "in")
                .addLayer(
                        "attn",
                        TiedSelfAttention.builder(o.embedDim, o.numHeads).build(),
                        "norm1")
                .addVertex("add1", new ElementWiseVertex(ElementWiseVertex.Op.Add), "in", "attn")
                .addLayer("norm2", LayerNorm.builder(o.embedDim).build(), "add1")
                .addLayer(
                        "mlp",
                        TiedFeedForward.builder(o.embedDim).mlpRatio(o.mlpRatio).build(),
                        "norm2")
                .addVertex("add2", new ElementWiseVertex(ElementWiseVertex.Op.Add), "add1", "mlp")
                .addLayer("out", loss(), "add2")
                .setOutputs("out")
                .setInputTypes(InputType.recurrent(o.embedDim, o.tokens))
                .build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    static ComputationGraph builtInGraph(Options o, DataType dt) {
        long hidden = Math.round(o.mlpRatio * o.embedDim);
        ComputationGraphConfiguration conf = base(dt).graphBuilder()
                .addInputs("in")
                .addLayer(
                        "attn",
                        new SelfAttentionLayer.Builder()
                                .nIn(o.embedDim)
                                .nOut(o.embedDim)
                                .nHeads(o.numHeads)
                                .headSize(o.embedDim / o.numHeads)
                                .projectInput(true)
                                .build(),
                        "in")
                .addVertex("add1", new ElementWiseVertex(ElementWiseVertex.Op.Add), "in", "attn")
                .addLayer(
                        "fc1",
                        new TimeDistributed(
                                new DenseLayer.Builder()
                                        .nIn(o.embedDim)
                                        .nOut(hidden)
                                        .activation(Activation.GELU)
                                        .build(),
                                RNNFormat.NCW),
                        "add1")
                .addLayer(
                        "fc2",
                        new TimeDistributed(
                                new DenseLayer.Builder()
                                        .nIn(hidden)
                                        .nOut(o.embedDim)
                                        .activation(Activation.IDENTITY)
                                        .build(),
                                RNNFormat.NCW),
                        "fc1")
                .addVertex("add2", new ElementWiseVertex(ElementWiseVertex.Op.Add), "add1", "fc2")
                .addLayer("out", loss(), "add2")
                .setOutputs("out")
                .setInputTypes(InputType.recurrent(o.embedDim, o.tokens))
                .build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    // ---- timing ----

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** A network with its data and its timings. */
    private static final class Variant {
        final String label;
        final String contents;
        final long params;
        final Runnable fitStep;
        final java.util.function.Supplier<INDArray> inferStep;
        final List<Double> train = new ArrayList<>();
        final List<Double> inference = new ArrayList<>();

        private Variant(
                String label,
                String contents,
                long params,
                Runnable fitStep,
                java.util.function.Supplier<INDArray> inferStep) {
            this.label = label;
            this.contents = contents;
            this.params = params;
            this.fitStep = fitStep;
            this.inferStep = inferStep;
        }

        static Variant of(String label, String contents, MultiLayerNetwork net, INDArray x, INDArray y) {
            return new Variant(label, contents, net.numParams(), () -> net.fit(x, y), () -> net.output(x));
        }

        static Variant of(String label, String contents, ComputationGraph net, INDArray x, INDArray y) {
            return new Variant(
                    label,
                    contents,
                    net.numParams(),
                    () -> net.fit(new INDArray[] {x}, new INDArray[] {y}),
                    () -> net.outputSingle(x));
        }

        double fit() {
            long t0 = System.nanoTime();
            fitStep.run();
            return (System.nanoTime() - t0) / 1e6;
        }

        double infer() {
            long t0 = System.nanoTime();
            INDArray out = inferStep.get();
            double ms = (System.nanoTime() - t0) / 1e6;
            if (out.isNaN().any()) {
                throw new IllegalStateException(label + ": output has NaN");
            }
            return ms;
        }
    }
}
