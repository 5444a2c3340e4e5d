package org.dl4jpe.zoo.bench;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.ParameterCounts;
import org.dl4jpe.zoo.RegisteredModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Whole-model throughput on random inputs: training (forward, backward, update) and inference images per
 * second at a fixed batch size, after warm-up iterations. Inputs are uniform [0, 1), labels one-hot at random.
 */
public final class ModelThroughput {
    private ModelThroughput() {
    }

    /**
     * @param model           the model
     * @param trainable       trainable parameters
     * @param batch           batch size
     * @param trainPerSecond  training images per second
     * @param inferPerSecond  inference images per second
     * @param forwardFlops    matrix-product FLOPs of one image's forward pass ({@link ModelFlops})
     */
    public record Result(String model, long trainable, int batch, double trainPerSecond, double inferPerSecond,
                         double forwardFlops) {
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

    public static Result measure(RegisteredModel model, ModelOptions options, int batch, int warmup, int iterations) {
        if (batch <= 0 || warmup < 0 || iterations <= 0) {
            throw new IllegalArgumentException("batch " + batch + " and iterations " + iterations
                    + " must be positive, warmup " + warmup + " >= 0");
        }
        ComputationGraph net = model.create(options);
        Nd4j.getRandom().setSeed(options.seed());
        INDArray x = Nd4j.rand(options.dataType(), batch, options.inputChannels(), options.inputHeight(),
                options.inputWidth());
        INDArray y = Nd4j.zeros(options.dataType(), batch, options.numClasses());
        java.util.Random r = new java.util.Random(options.seed());
        for (int i = 0; i < batch; i++) {
            y.putScalar(i, r.nextInt(options.numClasses()), 1.0);
        }
        DataSet ds = new DataSet(x, y);
        for (int i = 0; i < warmup; i++) {
            net.fit(ds);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            net.fit(ds);
        }
        double train = batch * (double) iterations / ((System.nanoTime() - t0) / 1e9);
        for (int i = 0; i < warmup; i++) {
            net.outputSingle(false, x);
        }
        t0 = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            net.outputSingle(false, x);
        }
        double infer = batch * (double) iterations / ((System.nanoTime() - t0) / 1e9);
        double flops = ModelFlops.forward(net.getConfiguration(), InputType.convolutional(options.inputHeight(),
                options.inputWidth(), options.inputChannels()));
        return new Result(model.name(), ParameterCounts.trainable(net), batch, train, infer, flops);
    }
}
