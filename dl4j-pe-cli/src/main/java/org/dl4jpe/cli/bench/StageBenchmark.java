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
 * <p>Run (the backend comes from the test class path):
 * <pre>
 * mvn -o -q -pl dl4j-pe-layers test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java \
 *     -Dexec.mainClass=org.dl4jpe.cli.bench.StageBenchmark -Dexec.classpathScope=test -Dexec.args="--reps 5"
 * </pre>
 * Options: {@code --reps N} (default 5), {@code --warmup N} (2), {@code --batch N} (8), {@code --in C} (512),
 * {@code --mid m} (256), {@code --blocks n} (6), {@code --size HW} (28), {@code --stride s} (2),
 * {@code --threads N} (ND4J threads; default: ND4J's), {@code --samediff 1} (also time NONE on
 * {@code Engine.SAMEDIFF}; default 0). A quick run,
 * {@code --reps 1 --warmup 1}, takes one to three minutes on two shared cores.
 */
public final class StageBenchmark {
    private static final String BUILT_IN = "built-in NONE";
    private StageBenchmark() {
    }

    /** Benchmark options; {@link #parse} reads them from command-line arguments. */
    public static final class Options {
        public int reps = 5;
        public int warmup = 2;
        public int batch = 8;
        public long inChannels = 512;
        public long midChannels = 256;
        public int numBlocks = 6;
        public int size = 28;
        public int stride = 2;
        /** Also time NONE with {@code Engine.SAMEDIFF} (slow; shows what the direct engine saves). */
        public boolean sameDiff;
        /** ND4J threads; 0 keeps ND4J's default. */
        public int threads;

        /** Options from {@code --name value} pairs; unknown names are an error. */
        public static Options parse(String... args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i += 2) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("option " + args[i] + " has no value");
                }
                int v = Integer.parseInt(args[i + 1]);
                if (args[i].equals("--samediff")) {
                    o.sameDiff = v != 0;
                    continue;
                }
                switch (args[i]) {
                    case "--reps" -> o.reps = v;
                    case "--warmup" -> o.warmup = v;
                    case "--batch" -> o.batch = v;
                    case "--in" -> o.inChannels = v;
                    case "--mid" -> o.midChannels = v;
                    case "--blocks" -> o.numBlocks = v;
                    case "--size" -> o.size = v;
                    case "--stride" -> o.stride = v;
                    case "--threads" -> o.threads = v;
                    default -> throw new IllegalArgumentException("unknown option " + args[i]
                            + " (valid: --reps --warmup --batch --in --mid --blocks --size --stride --threads --samediff)");
                }
            }
            if (o.reps < 1 || o.warmup < 0) {
                throw new IllegalArgumentException("--reps must be ≥ 1 and --warmup ≥ 0");
            }
            return o;
        }

        @Override
        public String toString() {
            return "batch " + batch + ", input " + inChannels + "×" + size + "×" + size + ", m " + midChannels
                    + ", blocks " + numBlocks + ", stride " + stride + ", reps " + reps + " (+" + warmup
                    + " warm-up), float";
        }
    }

    public static void main(String[] args) {
        run(System.out, Options.parse(args));
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
        INDArray y = Nd4j.rand(DataType.FLOAT, nets.get(BUILT_IN).outputSingle(x).shape());

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
                + (o.threads > 0 ? o.threads : "default") + ", backend " + Nd4j.getBackend().getClass().getSimpleName());
        out.printf("%-16s %10s %6s %10s %6s   %10s %6s %10s %6s %12s%n", "stage", "train ms", "ratio", "train cpu",
                "ratio", "infer ms", "ratio", "infer cpu", "ratio", "params");
        for (String n : names) {
            double[] m = medians.get(n);
            out.printf("%-16s %10.1f %6.3f %10.1f %6.3f   %10.1f %6.3f %10.1f %6.3f %,12d%n", n, m[0], m[0] / base[0],
                    m[1], m[1] / base[1], m[2], m[2] / base[2], m[3], m[3] / base[3], trainableParams(nets.get(n)));
        }
        out.println("medians of " + o.reps + " interleaved repetitions: wall-clock ms and process CPU ms; ratio to"
                + " built-in NONE; params: trainable");
        return medians;
    }

    /** CPU time of this process (all threads), or -1 where the JVM does not report it. */
    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
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
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(1)
                .dataType(DataType.FLOAT).updater(new Sgd(1e-4)).graphBuilder().addInputs("in");
        String out;
        if (sharing == null) {
            out = BuiltInStage.add(g, "", "in", o.inChannels, o.midChannels, o.numBlocks, o.stride,
                    SharedBottleneckStage.DEFAULT_BN_MOMENTUM, SharedBottleneckStage.DEFAULT_BN_EPS);
        } else {
            g.addLayer("stage", SharedBottleneckStage.builder(o.inChannels, o.midChannels, o.numBlocks)
                    .stride(o.stride).sharing(sharing).engine(engine).build(), "in");
            out = "stage";
        }
        g.addLayer("loss", new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                .build(), out).setOutputs("loss").setInputTypes(InputType.convolutional(o.size, o.size,
                o.inChannels));
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }
}
