package org.dl4jpe.layers.bench;

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
import org.dl4jpe.layers.SharedBottleneckStage;
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
 * repetitions; the table gives medians and each median's ratio to the built-in stage's.
 *
 * <p>Run: {@code mvn -B -o -q test-compile exec:java -pl dl4j-pe-layers -Dexec.classpathScope=test
 * -Dexec.mainClass=org.dl4jpe.layers.bench.StageBenchmark -Dexec.args="--reps 5"} (the test classpath supplies
 * the ND4J backend). Options: {@code --reps N} (default 5), {@code --warmup N} (2), {@code --batch N} (8),
 * {@code --in C} (512), {@code --mid m} (256), {@code --blocks n} (6), {@code --size HW} (28),
 * {@code --stride s} (2).
 */
public final class StageBenchmark {
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

        /** Options from {@code --name value} pairs; unknown names are an error. */
        public static Options parse(String... args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i += 2) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("option " + args[i] + " has no value");
                }
                int v = Integer.parseInt(args[i + 1]);
                switch (args[i]) {
                    case "--reps" -> o.reps = v;
                    case "--warmup" -> o.warmup = v;
                    case "--batch" -> o.batch = v;
                    case "--in" -> o.inChannels = v;
                    case "--mid" -> o.midChannels = v;
                    case "--blocks" -> o.numBlocks = v;
                    case "--size" -> o.size = v;
                    case "--stride" -> o.stride = v;
                    default -> throw new IllegalArgumentException("unknown option " + args[i]
                            + " (valid: --reps --warmup --batch --in --mid --blocks --size --stride)");
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
        Map<String, ComputationGraph> nets = new LinkedHashMap<>();
        nets.put("built-in NONE", graph(o, null));
        for (Sharing s : Sharing.values()) {
            nets.put(s.name(), graph(o, s));
        }
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.rand(DataType.FLOAT, o.batch, o.inChannels, o.size, o.size);
        INDArray y = Nd4j.rand(DataType.FLOAT, nets.get("built-in NONE").outputSingle(x).shape());

        List<String> names = new ArrayList<>(nets.keySet());
        Map<String, List<Double>> train = new LinkedHashMap<>();
        Map<String, List<Double>> infer = new LinkedHashMap<>();
        for (String n : names) {
            train.put(n, new ArrayList<>());
            infer.put(n, new ArrayList<>());
        }
        for (int r = 0; r < o.warmup + o.reps; r++) {
            for (int k = 0; k < names.size(); k++) {
                String n = names.get((k + r) % names.size());
                ComputationGraph net = nets.get(n);
                long t0 = System.nanoTime();
                net.fit(new INDArray[] {x}, new INDArray[] {y});
                long t1 = System.nanoTime();
                INDArray pred = net.outputSingle(false, x);
                long t2 = System.nanoTime();
                if (pred.isNaN().any()) {
                    throw new IllegalStateException(n + " produced NaN");
                }
                if (r >= o.warmup) {
                    train.get(n).add((t1 - t0) / 1e6);
                    infer.get(n).add((t2 - t1) / 1e6);
                }
            }
        }

        Map<String, double[]> medians = new LinkedHashMap<>();
        for (String n : names) {
            medians.put(n, new double[] {median(train.get(n)), median(infer.get(n))});
        }
        double[] base = medians.get("built-in NONE");
        out.println("Bottleneck stage benchmark: " + o);
        out.println("DL4J " + org.deeplearning4j.nn.conf.NeuralNetConfiguration.class.getPackage()
                .getImplementationVersion() + ", Java " + System.getProperty("java.version") + ", "
                + Runtime.getRuntime().availableProcessors() + " cores, backend "
                + Nd4j.getBackend().getClass().getSimpleName());
        out.printf("%-16s %12s %8s %12s %8s %12s%n", "stage", "train ms", "ratio", "infer ms", "ratio",
                "params");
        for (String n : names) {
            double[] m = medians.get(n);
            out.printf("%-16s %12.1f %8.3f %12.1f %8.3f %,12d%n", n, m[0], m[0] / base[0], m[1], m[1] / base[1],
                    trainableParams(nets.get(n)));
        }
        out.println("(medians of " + o.reps + " interleaved repetitions; ratio = median / built-in NONE median)");
        return medians;
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
    private static ComputationGraph graph(Options o, Sharing sharing) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(1)
                .dataType(DataType.FLOAT).updater(new Sgd(1e-4)).graphBuilder().addInputs("in");
        String out;
        if (sharing == null) {
            out = BuiltInStage.add(g, "", "in", o.inChannels, o.midChannels, o.numBlocks, o.stride,
                    SharedBottleneckStage.DEFAULT_BN_MOMENTUM, SharedBottleneckStage.DEFAULT_BN_EPS);
        } else {
            g.addLayer("stage", SharedBottleneckStage.builder(o.inChannels, o.midChannels, o.numBlocks)
                    .stride(o.stride).sharing(sharing).build(), "in");
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
