package org.dl4jpe.zoo.resnet;

import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.dl4jpe.layers.BatchNorm;
import org.dl4jpe.layers.BiasFreeConvolution;
import org.dl4jpe.layers.HeNormalFanOutInit;
import org.dl4jpe.layers.Regularizations;
import org.dl4jpe.layers.SharedBottleneckStage;
import org.dl4jpe.layers.SharedBottleneckStage.Sharing;
import org.dl4jpe.zoo.InputShape;
import org.dl4jpe.zoo.ModelFamily;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.Variant;
import org.dl4jpe.zoo.VertexNames;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Bottleneck ResNets (torchvision ResNet v1.5 layout, docs/what-it-computes.md) and their parameter-efficient forms:
 * a stem, one
 * {@link SharedBottleneckStage} per stage with the variant's {@link Sharing}, global average pooling, and a linear
 * softmax head. The baselines are this builder with {@link Sharing#NONE}, not DL4J's zoo ResNet50.
 *
 * <p>One BatchNorm everywhere, {@link BatchNorm}'s (PyTorch's formula: momentum 0.1, unbiased running variance,
 * eps 1e-5; running statistics move only when a training step is taken): the stem's is the {@link BatchNorm} layer,
 * the stages' are the same inside {@link SharedBottleneckStage}. The stem convolution is a
 * {@link BiasFreeConvolution} (no bias, padding kernel / 2), which runs on the stages' convolution kernels.
 *
 * <p>Initialization as torchvision's ResNet ({@link #INIT}): every convolution, stem included, He normal with
 * fan-out ({@link HeNormalFanOutInit}); BN γ 1, β 0 (the stages' {@code zeroInitLastBnGamma} off, as torchvision);
 * the head as {@code nn.Linear}: weight and bias uniform in ±1/√fan_in.
 */
public final class ResNetFamily implements ModelFamily<ResNetConfig> {
    public static final ResNetConfig RESNET50 = new ResNetConfig(
            ResNetConfig.Stem.IMAGENET,
            List.of(3, 4, 6, 3),
            List.of(64, 128, 256, 512),
            List.of(1, 2, 2, 2),
            Sharing.NONE);
    public static final ResNetConfig MINI = new ResNetConfig(
            ResNetConfig.Stem.MINI, List.of(3, 4, 3), List.of(16, 32, 64), List.of(1, 2, 2), Sharing.NONE);
    /**
     * The mini ResNet at 0.75 width (m 12, 24, 48), no sharing: about the parameters of the mini ResNet-PE (188,906
     * against 180,266) at the same depth. The shallower variants that come as close, stages (3, 4, 1) or (2, 3, 1),
     * drop most of the last, lowest-resolution stage and so change more than the parameter budget.
     */
    public static final ResNetConfig MINI_NARROW = new ResNetConfig(
            ResNetConfig.Stem.MINI, List.of(3, 4, 3), List.of(12, 24, 48), List.of(1, 2, 2), Sharing.NONE);

    /** The initialization, as {@code pe summary} and the model descriptions state it. */
    public static final String INIT =
            "torchvision init: convolutions He normal fan-out, BN gamma 1 beta 0," + " head U(+-1/sqrt(fan_in))";

    /**
     * The variant table. Each row states its input shape and classes: the ResNet50s take ImageNet's 224×224×3 and
     * 1000 classes, the mini ones Fashion-MNIST's 28×28×1 and 10 classes. Every description ends with the
     * initialization ({@link #INIT}).
     */
    private static final List<Variant<ResNetConfig>> VARIANTS = List.of(
            variant(
                    "resnet50",
                    "ResNet50 (v1.5), 224x224x3, 1000 classes, no sharing",
                    RESNET50,
                    InputShape.IMAGENET,
                    1000),
            variant(
                    "resnet50_pe_tied",
                    "ResNet50-PE, TIED: each block's expand is its reduce transposed",
                    RESNET50.withSharing(Sharing.TIED),
                    InputShape.IMAGENET,
                    1000),
            variant(
                    "resnet50_pe_stage",
                    "ResNet50-PE, STAGE: one 1x1 matrix W (reduce W, expand W^T) per stage",
                    RESNET50.withSharing(Sharing.STAGE),
                    InputShape.IMAGENET,
                    1000),
            variant(
                    "resnet50_pe_stage_first",
                    "ResNet50-PE, STAGE_FIRST: STAGE and the first block's expand too",
                    RESNET50.withSharing(Sharing.STAGE_FIRST),
                    InputShape.IMAGENET,
                    1000),
            variant(
                    "resnet50_pe",
                    "ResNet50-PE: STAGE_FIRST and one 3x3 weight per stage",
                    RESNET50.withSharing(Sharing.STAGE_FIRST_3X3),
                    InputShape.IMAGENET,
                    1000),
            variant(
                    "resnet_mini_28",
                    "mini ResNet for 28x28x1 (stages 3,4,3; m 16,32,64), no sharing",
                    MINI,
                    InputShape.FASHION_MNIST,
                    10),
            variant(
                    "resnet_pe_mini_28",
                    "mini ResNet-PE for 28x28x1, STAGE_FIRST_3X3 sharing",
                    MINI.withSharing(Sharing.STAGE_FIRST_3X3),
                    InputShape.FASHION_MNIST,
                    10),
            variant(
                    "resnet_mini_w075_28",
                    "mini ResNet at 0.75 width (m 12,24,48): the parameters of mini ResNet-PE",
                    MINI_NARROW,
                    InputShape.FASHION_MNIST,
                    10));

    private static Variant<ResNetConfig> variant(
            String name, String description, ResNetConfig config, InputShape input, int numClasses) {
        return Variant.of(name, description + "; " + INIT, config, input, numClasses);
    }

    @Override
    public String name() {
        return "resnet";
    }

    @Override
    public List<Variant<ResNetConfig>> variants() {
        return VARIANTS;
    }

    @Override
    public ComputationGraphConfiguration configure(ResNetConfig c, ModelOptions o) {
        if (c.sharing() == null) {
            throw new IllegalArgumentException("sharing must not be null (one of " + List.of(Sharing.values()) + ")");
        }
        ResNetConfig.Stem stem = c.stem();
        ComputationGraphConfiguration.GraphBuilder g = o.baseConfiguration()
                .graphBuilder()
                .addInputs("input")
                .setInputTypes(InputType.convolutional(o.inputHeight(), o.inputWidth(), o.inputChannels()));
        // padding kernel / 2, no bias, He normal fan-out; run like the stages' convolutions (DL4J's ConvolutionLayer
        // computes it with its legacy im2col, a quarter of a ResNet50 training step)
        g.addLayer(
                "stem_conv",
                BiasFreeConvolution.builder(stem.kernel, stem.width)
                        .stride(stem.stride)
                        .build(),
                "input");
        g.addLayer("stem_bn", BatchNorm.builder().build(), "stem_conv");
        g.addLayer(
                "stem_relu",
                new ActivationLayer.Builder().activation(Activation.RELU).build(),
                "stem_bn");
        String prev = "stem_relu";
        if (stem.maxPool) {
            g.addLayer(
                    "stem_pool",
                    new SubsamplingLayer.Builder(PoolingType.MAX)
                            .kernelSize(3, 3)
                            .stride(2, 2)
                            .padding(1, 1)
                            .build(),
                    prev);
            prev = "stem_pool";
        }
        long channels = stem.width;
        for (int s = 0; s < c.blocks().size(); s++) {
            int m = c.midWidths().get(s);
            String name = VertexNames.of("stage", s + 1);
            g.addLayer(
                    name,
                    SharedBottleneckStage.builder(channels, m, c.blocks().get(s))
                            .stride(c.strides().get(s))
                            .sharing(c.sharing())
                            .build(),
                    prev);
            prev = name;
            channels = 4L * m;
        }
        g.addLayer("avgpool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), prev);
        g.addLayer(
                "head",
                new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nOut(o.numClasses())
                        .activation(Activation.SOFTMAX)
                        .weightInit(WeightInit.UNIFORM) // U(±1/√fan_in), nn.Linear's weight; its bias: build()
                        .build(),
                "avgpool");
        return Regularizations.dedupe(g.setOutputs("head").build()); // DL4J lists a global weightDecay twice
    }

    /** The graph, with the head's bias drawn as {@code nn.Linear}'s: U(±1/√fan_in) (DL4J sets a constant). */
    @Override
    public ComputationGraph build(ResNetConfig config, org.dl4jpe.zoo.ModelOptions options) {
        ComputationGraph net = ModelFamily.super.build(config, options);
        INDArray bias = net.getParam("head_b");
        long fanIn = net.getParam("head_W").size(0);
        double bound = 1.0 / Math.sqrt(fanIn);
        net.setParam(
                "head_b",
                Nd4j.rand(bias.dataType(), bias.shape()).muli(2 * bound).subi(bound));
        return net;
    }
}
