package org.dl4jpe.zoo;

import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A test-only family of tiny CNNs of DL4J's built-in layers, so that the registry, trainer and command line can be
 * tested before the real families exist: conv 3×3/2 (width) + ReLU, conv 3×3/2 (2·width) + ReLU, global average
 * pool, softmax head; {@code dropout} (retain 1 - dropout) on the second conv's input. Registered through {@code src/test/resources/META-INF/services}.
 */
public final class TinyCnnFamily implements ModelFamily<TinyCnnFamily.Config> {

    /** A variant: the first conv's width. */
    public record Config(int width) {}

    public static final Config TINY = new Config(8);
    public static final Config WIDE = new Config(16);
    public static final Config NARROW = new Config(4);

    /** Exact trainable parameters at 28×28×1 and 10 classes, computed by hand. */
    public static long expectedParameters(int width) {
        long conv1 = 9L * width + width;
        long conv2 = 9L * width * 2 * width + 2 * width;
        long head = 2L * width * 10 + 10;
        return conv1 + conv2 + head;
    }

    @Override
    public String name() {
        return "tinycnn";
    }

    /** The recipe every tiny CNN trains with: 28×28×1, 10 classes, learning rate 3e-3, no weight decay. */
    public static final ModelOptions DEFAULTS = ModelOptions.DEFAULTS
            .withNumClasses(10)
            .withInput(InputShape.FASHION_MNIST)
            .withLearningRate(3e-3)
            .withWeightDecay(0);

    /** A variant of this family with the tiny CNNs' recipe. */
    public static Variant<Config> variant(String name, String description, Config config) {
        return new Variant<>(name, description, config, DEFAULTS);
    }

    @Override
    public List<Variant<Config>> variants() {
        return List.of(
                variant("tiny_cnn_28", "test-only tiny CNN, 28x28x1, width 8", TINY),
                variant("tiny_cnn_wide_28", "test-only tiny CNN, 28x28x1, width 16", WIDE),
                variant("tiny_cnn_narrow_28", "test-only tiny CNN, 28x28x1, width 4", NARROW));
    }

    @Override
    public ComputationGraphConfiguration configure(Config c, ModelOptions o) {
        if (c.width() <= 0) {
            throw new IllegalArgumentException("width " + c.width() + " must be positive");
        }
        return o.baseConfiguration()
                .weightInit(WeightInit.RELU)
                .graphBuilder()
                .addInputs("input")
                .setInputTypes(InputType.convolutional(o.inputHeight(), o.inputWidth(), o.inputChannels()))
                .addLayer(
                        "conv1",
                        new ConvolutionLayer.Builder(3, 3)
                                .stride(2, 2)
                                .nOut(c.width())
                                .activation(Activation.RELU)
                                .build(),
                        "input")
                .addLayer(
                        "conv2",
                        new ConvolutionLayer.Builder(3, 3)
                                .stride(2, 2)
                                .nOut(2 * c.width())
                                .dropOut(
                                        o.dropout() > 0
                                                ? new org.deeplearning4j.nn.conf.dropout.Dropout(1 - o.dropout())
                                                : null)
                                .activation(Activation.RELU)
                                .build(),
                        "conv1")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv2")
                .addLayer(
                        "head",
                        new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                                .nOut(o.numClasses())
                                .activation(Activation.SOFTMAX)
                                .build(),
                        "pool")
                .setOutputs("head")
                .build();
    }
}
