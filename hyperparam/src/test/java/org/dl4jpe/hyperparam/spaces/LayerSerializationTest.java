package org.dl4jpe.hyperparam.spaces;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.deeplearning4j.arbiter.optimize.api.Candidate;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.dl4jpe.hyperparam.Tiny;
import org.dl4jpe.hyperparam.model.ModelCandidate;
import org.dl4jpe.hyperparam.model.ModelSpace;
import org.dl4jpe.layers.ClassTokenPool;
import org.dl4jpe.layers.LayerNorm;
import org.dl4jpe.layers.MlpActivation;
import org.dl4jpe.layers.PatchEmbedding;
import org.dl4jpe.layers.SharedBottleneckStage;
import org.dl4jpe.layers.TiedFeedForward;
import org.dl4jpe.layers.TiedSelfAttention;
import org.dl4jpe.layers.TransformerBlock;
import org.dl4jpe.zoo.Zoo;
import org.junit.jupiter.api.Test;

/**
 * Arbiter may Java-serialize candidates (its {@code Candidate} is {@code Serializable}); our layer configs, a whole
 * zoo configuration and a model-level candidate survive the round trip equal.
 */
class LayerSerializationTest {

    @SuppressWarnings("unchecked")
    static <T> T roundTrip(T value) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }

    @Test
    void everyLayerConfigSurvivesJavaSerialization() throws Exception {
        List<Layer> layers = List.of(
                TiedSelfAttention.builder(8, 2)
                        .scheme(TiedSelfAttention.Scheme.QK_VO)
                        .attnDropout(0.1)
                        .build(),
                TiedFeedForward.builder(8)
                        .mlpRatio(2)
                        .tie(TiedFeedForward.Tie.NONE)
                        .activation(MlpActivation.GELU_TANH)
                        .build(),
                TransformerBlock.builder(8, 2)
                        .scheme(TiedSelfAttention.Scheme.NONE)
                        .dropPath(0.2)
                        .build(),
                LayerNorm.builder(8).eps(1e-5).build(),
                PatchEmbedding.builder(8, 8, 1, 4, 8).build(),
                ClassTokenPool.builder()
                        .mode(ClassTokenPool.Mode.MEAN)
                        .numPrefixTokens(1)
                        .build(),
                SharedBottleneckStage.builder(8, 4, 2)
                        .stride(2)
                        .sharing(SharedBottleneckStage.Sharing.STAGE)
                        .build());
        for (Layer l : layers) {
            Layer copy = roundTrip(l);
            assertNotSame(l, copy);
            assertEquals(l, copy, l.getClass().getSimpleName());
            assertEquals(
                    NeuralNetConfiguration.mapper().writeValueAsString(l),
                    NeuralNetConfiguration.mapper().writeValueAsString(copy),
                    l.getClass().getSimpleName() + " JSON");
        }
    }

    @Test
    void aZooConfigurationAndAModelCandidateSurviveJavaSerialization() throws Exception {
        for (String model : List.of("vit_pe_micro_patch4_28", "resnet_pe_mini_28")) {
            ComputationGraphConfiguration conf =
                    Zoo.get(model).configure(Zoo.get(model).defaultOptions());
            assertEquals(conf.toJson(), ((ComputationGraphConfiguration) roundTrip(conf)).toJson(), model);
        }

        ModelSpace space = Tiny.vit()
                .axis(
                        "attention",
                        new DiscreteParameterSpace<>(TiedSelfAttention.Scheme.QO_KV, TiedSelfAttention.Scheme.NONE))
                .build();
        space.collectLeaves().get(0).setIndices(0);
        ModelCandidate mc = space.getValue(new double[] {0.9});
        Candidate<ModelCandidate> c = new Candidate<>(mc, 3, new double[] {0.9});
        Candidate<ModelCandidate> copy = roundTrip(c);
        assertEquals(mc, copy.getValue());
        assertEquals(mc.key(), copy.getValue().key());
        assertEquals(TiedSelfAttention.Scheme.NONE, copy.getValue().choices().get("attention"));
    }
}
