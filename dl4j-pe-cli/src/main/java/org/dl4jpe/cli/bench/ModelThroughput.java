package org.dl4jpe.cli.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.ParameterCounts;
import org.dl4jpe.zoo.RegisteredModel;
import org.dl4jpe.zoo.bench.ModelFlops;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.profiler.OpProfiler;

/**
 * Whole-model throughput on random inputs: training (forward, backward, update) and inference images per
 * second at a fixed batch size, after warm-up iterations, from the median time of a step (robust to the odd slow
 * step of a shared machine). Inputs are uniform [0, 1), labels one-hot at random.
 */
public final class ModelThroughput {
    private ModelThroughput() {}

    /**
     * @param model           the model
     * @param trainable       trainable parameters
     * @param batch           batch size
     * @param trainPerSecond  training images per second
     * @param inferPerSecond  inference images per second
     * @param forwardFlops    matrix-product FLOPs of one image's forward pass ({@link ModelFlops})
     * @param memory          memory of the timed training steps
     */
    public record Result(
            String model,
            long trainable,
            int batch,
            double trainPerSecond,
            double inferPerSecond,
            double forwardFlops,
            TrainingMemory memory) {
        /** Achieved training GFLOP/s, a training step counted as 3× the forward FLOPs. */
        public double trainGflops() {
            return 3 * forwardFlops * trainPerSecond / 1e9;
        }

        /** Achieved inference GFLOP/s. */
        public double inferGflops() {
            return forwardFlops * inferPerSecond / 1e9;
        }

        /** Milliseconds of one training step (forward, backward, update) at {@link #batch}. */
        public double trainStepMs() {
            return 1000.0 * batch / trainPerSecond;
        }
    }

    /**
     * With a warm-up at all, it lasts at least this long: the transformer layers' direct engine is Java that the JIT
     * compiles while it runs, and on a busy machine two steps left the first model measured at a third of its
     * speed (measured: 35 vs 99 images/s for the same model first and second in one run).
     */
    static final double MIN_WARMUP_SECONDS = 20.0;

    /**
     * Training and inference images/s: {@code warmup} untimed iterations (if any, then more until
     * {@link #MIN_WARMUP_SECONDS} have passed), then {@code iterations} timed ones.
     */
    public static Result measure(RegisteredModel model, ModelOptions options, int batch, int warmup, int iterations) {
        if (batch <= 0 || warmup < 0 || iterations <= 0) {
            throw new IllegalArgumentException("batch " + batch + " and iterations " + iterations
                    + " must be positive, warmup " + warmup + " >= 0");
        }
        ComputationGraph net = model.create(options);
        DataSet ds = randomBatch(options, batch);
        INDArray x = ds.getFeatures();
        long w0 = System.nanoTime();
        for (int i = 0; i < warmup || (warmup > 0 && seconds(w0) < MIN_WARMUP_SECONDS); i++) {
            net.fit(ds);
        }
        TrainingMemory.Probe memory = TrainingMemory.start();
        long[] steps = new long[iterations];
        for (int i = 0; i < iterations; i++) {
            long t0 = System.nanoTime();
            net.fit(ds);
            steps[i] = System.nanoTime() - t0;
        }
        double train = batch / (median(steps) / 1e9);
        TrainingMemory trainingMemory = memory.finish(net);
        w0 = System.nanoTime();
        for (int i = 0; i < warmup || (warmup > 0 && seconds(w0) < MIN_WARMUP_SECONDS / 4); i++) {
            net.outputSingle(false, x);
        }
        for (int i = 0; i < iterations; i++) {
            long t0 = System.nanoTime();
            net.outputSingle(false, x);
            steps[i] = System.nanoTime() - t0;
        }
        double infer = batch / (median(steps) / 1e9);
        double flops = ModelFlops.forward(
                net.getConfiguration(),
                InputType.convolutional(options.inputHeight(), options.inputWidth(), options.inputChannels()));
        return new Result(model.name(), ParameterCounts.trainable(net), batch, train, infer, flops, trainingMemory);
    }

    /** The median of {@code nanos} (the mean of the middle two for an even count). */
    static double median(long[] nanos) {
        long[] v = nanos.clone();
        java.util.Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
    }

    /**
     * Where a training step's time goes, by ND4J op.
     *
     * @param stepMs   wall milliseconds per step while profiling; the profiler's own cost is in it (it doubled the
     *                 micro ViT's step), so shares are approximate
     * @param opMs     milliseconds per step inside ND4J ops; the rest is Java (DL4J, SameDiff's per-op dispatch)
     * @param ops      op name to milliseconds per step, largest first
     */
    public record OpProfile(String model, int batch, double stepMs, double opMs, Map<String, Double> ops) {}

    /** Runs {@code iterations} training steps under ND4J's {@link OpProfiler} (after {@code warmup} unprofiled). */
    public static OpProfile profileTraining(
            RegisteredModel model, ModelOptions options, int batch, int warmup, int iterations) {
        ComputationGraph net = model.create(options);
        DataSet ds = randomBatch(options, batch);
        for (int i = 0; i < warmup; i++) {
            net.fit(ds);
        }
        OpExecutioner ex = Nd4j.getExecutioner();
        OpExecutioner.ProfilingMode before = ex.getProfilingMode();
        OpProfiler profiler = OpProfiler.getInstance();
        String text;
        long t0;
        long t1;
        try {
            ex.setProfilingMode(OpExecutioner.ProfilingMode.OPERATIONS);
            profiler.reset();
            t0 = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
                net.fit(ds);
            }
            t1 = System.nanoTime();
            text = profiler.getLongAggergator().asPercentageString();
        } finally {
            ex.setProfilingMode(before);
            profiler.reset();
        }
        Map<String, Double> ops = new LinkedHashMap<>();
        Matcher m = OP_LINE.matcher(text);
        while (m.find()) {
            ops.merge(m.group(1), Double.parseDouble(m.group(2)) / iterations, Double::sum);
        }
        Map<String, Double> sorted = new LinkedHashMap<>();
        ops.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        double opMs = sorted.values().stream().mapToDouble(Double::doubleValue).sum();
        return new OpProfile(model.name(), batch, (t1 - t0) / 1e6 / iterations, opMs, sorted);
    }

    /** A line of {@link org.nd4j.linalg.profiler.data.StringAggregator#asPercentageString}: kind, name, ms. */
    private static final Pattern OP_LINE = Pattern.compile("^\\w+ (\\S+).*Time spent: (\\d+) ms", Pattern.MULTILINE);

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static DataSet randomBatch(ModelOptions options, int batch) {
        Nd4j.getRandom().setSeed(options.seed());
        INDArray x = Nd4j.rand(
                options.dataType(), batch, options.inputChannels(), options.inputHeight(), options.inputWidth());
        INDArray y = Nd4j.zeros(options.dataType(), batch, options.numClasses());
        java.util.Random r = new java.util.Random(options.seed());
        for (int i = 0; i < batch; i++) {
            y.putScalar(i, r.nextInt(options.numClasses()), 1.0);
        }
        return new DataSet(x, y);
    }
}
