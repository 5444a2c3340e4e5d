package org.dl4jpe.cli.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.layers.BuiltInStage;
import org.dl4jpe.layers.SharedBottleneckStage;
import org.dl4jpe.layers.SharedBottleneckStage.Engine;
import org.dl4jpe.layers.SharedBottleneckStage.Sharing;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Times one bottleneck stage at every {@link Sharing} level against the same stage built from DL4J's own layers
 * ({@link BuiltInStage}), in one run, as ratios to the built-in stage.
 *
 * <p>Default: ResNet50's stage 3 (input 512 × 28 × 28, m 256, 6 blocks, stride 2, output 1024 × 14 × 14), batch
 * 8, float. Each network is a {@code ComputationGraph} input → stage → MSE {@code CnnLossLayer}; a training step is
 * one {@code fit} (forward, backward, SGD update), inference is one {@code output}. Repetitions are interleaved
 * (each repetition runs every network once, in an order rotated from the previous repetition) after warm-up
 * repetitions. The table gives, per network, the median wall-clock time and the median CPU time of the process, each
 * with its ratio to the built-in stage's. On a small machine shared with other work the wall-clock time is noisy;
 * with {@code --threads 1} the CPU time measures the work itself and is the steadier comparison.
 *
 * <p>Run ({@code pe bench --only layers} runs it too), after one {@code ./pe} run has built the application:
 * <pre>
 * java -cp dl4j-pe-cli/target/dl4j-pe-cli-0.1.0-SNAPSHOT.jar:$(cat dl4j-pe-cli/target/runtime-classpath.txt) \
 *     org.dl4jpe.cli.bench.StageBenchmark --reps 5
 * </pre>
 * Options ({@code --help} lists them): {@code --reps N} (default 5), {@code --warmup N} (2), {@code --batch N} (8), {@code --in C} (512),
 * {@code --mid m} (256), {@code --blocks n} (6), {@code --size HW} (28), {@code --stride s} (2),
 * {@code --threads N} (ND4J threads; default: ND4J's), {@code --samediff 1} (also time NONE on
 * {@code Engine.SAMEDIFF}; default 0). A quick run,
 * {@code --reps 1 --warmup 1}, takes one to three minutes on two shared cores.
 */
public final class StageBenchmark {
    private static final String BUILT_IN = "built-in NONE";

    private StageBenchmark() {}

    /** Benchmark options, and the command line of {@link #main} ({@link #parse}). */
    @Command(
            name = "StageBenchmark",
            usageHelpAutoWidth = true,
            mixinStandardHelpOptions = true,
            description = "Times one bottleneck stage at every sharing level against the same stage of DL4J's"
                    + " own layers.")
    public static final class Options {
        @Option(names = "--reps", paramLabel = "N", description = "Timed repetitions (default: 5).")
        public int reps = 5;

        @Option(names = "--warmup", paramLabel = "N", description = "Untimed repetitions first (default: 2).")
        public int warmup = 2;

        @Option(names = "--batch", paramLabel = "N", description = "Examples per step (default: 8).")
        public int batch = 8;

        @Option(names = "--in", paramLabel = "C", description = "Input channels (default: 512).")
        public long inChannels = 512;

        @Option(names = "--mid", paramLabel = "M", description = "Bottleneck width m (default: 256).")
        public long midChannels = 256;

        @Option(names = "--blocks", paramLabel = "N", description = "Blocks (default: 6).")
        public int numBlocks = 6;

        @Option(names = "--size", paramLabel = "HW", description = "Input height and width (default: 28).")
        public int size = 28;

        @Option(names = "--stride", paramLabel = "S", description = "Stride of the first block (default: 2).")
        public int stride = 2;
        /** Also time NONE with {@code Engine.SAMEDIFF} (slow; shows what the direct engine saves). */
        public boolean sameDiff;
        /** ND4J threads; 0 keeps ND4J's default. */
        @Option(names = "--threads", paramLabel = "N", description = "ND4J threads (default: ND4J's).")
        public int threads;

        /** Options from command-line arguments ({@code --reps 3 --warmup 1} ...); unknown names are an error. */
        public static Options parse(String... args) {
            Options o = CommandLine.populateCommand(new Options(), args);
            o.check();
            return o;
        }

        void check() {
            if (reps < 1 || warmup < 0) {
                throw new IllegalArgumentException("--reps must be ≥ 1 and --warmup ≥ 0");
            }
        }

        @Option(
                names = "--samediff",
                paramLabel = "0|1",
                description = "1: also time NONE on the SameDiff engine" + " (default: 0).")
        void sameDiff(String value) {
            sameDiff = switch (value) {
                case "1" -> true;
                case "0" -> false;
                default -> throw new CommandLine.TypeConversionException("'" + value + "' is not 0 or 1");
            };
        }

        @Override
        public String toString() {
            return "batch " + batch + ", input " + inChannels + "×" + size + "×" + size + ", m " + midChannels
                    + ", blocks " + numBlocks + ", stride " + stride + ", reps " + reps + " (+" + warmup
                    + " warm-up), float";
        }
    }

    public static void main(String[] args) {
        Options o = BenchArgs.parseOrExit(new Options(), args);
        o.check();
        run(System.out, o);
    }

    /** Runs the benchmark and prints the table to {@code out}; returns median times in ms, per network. */
    public static Map<String, double[]> run(PrintStream out, Options o) {
        if (o.threads > 0) {
            Nd4j.getEnvironment().setMaxThreads(o.threads);
            Nd4j.getEnvironment().setMaxMasterThreads(o.threads);
            Nd4j.factory().blas().setMaxThreads(o.threads);
        }
        Map<String, ComputationGraph> nets = new LinkedHashMap<>();
        nets.put(BUILT_IN, graph(o, null, null));
        for (Sharing s : Sharing.values()) {
            nets.put(s.name(), graph(o, s, Engine.DIRECT));
        }
        if (o.sameDiff) {
            nets.put("NONE (SameDiff)", graph(o, Sharing.NONE, Engine.SAMEDIFF));
        }
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.rand(DataType.FLOAT, o.batch, o.inChannels, o.size, o.size);
        INDArray y =
                Nd4j.rand(DataType.FLOAT, nets.get(BUILT_IN).outputSingle(x).shape());

        List<String> names = new ArrayList<>(nets.keySet());
        // per network: wall and CPU time of training steps and of inference, in ms
        Map<String, List<List<Double>>> times = new LinkedHashMap<>();
        for (String n : names) {
            times.put(n, List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>()));
        }
        for (int r = 0; r < o.warmup + o.reps; r++) {
            for (int k = 0; k < names.size(); k++) {
                String n = names.get((k + r) % names.size());
                ComputationGraph net = nets.get(n);
                long w0 = System.nanoTime();
                long c0 = processCpuNanos();
                net.fit(new INDArray[] {x}, new INDArray[] {y});
                long w1 = System.nanoTime();
                long c1 = processCpuNanos();
                INDArray pred = net.outputSingle(false, x);
                long w2 = System.nanoTime();
                long c2 = processCpuNanos();
                if (pred.isNaN().any()) {
                    throw new IllegalStateException(n + " produced NaN");
                }
                if (r >= o.warmup) {
                    List<List<Double>> t = times.get(n);
                    t.get(0).add((w1 - w0) / 1e6);
                    t.get(1).add((c1 - c0) / 1e6);
                    t.get(2).add((w2 - w1) / 1e6);
                    t.get(3).add((c2 - c1) / 1e6);
                }
            }
        }

        Map<String, double[]> medians = new LinkedHashMap<>();
        for (String n : names) {
            double[] m = new double[4];
            for (int i = 0; i < 4; i++) {
                m[i] = median(times.get(n).get(i));
            }
            medians.put(n, m);
        }
        double[] base = medians.get(BUILT_IN);
        out.println("Bottleneck stage benchmark: " + o);
        out.println("DL4J " + dl4jVersion() + ", Java " + System.getProperty("java.version") + ", "
                + Runtime.getRuntime().availableProcessors() + " cores, ND4J threads "
                + (o.threads > 0 ? o.threads : "default") + ", backend "
                + Nd4j.getBackend().getClass().getSimpleName());
        out.printf(
                "%-16s %10s %6s %10s %6s   %10s %6s %10s %6s %12s%n",
                "stage",
                "train ms",
                "ratio",
                "train cpu",
                "ratio",
                "infer ms",
                "ratio",
                "infer cpu",
                "ratio",
                "params");
        for (String n : names) {
            double[] m = medians.get(n);
            out.printf(
                    "%-16s %10.1f %6.3f %10.1f %6.3f   %10.1f %6.3f %10.1f %6.3f %,12d%n",
                    n,
                    m[0],
                    m[0] / base[0],
                    m[1],
                    m[1] / base[1],
                    m[2],
                    m[2] / base[2],
                    m[3],
                    m[3] / base[3],
                    trainableParams(nets.get(n)));
        }
        out.println("medians of " + o.reps + " interleaved repetitions: wall-clock ms and process CPU ms; ratio to"
                + " built-in NONE; params: trainable");
        return medians;
    }

    /** CPU time of this process (all threads), or -1 where the JVM does not report it. */
    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os =
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    private static String dl4jVersion() {
        try (java.io.InputStream in = NeuralNetConfiguration.class.getResourceAsStream(
                "/META-INF/maven/org.deeplearning4j/deeplearning4j-nn/pom.properties")) {
            java.util.Properties p = new java.util.Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "(unknown version)");
        } catch (java.io.IOException e) {
            return "(unknown version)";
        }
    }

    private static long trainableParams(ComputationGraph net) {
        long n = 0;
        for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
            if (l.conf().getLayer() instanceof SharedBottleneckStage s) {
                n += s.numTrainableParams();
            } else if (l.conf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.BatchNormalization) {
                n += l.numParams() / 2; // gamma and beta; mean and var are running statistics
            } else {
                n += l.numParams();
            }
        }
        return n;
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** input → stage → MSE loss; the built-in stage if {@code sharing} is null. */
    private static ComputationGraph graph(Options o, Sharing sharing, Engine engine) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(1)
                .dataType(DataType.FLOAT)
                .updater(new Sgd(1e-4))
                .graphBuilder()
                .addInputs("in");
        String out;
        if (sharing == null) {
            out = BuiltInStage.add(
                    g,
                    "",
                    "in",
                    o.inChannels,
                    o.midChannels,
                    o.numBlocks,
                    o.stride,
                    SharedBottleneckStage.DEFAULT_BN_MOMENTUM,
                    SharedBottleneckStage.DEFAULT_BN_EPS);
        } else {
            g.addLayer(
                    "stage",
                    SharedBottleneckStage.builder(o.inChannels, o.midChannels, o.numBlocks)
                            .stride(o.stride)
                            .sharing(sharing)
                            .engine(engine)
                            .build(),
                    "in");
            out = "stage";
        }
        g.addLayer(
                        "loss",
                        new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                                .activation(Activation.IDENTITY)
                                .build(),
                        out)
                .setOutputs("loss")
                .setInputTypes(InputType.convolutional(o.size, o.size, o.inChannels));
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }
}
