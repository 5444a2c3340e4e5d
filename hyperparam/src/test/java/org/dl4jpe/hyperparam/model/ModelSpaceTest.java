package org.dl4jpe.hyperparam.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.deeplearning4j.arbiter.optimize.api.Candidate;
import org.deeplearning4j.arbiter.optimize.distribution.LogUniformDistribution;
import org.deeplearning4j.arbiter.optimize.generator.GridSearchCandidateGenerator;
import org.deeplearning4j.arbiter.optimize.parameter.continuous.ContinuousParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.ParameterCounts;
import org.dl4jpe.zoo.RegisteredModel;
import org.dl4jpe.zoo.UpdaterKind;
import org.dl4jpe.zoo.Zoo;
import org.dl4jpe.zoo.vit.VitConfig;
import org.junit.jupiter.api.Test;

/** The model-level space: its axes, how candidates resolve into zoo configs, grid coverage, messages. */
class ModelSpaceTest {
    private static final RegisteredModel MICRO = Zoo.get("vit_pe_micro_patch4_28");

    @Test
    void axesAreTheConfigComponentsTheSearchableOptionsAndBatchAndEpochs() {
        assertEquals(
                List.of(
                        "patchSize",
                        "embedDim",
                        "depth",
                        "numHeads",
                        "mlpRatio",
                        "attention",
                        "mlpTie",
                        "seed",
                        "updater",
                        "learningRate",
                        "weightDecay",
                        "dropout",
                        "dropPath",
                        "workspaceMode",
                        "cacheMode",
                        "dataType",
                        "batchSize",
                        "epochs"),
                new ArrayList<>(ModelAxes.of(MICRO).keySet()));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ModelSpace.builder("vit_pe_micro_patch4_28").axis("heads", new DiscreteParameterSpace<>(2, 4)));
        assertTrue(
                e.getMessage()
                        .startsWith("axis 'heads' cannot be searched for model vit_pe_micro_patch4_28; its"
                                + " axes: patchSize, embedDim, depth, numHeads"),
                e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> ModelSpace.builder("vit_pe_micro_patch4_28").fixed("numClasses", 5));
        assertTrue(e.getMessage().contains("(numClasses comes from the data)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelSpace.builder("no_such_model"));
        assertTrue(e.getMessage().contains("model 'no_such_model' is not registered"), e.getMessage());
    }

    @Test
    void candidatesResolveIntoTheFamilysConfigAndBuildModelsOfTheDocumentedSize() {
        ModelOptions options = MICRO.defaultOptions().withSeed(7);
        ModelCandidate tied = new ModelCandidate(MICRO.name(), choices("QO_KV", "TRANSPOSE", 2e-3));
        ResolvedCandidate r = ModelAxes.resolve(MICRO, options, tied);
        assertEquals(VitConfig.of(4, 64, 6, 4).tied(), r.config());
        assertEquals(2e-3, r.options().learningRate());
        assertEquals(7, r.options().seed(), "the sweep's seed is kept");
        assertEquals(UpdaterKind.ADAMW, r.options().updater(), "options not named keep the model's");
        assertEquals(32, r.batchSize());
        assertEquals(3, r.epochs());
        assertEquals(157_578L, ParameterCounts.trainable(r.configure()), "documented count: vit_pe_micro_patch4_28");

        ResolvedCandidate base =
                ModelAxes.resolve(MICRO, options, new ModelCandidate(MICRO.name(), choices("NONE", "NONE", 1e-3)));
        assertEquals(305_034L, ParameterCounts.trainable(base.configure()), "documented count: vit_micro_patch4_28");

        ResolvedCandidate names = ModelAxes.resolve(
                MICRO,
                options,
                new ModelCandidate(
                        MICRO.name(), java.util.Map.of("attention", "qk_vo", "batchSize", 8L, "epochs", 1.0)));
        assertEquals(Scheme.QK_VO, ((VitConfig) names.config()).attention(), "names convert, any case");
        assertEquals(8, names.batchSize(), "whole numbers convert");
    }

    private static java.util.Map<String, Object> choices(String attention, String tie, double lr) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("attention", Scheme.valueOf(attention));
        m.put("mlpTie", Tie.valueOf(tie));
        m.put("learningRate", lr);
        m.put("batchSize", 32);
        m.put("epochs", 3);
        return m;
    }

    @Test
    void everySharingLevelOfTheMiniResNetResolvesToItsDocumentedSize() {
        RegisteredModel mini = Zoo.get("resnet_pe_mini_28");
        assertEquals(
                "stem, blocks, midWidths, strides, sharing",
                String.join(", ", ModelAxes.of(mini).keySet().stream().limit(5).toList()));
        java.util.Map<String, Long> spec = java.util.Map.of(
                "NONE",
                332_074L,
                "TIED",
                284_970L,
                "STAGE",
                259_370L,
                "STAGE_FIRST",
                237_866L,
                "STAGE_FIRST_3X3",
                180_266L);
        for (java.util.Map.Entry<String, Long> e : spec.entrySet()) {
            ResolvedCandidate r = ModelAxes.resolve(
                    mini,
                    mini.defaultOptions(),
                    new ModelCandidate(
                            mini.name(), java.util.Map.of("sharing", e.getKey(), "batchSize", 8, "epochs", 1)));
            assertEquals(
                    e.getValue(),
                    ParameterCounts.trainable(r.configure()),
                    "documented count: mini ResNet " + e.getKey());
        }
        ResolvedCandidate shallow = ModelAxes.resolve(
                mini,
                mini.defaultOptions(),
                new ModelCandidate(
                        mini.name(), java.util.Map.of("blocks", List.of(1L, 1L, 1L), "batchSize", 8, "epochs", 1)));
        assertEquals(
                List.of(1, 1, 1),
                ((org.dl4jpe.zoo.resnet.ResNetConfig) shallow.config()).blocks(),
                "list axes convert element by element");
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ModelAxes.resolve(
                        mini,
                        mini.defaultOptions(),
                        new ModelCandidate(
                                mini.name(), java.util.Map.of("blocks", List.of(1, 1), "batchSize", 8, "epochs", 1))));
        assertTrue(e.getMessage().contains("must be non-empty and of equal length"), e.getMessage());
    }

    @Test
    void valuesThatDoNotFitTheirAxisFailWithAMessageNamingAxisAndValue() {
        ModelOptions o = MICRO.defaultOptions();
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ModelAxes.resolve(
                        MICRO,
                        o,
                        new ModelCandidate(
                                MICRO.name(), java.util.Map.of("attention", "QQ", "batchSize", 8, "epochs", 1))));
        assertEquals("axis attention: value 'QQ' is not one of QO_KV, QK_VO, NONE", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> ModelAxes.resolve(
                        MICRO,
                        o,
                        new ModelCandidate(
                                MICRO.name(), java.util.Map.of("embedDim", 64.5, "batchSize", 8, "epochs", 1))));
        assertEquals("axis embedDim: value 64.5 is not a whole number", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> ModelAxes.resolve(
                        MICRO, o, new ModelCandidate(MICRO.name(), java.util.Map.of("batchSize", 0, "epochs", 1))));
        assertEquals("axis batchSize: value 0 must be positive", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> ModelAxes.resolve(
                        MICRO,
                        o,
                        new ModelCandidate(
                                MICRO.name(), java.util.Map.of("learningRate", -1.0, "batchSize", 8, "epochs", 1))));
        assertEquals("learningRate -1.0 must be positive and finite", e.getMessage(), "ModelOptions validates");
        ResolvedCandidate bad = ModelAxes.resolve(
                MICRO,
                o,
                new ModelCandidate(MICRO.name(), java.util.Map.of("numHeads", 5, "batchSize", 8, "epochs", 1)));
        e = assertThrows(IllegalArgumentException.class, bad::configure);
        assertEquals("numHeads 5 does not divide embedDim 64", e.getMessage(), "the family validates");
    }

    @Test
    void gridOverAModelSpaceVisitsEveryCombinationOnce() {
        ModelSpace space = ModelSpace.builder("vit_pe_micro_patch4_28")
                .fixed("depth", 2)
                .axis("attention", new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.QK_VO, Scheme.NONE))
                .fixed("numHeads", 4)
                .axis("mlpTie", new DiscreteParameterSpace<>(Tie.TRANSPOSE, Tie.NONE))
                .learningRate(new ContinuousParameterSpace(new LogUniformDistribution(1e-4, 1e-2)))
                .build();
        assertEquals(List.of("attention", "mlpTie", "learningRate"), space.searchedAxes());
        assertEquals(3, space.numParameters());
        GridSearchCandidateGenerator grid =
                new GridSearchCandidateGenerator(space, 3, GridSearchCandidateGenerator.Mode.Sequential, null);
        assertEquals(18, grid.getTotalNumCandidates());
        Set<String> keys = new HashSet<>();
        Set<Double> rates = new java.util.TreeSet<>();
        while (grid.hasMoreCandidates()) {
            Candidate<?> c = grid.getCandidate();
            ModelCandidate mc = (ModelCandidate) c.getValue();
            assertEquals(2, mc.choices().get("depth"));
            keys.add(mc.key());
            rates.add((Double) mc.choices().get("learningRate"));
        }
        assertEquals(18, keys.size());
        List<Double> r = new ArrayList<>(rates);
        assertEquals(3, r.size());
        assertEquals(1e-4, r.get(0), 1e-12);
        assertEquals(1e-3, r.get(1), 1e-9, "a log-uniform range is gridded in log space");
        assertEquals(1e-2, r.get(2), 1e-12);
    }

    @Test
    void keysAreExactAndDescriptionsShort() {
        ModelCandidate a = new ModelCandidate("m", java.util.Map.of("learningRate", 0.0012345678901234));
        ModelCandidate b = new ModelCandidate("m", java.util.Map.of("learningRate", 0.0012345678901235));
        assertNotEquals(a.key(), b.key());
        assertEquals("learningRate=0.001235", a.describe(List.of("learningRate")));
        assertTrue(ModelSpace.builder("vit_pe_micro_patch4_28")
                .build()
                .toString()
                .startsWith("ModelSpace(vit_pe_micro_patch4_28: batchSize=FixedValue(64), epochs=FixedValue(1)"));
        ModelSpace two = ModelSpace.builder("vit_pe_micro_patch4_28").epochs(2).build();
        ModelSpace five = two.withFixed("epochs", 5);
        assertEquals(
                new ArrayList<>(two.axes().keySet()),
                new ArrayList<>(five.axes().keySet()),
                "same axes, order");
        assertEquals("FixedValue(5)", five.axes().get("epochs").toString());
    }
}
