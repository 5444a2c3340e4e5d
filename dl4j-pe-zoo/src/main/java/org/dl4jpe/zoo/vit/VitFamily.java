package org.dl4jpe.zoo.vit;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.dl4jpe.layers.ClassTokenPool;
import org.dl4jpe.layers.LayerNorm;
import org.dl4jpe.layers.PatchEmbedding;
import org.dl4jpe.layers.Regularizations;
import org.dl4jpe.layers.TransformerBlock;
import org.dl4jpe.layers.TruncatedNormalInit;
import org.dl4jpe.layers.samediff.PeSameDiffLayer;
import org.dl4jpe.zoo.InputShape;
import org.dl4jpe.zoo.ModelFamily;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.Variant;
import org.dl4jpe.zoo.VertexNames;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Vision transformers (DeiT / timm layout, docs/what-it-computes.md) and their parameter-efficient forms: conv patch
 * embedding with
 * class token and learned positions, {@code depth} pre-norm {@link TransformerBlock}s, a final {@link LayerNorm}
 * (eps 1e-6), and a linear softmax head on the class token. Weights, class token and positions are initialised
 * from a truncated normal with std 0.02, biases at zero, LayerNorm at γ = 1, β = 0.
 *
 * <p>Options: {@code dropout} is timm's {@code drop_rate} (after the attention projection and in the MLP);
 * {@code dropPath} is the stochastic-depth rate of the last block, rising linearly from 0 at the first.
 */
public final class VitFamily implements ModelFamily<VitConfig> {
    public static final VitConfig SMALL = VitConfig.of(16, 384, 12, 6);
    public static final VitConfig TINY = VitConfig.of(16, 192, 12, 3);
    public static final VitConfig MICRO = VitConfig.of(4, 64, 6, 4);
    /**
     * The untied micro ViT at half the depth: the parameters of the tied six-block ViT-PE micro (155,082 against
     * 157,578), the same width and heads, so a comparison asks whether six tied blocks beat three untied ones.
     */
    public static final VitConfig MICRO_HALF_DEPTH = VitConfig.of(4, 64, 3, 4);

    /**
     * The variant table. Each row states its input shape and classes: the full-size variants take ImageNet's
     * 224×224×3 and 1000 classes, the micro ones Fashion-MNIST's 28×28×1 and 10 classes.
     */
    private static final List<Variant<VitConfig>> VARIANTS = List.of(
            Variant.of(
                    "vit_small_patch16_224",
                    "ViT-S/16 (DeiT-S), 224x224x3, 1000 classes, untied baseline",
                    SMALL,
                    InputShape.IMAGENET,
                    1000),
            Variant.of(
                    "vit_pe_small_patch16_224",
                    "ViT-PE-S/16: QO_KV-tied attention, transpose-tied MLP",
                    SMALL.tied(),
                    InputShape.IMAGENET,
                    1000),
            Variant.of(
                    "vit_tiny_patch16_224",
                    "ViT-Ti/16 (DeiT-Ti), 224x224x3, 1000 classes, untied baseline",
                    TINY,
                    InputShape.IMAGENET,
                    1000),
            Variant.of(
                    "vit_pe_tiny_patch16_224",
                    "ViT-PE-Ti/16: QO_KV-tied attention, transpose-tied MLP",
                    TINY.tied(),
                    InputShape.IMAGENET,
                    1000),
            Variant.of(
                    "vit_micro_patch4_28",
                    "ViT micro for 28x28x1 (D 64, depth 6, 4 heads), untied baseline",
                    MICRO,
                    InputShape.FASHION_MNIST,
                    10),
            Variant.of(
                    "vit_pe_micro_patch4_28",
                    "ViT-PE micro for 28x28x1: QO_KV-tied attention, tied MLP",
                    MICRO.tied(),
                    InputShape.FASHION_MNIST,
                    10),
            Variant.of(
                    "vit_micro_d3_patch4_28",
                    "ViT micro, depth 3: untied, the parameter count of ViT-PE micro",
                    MICRO_HALF_DEPTH,
                    InputShape.FASHION_MNIST,
                    10));

    @Override
    public String name() {
        return "vit";
    }

    @Override
    public List<Variant<VitConfig>> variants() {
        return VARIANTS;
    }

    @Override
    public ComputationGraphConfiguration configure(VitConfig c, ModelOptions o) {
        validate(c, o);
        IWeightInit init = TruncatedNormalInit.of(PatchEmbedding.INIT_STD);
        ComputationGraphConfiguration.GraphBuilder g = o.baseConfiguration()
                .graphBuilder()
                .addInputs("input")
                .setInputTypes(InputType.convolutional(o.inputHeight(), o.inputWidth(), o.inputChannels()));
        g.addLayer(
                "patch_embed",
                PatchEmbedding.builder(o.inputHeight(), o.inputWidth(), o.inputChannels(), c.patchSize(), c.embedDim())
                        .weightInit(init)
                        .build(),
                "input");
        String prev = "patch_embed";
        for (int i = 0; i < c.depth(); i++) {
            double dropPath = c.depth() > 1 ? o.dropPath() * i / (c.depth() - 1) : o.dropPath();
            TransformerBlock block = TransformerBlock.builder(c.embedDim(), c.numHeads())
                    .mlpRatio(c.mlpRatio())
                    .scheme(c.attention())
                    .tie(c.mlpTie())
                    .projDropout(o.dropout())
                    .mlpDropout(o.dropout())
                    .dropPath(dropPath)
                    .build();
            String name = VertexNames.of("blocks", i + 1);
            g.addLayer(name, withWeightInit(block, init), prev);
            prev = name;
        }
        g.addLayer(
                "norm",
                LayerNorm.builder(c.embedDim()).eps(LayerNorm.DEFAULT_EPS).build(),
                prev);
        g.addLayer("pool", ClassTokenPool.builder().build(), "norm");
        g.addLayer(
                "head",
                new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nOut(o.numClasses())
                        .activation(Activation.SOFTMAX)
                        .weightInit(init)
                        .biasInit(0)
                        .build(),
                "pool");
        return Regularizations.dedupe(g.setOutputs("head").build()); // DL4J lists a global weightDecay twice
    }

    /** Sets {@code init} for every weight parameter of {@code layer} (its biases and norms keep their own init). */
    static <L extends PeSameDiffLayer> L withWeightInit(L layer, IWeightInit init) {
        Map<String, IWeightInit> byParam = new HashMap<>();
        for (String p : layer.getLayerParams().getWeightParameterKeys()) {
            byParam.put(p, init);
        }
        layer.setParamWeightInit(byParam);
        return layer;
    }

    private static void validate(VitConfig c, ModelOptions o) {
        positive("patchSize", c.patchSize());
        positive("embedDim", c.embedDim());
        positive("depth", c.depth());
        positive("numHeads", c.numHeads());
        if (c.embedDim() % c.numHeads() != 0) {
            throw new IllegalArgumentException(
                    "numHeads " + c.numHeads() + " does not divide embedDim " + c.embedDim());
        }
        if (o.inputHeight() % c.patchSize() != 0 || o.inputWidth() % c.patchSize() != 0) {
            throw new IllegalArgumentException("patchSize " + c.patchSize() + " does not divide the input size "
                    + o.inputHeight() + "x" + o.inputWidth() + " (use an input size that is a multiple of it)");
        }
        if (c.attention() == null || c.mlpTie() == null) {
            throw new IllegalArgumentException("attention scheme and mlpTie must not be null");
        }
    }

    private static void positive(String field, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(field + " " + v + " must be positive");
        }
    }
}
