package org.dl4jpe.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.zoo.ZooModel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.regularization.WeightDecay;

/** Registry-driven: every registered model is checked; a new variant needs no new test. */
class ZooRegistryTest {

    /** The counts of docs/what-it-computes.md (Models), copied: the test must fail if a model drifts from them. */
    static final Map<String, Long> COUNTS = new LinkedHashMap<>();

    static {
        COUNTS.put("vit_small_patch16_224", 22_050_664L);
        COUNTS.put("vit_pe_small_patch16_224", 11_433_832L);
        COUNTS.put("vit_tiny_patch16_224", 5_717_416L);
        COUNTS.put("vit_pe_tiny_patch16_224", 3_063_208L);
        COUNTS.put("vit_micro_patch4_28", 305_034L);
        COUNTS.put("vit_pe_micro_patch4_28", 157_578L);
        COUNTS.put("resnet50", 25_557_032L);
        COUNTS.put("resnet50_pe_tied", 21_919_784L);
        COUNTS.put("resnet50_pe_stage", 19_675_176L);
        COUNTS.put("resnet50_pe_stage_first", 18_282_536L);
        COUNTS.put("resnet50_pe", 13_232_168L);
        COUNTS.put("resnet_mini_28", 332_074L);
        COUNTS.put("resnet_pe_mini_28", 180_266L);
        // equal-parameter baselines (within 10% of the PE model's count), counted by hand:
        // 3 untied D-64 blocks of 49,984 + patch embedding 4,352 + final norm 128 + head 650
        COUNTS.put("vit_micro_d3_patch4_28", 155_082L);
        // stem 352 + stages (3, 4, 3) at m 12, 24, 48: 9,216 + 43,968 + 133,440 + head 1,930
        COUNTS.put("resnet_mini_w075_28", 188_906L);
    }

    @Test
    void everyRegisteredModelHasItsDocumentedParameterCount() {
        assertFalse(Zoo.names().isEmpty());
        for (RegisteredModel m : Zoo.registry().models()) {
            long fromConfig = m.trainableParameters();
            if (COUNTS.containsKey(m.name())) {
                assertEquals(COUNTS.get(m.name()), fromConfig, m.name());
            }
            assertTrue(fromConfig > 0, m.name());
        }
        assertEquals(TinyCnnFamily.expectedParameters(8), Zoo.get("tiny_cnn_28").trainableParameters());
        assertEquals(
                TinyCnnFamily.expectedParameters(16),
                Zoo.get("tiny_cnn_wide_28").trainableParameters());
        assertEquals(
                TinyCnnFamily.expectedParameters(4),
                Zoo.get("tiny_cnn_narrow_28").trainableParameters());
    }

    @Test
    void everyDocumentedModelIsRegistered() {
        Assumptions.assumeTrue(
                Zoo.names().stream().anyMatch(COUNTS::containsKey),
                "no family of docs/what-it-computes.md is on the class path");
        for (String name : COUNTS.keySet()) {
            assertTrue(Zoo.registry().contains(name), name + " is in docs/what-it-computes.md but not registered");
        }
    }

    /**
     * Input shape and classes are stated by each row of the variant table, not inferred from the config: a patch-4
     * ViT on 32×32×3 with 100 classes keeps them (an inference from the patch size gave every patch-4 variant
     * 28×28×1), and every registered variant keeps the shape its table row states.
     */
    @Test
    void eachVariantStatesItsInputShapeAndClasses() {
        ModelRegistry r = new ModelRegistry();
        org.dl4jpe.zoo.vit.VitFamily vit = new org.dl4jpe.zoo.vit.VitFamily();
        RegisteredModel cifar = r.register(
                vit,
                Variant.of(
                        "vit_micro_patch4_32",
                        "micro ViT for 32x32x3",
                        org.dl4jpe.zoo.vit.VitFamily.MICRO,
                        new InputShape(32, 32, 3),
                        100));
        assertEquals(new InputShape(32, 32, 3), cifar.defaultOptions().input());
        assertEquals(100, cifar.defaultOptions().numClasses());
        // 8x8 patches of 4x4x3 pixels: the embedding has 48 inputs per patch, 65 positions; the head 100 classes
        long micro28 = Zoo.get("vit_micro_patch4_28").trainableParameters();
        long expected = micro28 + (48 - 16) * 64 + (65 - 50) * 64 + (100 - 10) * 65;
        assertEquals(expected, cifar.trainableParameters());
        for (Variant<org.dl4jpe.zoo.vit.VitConfig> v : vit.variants()) {
            assertEquals(v.defaults(), Zoo.get(v.name()).defaultOptions(), v.name());
            assertEquals(
                    v.name().endsWith("_224") ? InputShape.IMAGENET : InputShape.FASHION_MNIST,
                    v.defaults().input(),
                    v.name());
        }
        for (Variant<org.dl4jpe.zoo.resnet.ResNetConfig> v : new org.dl4jpe.zoo.resnet.ResNetFamily().variants()) {
            assertEquals(v.defaults(), Zoo.get(v.name()).defaultOptions(), v.name());
            assertEquals(
                    v.name().startsWith("resnet50") ? 1000 : 10, v.defaults().numClasses(), v.name());
        }
    }

    /** Small models are built for real: built count = configuration count, and one training step runs. */
    @Test
    void smallModelsBuildAndTrainOneStep() {
        for (RegisteredModel m : Zoo.registry().models()) {
            ModelOptions o = m.defaultOptions();
            if ((long) o.inputHeight() * o.inputWidth() > 64 * 64) {
                continue; // full-size variants: counted from configuration above
            }
            ComputationGraph net = m.create(o.withNumClasses(3));
            assertEquals(ParameterCounts.trainable(net.getConfiguration()), ParameterCounts.trainable(net));
            INDArray x = Nd4j.rand(DataType.FLOAT, 2, o.inputChannels(), o.inputHeight(), o.inputWidth());
            INDArray y = Nd4j.zeros(DataType.FLOAT, 2, 3);
            y.putScalar(0, 1, 1);
            y.putScalar(1, 2, 1);
            INDArray before = net.params().dup();
            net.fit(new org.nd4j.linalg.dataset.DataSet(x, y));
            assertTrue(Double.isFinite(net.score()), m.name());
            assertFalse(before.equals(net.params()), m.name() + ": parameters unchanged by a training step");
            assertArrayEquals(new long[] {2, 3}, net.outputSingle(x).shape(), m.name());
        }
    }

    @Test
    void optionsReachTheConfiguration() {
        ModelOptions o = Zoo.get("tiny_cnn_28")
                .defaultOptions()
                .withSeed(99)
                .withLearningRate(0.01)
                .withWeightDecay(0.1)
                .withWorkspaceMode(WorkspaceMode.NONE)
                .withCacheMode(CacheMode.DEVICE)
                .withNumClasses(4);
        ComputationGraph net = Zoo.create("tiny_cnn_28", o);
        var conf = net.getConfiguration();
        assertEquals(WorkspaceMode.NONE, conf.getTrainingWorkspaceMode());
        assertEquals(WorkspaceMode.NONE, conf.getInferenceWorkspaceMode());
        assertEquals(CacheMode.DEVICE, conf.getCacheMode());
        assertEquals(99L, conf.getDefaultConfiguration().getSeed());
        BaseLayer conv = (BaseLayer) net.getLayer("conv1").conf().getLayer();
        assertEquals(0.01, ((Adam) conv.getIUpdater()).getLearningRate(), 1e-12);
        assertTrue(conv.getRegularization().stream()
                .anyMatch(r -> r instanceof WeightDecay wd && wd.getCoeff().valueAt(0, 0) == 0.1));
        assertEquals(
                4, net.outputSingle(Nd4j.rand(DataType.FLOAT, 1, 1, 28, 28)).size(1));
        // same seed, same parameters; other seed, other parameters
        assertEquals(net.params(), Zoo.create("tiny_cnn_28", o).params());
        assertFalse(
                net.params().equals(Zoo.create("tiny_cnn_28", o.withSeed(100)).params()));
        // the lambda form starts from the model's defaults
        assertEquals(
                5,
                Zoo.create("tiny_cnn_28", c -> c.withNumClasses(5))
                        .outputSingle(Nd4j.rand(DataType.FLOAT, 1, 1, 28, 28))
                        .size(1));
        assertEquals(1, Zoo.get("tiny_cnn_28").options(c -> c.withNumClasses(5)).inputChannels());
    }

    @Test
    void invalidOptionsAndNamesGiveClearMessages() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ModelOptions.DEFAULTS.withDropout(1.0));
        assertEquals("dropout 1.0 must be in [0, 1)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelOptions.DEFAULTS.withNumClasses(0));
        assertEquals("numClasses 0 must be positive", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelOptions.DEFAULTS.withLearningRate(-1));
        assertTrue(e.getMessage().startsWith("learningRate -1.0"));
        e = assertThrows(IllegalArgumentException.class, () -> Zoo.get("vit_nope"));
        assertTrue(
                e.getMessage().contains("'vit_nope' is not registered")
                        && e.getMessage().contains("tiny_cnn_28"),
                e.getMessage());
        ModelRegistry r = new ModelRegistry();
        r.register(new TinyCnnFamily(), TinyCnnFamily.variant("a_model", "one", TinyCnnFamily.TINY));
        e = assertThrows(
                IllegalArgumentException.class,
                () -> r.register(new TinyCnnFamily(), TinyCnnFamily.variant("a_model", "two", TinyCnnFamily.WIDE)));
        assertTrue(e.getMessage().contains("already registered"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> r.register(new TinyCnnFamily(), TinyCnnFamily.variant("Bad-Name", "x", TinyCnnFamily.WIDE)));
        assertTrue(e.getMessage().contains("'Bad-Name'"), e.getMessage());
        assertEquals(List.of("a_model"), r.names());
        assertEquals(UpdaterKind.NESTEROVS, UpdaterKind.parse("Nesterovs"));
        e = assertThrows(IllegalArgumentException.class, () -> UpdaterKind.parse("rmsprop"));
        assertEquals("updater 'rmsprop' is not one of adamw, adam, nesterovs, sgd", e.getMessage());
    }

    @Test
    void usableThroughDl4jZooModelApi() {
        ZooModel<?> zm = PeZooModel.of("tiny_cnn_28", o -> o.withNumClasses(7));
        assertEquals("tiny_cnn_28", zm.modelName());
        assertFalse(zm.pretrainedAvailable(org.deeplearning4j.zoo.PretrainedType.IMAGENET));
        assertArrayEquals(new int[] {1, 28, 28}, zm.metaData().getInputShape()[0]);
        ComputationGraph net = zm.init();
        assertEquals(
                7, net.outputSingle(Nd4j.rand(DataType.FLOAT, 1, 1, 28, 28)).size(1));
        zm.setInputShape(new int[][] {{1, 32, 32}});
        ComputationGraph bigger = zm.init();
        assertEquals(
                7, bigger.outputSingle(Nd4j.rand(DataType.FLOAT, 1, 1, 32, 32)).size(1));
        PeZooModel direct = PeZooModel.of(new TinyCnnFamily(), TinyCnnFamily.WIDE, TinyCnnFamily.DEFAULTS);
        assertEquals(TinyCnnFamily.expectedParameters(16), ParameterCounts.trainable((ComputationGraph) direct.init()));
    }
}
