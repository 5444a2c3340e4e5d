package org.dl4jpe.cli.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.zoo.RegisteredModel;
import org.dl4jpe.zoo.Zoo;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * The main thread's CPU time per training step and per inference batch of a zoo model on random inputs: with one
 * native thread ({@code OMP_NUM_THREADS=1}) ND4J's ops run on the calling thread, so this measures the work itself,
 * which the load of a shared machine disturbs much less than wall time. Used to choose the nd4j-native build
 * (README, "Backend"):
 *
 * <pre>
 * OMP_NUM_THREADS=1 java -Dorg.bytedeco.javacpp.platform.extension=-onednn-avx512 \
 *   -cp dl4j-pe-cli/target/dl4j-pe-cli-0.1.0-SNAPSHOT.jar:$(cat dl4j-pe-cli/target/runtime-classpath.txt) \
 *   org.dl4jpe.cli.bench.StepCpuTime resnet_pe_mini_28 64 3
 * </pre>
 * Arguments: model, batch, steps (after one untimed step). Prints one line on stdout.
 */
@Command(
        name = "StepCpuTime",
        usageHelpAutoWidth = true,
        mixinStandardHelpOptions = true,
        description = "CPU time of the main thread per training step and per inference batch of a zoo model.")
public final class StepCpuTime {
    @Parameters(index = "0", paramLabel = "MODEL", description = "A registered model (pe models lists them).")
    String model;

    @Parameters(index = "1", paramLabel = "BATCH", description = "Examples per step.")
    int batch;

    @Parameters(index = "2", paramLabel = "STEPS", description = "Timed steps, after one untimed step.")
    int steps;

    private StepCpuTime() {}

    public static void main(String[] args) {
        BenchArgs.parseOrExit(new StepCpuTime(), args).run();
    }

    private void run() {
        RegisteredModel m = Zoo.get(model);
        var o = m.defaultOptions();
        ComputationGraph net = m.create();
        INDArray x = Nd4j.rand(DataType.FLOAT, batch, o.inputChannels(), o.inputHeight(), o.inputWidth());
        INDArray y = Nd4j.zeros(DataType.FLOAT, batch, o.numClasses());
        for (int i = 0; i < batch; i++) {
            y.putScalar(i, i % o.numClasses(), 1.0);
        }
        DataSet d = new DataSet(x, y);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        net.fit(d);
        net.output(x);
        long c0 = threads.getCurrentThreadCpuTime();
        long w0 = System.nanoTime();
        for (int s = 0; s < steps; s++) {
            net.fit(d);
        }
        long c1 = threads.getCurrentThreadCpuTime();
        long w1 = System.nanoTime();
        for (int s = 0; s < steps; s++) {
            net.output(x);
        }
        long c2 = threads.getCurrentThreadCpuTime();
        long w2 = System.nanoTime();
        System.out.printf(
                "%s batch %d: training %.0f ms CPU per step (wall %.0f), inference %.0f ms CPU per batch"
                        + " (wall %.0f); conv kernel %s%n",
                m.name(),
                batch,
                (c1 - c0) / 1e6 / steps,
                (w1 - w0) / 1e6 / steps,
                (c2 - c1) / 1e6 / steps,
                (w2 - w1) / 1e6 / steps,
                System.getProperty("org.dl4jpe.conv", "auto"));
    }
}
