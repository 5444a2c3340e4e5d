package org.dl4jpe.hyperparam.spaces;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Properties;
import java.util.Set;
import org.deeplearning4j.arbiter.ComputationGraphSpace;
import org.deeplearning4j.arbiter.DL4JConfiguration;
import org.deeplearning4j.arbiter.GraphConfiguration;
import org.deeplearning4j.arbiter.MultiLayerSpace;
import org.deeplearning4j.arbiter.layers.GlobalPoolingLayerSpace;
import org.deeplearning4j.arbiter.layers.OutputLayerSpace;
import org.deeplearning4j.arbiter.optimize.api.Candidate;
import org.deeplearning4j.arbiter.optimize.api.OptimizationResult;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.deeplearning4j.arbiter.optimize.api.data.DataSource;
import org.deeplearning4j.arbiter.optimize.api.saving.InMemoryResultSaver;
import org.deeplearning4j.arbiter.optimize.api.saving.ResultReference;
import org.deeplearning4j.arbiter.optimize.api.termination.MaxCandidatesCondition;
import org.deeplearning4j.arbiter.optimize.config.OptimizationConfiguration;
import org.deeplearning4j.arbiter.optimize.generator.GridSearchCandidateGenerator;
import org.deeplearning4j.arbiter.optimize.generator.RandomSearchGenerator;
import org.deeplearning4j.arbiter.optimize.parameter.FixedValue;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.math.MathOp;
import org.deeplearning4j.arbiter.optimize.parameter.math.Op;
import org.deeplearning4j.arbiter.optimize.runner.LocalOptimizationRunner;
import org.deeplearning4j.arbiter.scoring.impl.TestSetLossScoreFunction;
import org.deeplearning4j.arbiter.task.ComputationGraphTaskCreator;
import org.deeplearning4j.arbiter.task.MultiLayerNetworkTaskCreator;
import org.deeplearning4j.arbiter.util.LeafUtils;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.dl4jpe.layers.ClassTokenPool;
import org.dl4jpe.layers.LayerNorm;
import org.dl4jpe.layers.PatchEmbedding;
import org.dl4jpe.layers.SharedBottleneckStage;
import org.dl4jpe.layers.SharedBottleneckStage.Sharing;
import org.dl4jpe.layers.TiedFeedForward;
import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.TiedSelfAttention;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;
import org.dl4jpe.layers.TransformerBlock;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Each layer space in a user's Arbiter space: a random search over a {@code MultiLayerSpace} of token layers and a
 * {@code ComputationGraphSpace} of a whole (tiny) ViT runs on M2.1 and varies what the spaces say; a grid visits
 * every combination; a width space shared by several layers gives them one value.
 */
class LayerSpacesTest {

    /** Random tokens [N, 8, 5] with 3 classes; Arbiter instantiates data sources by class name. */
    public static final class RandomTokens implements DataSource {
        @Override
        public void configure(Properties properties) {}

        static ListDataSetIterator<DataSet> data(long seed, long... featureShape) {
            Nd4j.getRandom().setSeed(seed);
            INDArray x = Nd4j.rand(DataType.FLOAT, featureShape);
            INDArray y = Nd4j.zeros(DataType.FLOAT, featureShape[0], 3);
            for (int i = 0; i < featureShape[0]; i++) {
                y.putScalar(i, i % 3, 1);
            }
            return new ListDataSetIterator<>(new DataSet(x, y).asList(), 8);
        }

        @Override
        public Object trainData() {
            return data(1, 16, 8, 5);
        }

        @Override
        public Object testData() {
            return data(2, 16, 8, 5);
        }

        @Override
        public Class<?> getDataType() {
            return DataSetIterator.class;
        }
    }

    /** Random 8×8 grey images with 3 classes. */
    public static final class RandomImages extends RandomTokensLike {
        @Override
        public Object trainData() {
            return RandomTokens.data(3, 16, 1, 8, 8);
        }

        @Override
        public Object testData() {
            return RandomTokens.data(4, 16, 1, 8, 8);
        }
    }

    /** Shared no-op parts of the data sources. */
    public abstract static class RandomTokensLike implements DataSource {
        @Override
        public void configure(Properties properties) {}

        @Override
        public Class<?> getDataType() {
            return DataSetIterator.class;
        }
    }

    private static OptimizationConfiguration random(
            ParameterSpace<?> space, Class<? extends DataSource> data, int candidates) {
        return new OptimizationConfiguration.Builder()
                .candidateGenerator(new RandomSearchGenerator(space, null))
                .dataSource(data, new Properties())
                .modelSaver(new InMemoryResultSaver())
                .scoreFunction(new TestSetLossScoreFunction(true))
                .terminationConditions(new MaxCandidatesCondition(candidates))
                .rngSeed(7)
                .build();
    }

    private static MultiLayerSpace tokenSpace() {
        return new MultiLayerSpace.Builder()
                .updater(new Adam(1e-3))
                .setInputType(InputType.recurrent(8, 5))
                .layer(new TransformerBlockSpace.Builder(8, new DiscreteParameterSpace<>(1, 2))
                        .scheme(new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.QK_VO, Scheme.NONE))
                        .tie(new DiscreteParameterSpace<>(Tie.TRANSPOSE, Tie.NONE))
                        .mlpRatio(new DiscreteParameterSpace<>(1.0, 2.0))
                        .build())
                .layer(new TiedSelfAttentionSpace.Builder(8, 2)
                        .scheme(new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.NONE))
                        .build())
                .layer(new LayerNormSpace.Builder(8).build())
                .layer(new ClassTokenPoolSpace.Builder()
                        .mode(new DiscreteParameterSpace<>(ClassTokenPool.Mode.CLASS_TOKEN, ClassTokenPool.Mode.MEAN))
                        .build())
                .addLayer(new OutputLayerSpace.Builder()
                        .nOut(3)
                        .activation(Activation.SOFTMAX)
                        .lossFunction(LossFunctions.LossFunction.MCXENT)
                        .build())
                .numEpochs(1)
                .build();
    }

    @Test
    void randomSearchOverTokenLayerSpacesInAMultiLayerSpace() {
        LocalOptimizationRunner runner = new LocalOptimizationRunner(
                1, random(tokenSpace(), RandomTokens.class, 3), new MultiLayerNetworkTaskCreator());
        runner.execute();

        assertEquals(3, runner.numCandidatesCompleted(), "failed: " + runner.numCandidatesFailed());
        Set<String> seen = new HashSet<>();
        for (ResultReference ref : runner.getResults()) {
            OptimizationResult res = assertDoesNotThrowResult(ref);
            assertTrue(Double.isFinite(res.getScore()), "finite test loss");
            MultiLayerConfiguration c =
                    ((DL4JConfiguration) res.getCandidate().getValue()).getMultiLayerConfiguration();
            TransformerBlock block =
                    assertInstanceOf(TransformerBlock.class, c.getConf(0).getLayer());
            assertEquals(8, block.getEmbedDim());
            assertTrue(block.getHiddenDim() == 8 || block.getHiddenDim() == 16, "mlpRatio 1 or 2");
            assertInstanceOf(TiedSelfAttention.class, c.getConf(1).getLayer());
            assertInstanceOf(LayerNorm.class, c.getConf(2).getLayer());
            assertInstanceOf(ClassTokenPool.class, c.getConf(3).getLayer());
            seen.add(block.getScheme() + "/" + block.getTie() + "/" + block.getNumHeads() + "/" + block.getHiddenDim()
                    + "/" + ((ClassTokenPool) c.getConf(3).getLayer()).getMode());
        }
        assertTrue(seen.size() > 1, "the search varied the layers: " + seen);
    }

    @Test
    void randomSearchOverAWholeViTInAComputationGraphSpaceWithOneSharedWidth() {
        ParameterSpace<Integer> width = new DiscreteParameterSpace<>(8, 16);
        ComputationGraphSpace space = new ComputationGraphSpace.Builder()
                .updater(new Adam(1e-3))
                .addInputs("input")
                .setInputTypes(InputType.convolutional(8, 8, 1))
                .addLayer(
                        "patch_embed",
                        new PatchEmbeddingSpace.Builder(8, 8, 1)
                                .patchSize(new DiscreteParameterSpace<>(2, 4))
                                .embedDim(width)
                                .build(),
                        "input")
                .addLayer(
                        "attn",
                        new TiedSelfAttentionSpace.Builder(width, new FixedValue<>(2))
                                .scheme(new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.NONE))
                                .build(),
                        "patch_embed")
                .addLayer(
                        "mlp",
                        new TiedFeedForwardSpace.Builder(width)
                                .tie(new DiscreteParameterSpace<>(Tie.TRANSPOSE, Tie.NONE))
                                .build(),
                        "attn")
                .addLayer("norm", new LayerNormSpace.Builder(width).build(), "mlp")
                .addLayer("pool", new ClassTokenPoolSpace.Builder().build(), "norm")
                .addLayer(
                        "head",
                        new OutputLayerSpace.Builder()
                                .nOut(3)
                                .activation(Activation.SOFTMAX)
                                .lossFunction(LossFunctions.LossFunction.MCXENT)
                                .build(),
                        "pool")
                .setOutputs("head")
                .numEpochs(1)
                .build();
        int leafUses = 0;
        for (ParameterSpace<?> leaf : space.collectLeaves()) {
            leafUses += leaf == width ? 1 : 0;
        }
        assertEquals(4, leafUses, "the width space is a leaf of four layer spaces");
        assertEquals(
                LeafUtils.countUniqueParameters(space.collectLeaves()),
                space.numParameters(),
                "and takes one value: width, patch, scheme, tie");
        assertEquals(4, space.numParameters());

        LocalOptimizationRunner runner =
                new LocalOptimizationRunner(1, random(space, RandomImages.class, 3), new ComputationGraphTaskCreator());
        runner.execute();

        assertEquals(3, runner.numCandidatesCompleted(), "failed: " + runner.numCandidatesFailed());
        for (ResultReference ref : runner.getResults()) {
            OptimizationResult res = assertDoesNotThrowResult(ref);
            ComputationGraphConfiguration c =
                    ((GraphConfiguration) res.getCandidate().getValue()).getConfiguration();
            PatchEmbedding pe = (PatchEmbedding) layer(c, "patch_embed");
            long d = pe.getEmbedDim();
            assertTrue(d == 8 || d == 16);
            assertEquals(d, ((TiedSelfAttention) layer(c, "attn")).getEmbedDim(), "shared width");
            assertEquals(d, ((TiedFeedForward) layer(c, "mlp")).getEmbedDim(), "shared width");
            assertEquals(d, ((LayerNorm) layer(c, "norm")).getDim(), "shared width");
            assertTrue(Double.isFinite(res.getScore()));
        }
    }

    @Test
    void randomSearchOverBottleneckStagesWithADerivedWidth() {
        ParameterSpace<Integer> mid = new DiscreteParameterSpace<>(2, 4);
        ParameterSpace<Sharing> sharing = new DiscreteParameterSpace<>(
                Sharing.NONE, Sharing.TIED, Sharing.STAGE, Sharing.STAGE_FIRST, Sharing.STAGE_FIRST_3X3);
        ComputationGraphSpace space = new ComputationGraphSpace.Builder()
                .updater(new Adam(1e-3))
                .addInputs("input")
                .setInputTypes(InputType.convolutional(8, 8, 1))
                .addLayer(
                        "stage1",
                        new SharedBottleneckStageSpace.Builder(1, mid, 2)
                                .sharing(sharing)
                                .build(),
                        "input")
                .addLayer(
                        "stage2",
                        new SharedBottleneckStageSpace.Builder(
                                        new MathOp<>(mid, Op.MUL, 4),
                                        new MathOp<>(mid, Op.MUL, 2),
                                        new DiscreteParameterSpace<>(1, 2))
                                .stride(2)
                                .sharing(sharing)
                                .build(),
                        "stage1")
                .addLayer(
                        "pool",
                        new GlobalPoolingLayerSpace.Builder()
                                .poolingType(PoolingType.AVG)
                                .build(),
                        "stage2")
                .addLayer(
                        "head",
                        new OutputLayerSpace.Builder()
                                .nOut(3)
                                .activation(Activation.SOFTMAX)
                                .lossFunction(LossFunctions.LossFunction.MCXENT)
                                .build(),
                        "pool")
                .setOutputs("head")
                .numEpochs(1)
                .build();
        assertEquals(3, space.numParameters(), "mid, sharing (shared by both stages), second stage's blocks");
        LocalOptimizationRunner runner =
                new LocalOptimizationRunner(1, random(space, RandomImages.class, 2), new ComputationGraphTaskCreator());
        runner.execute();

        assertEquals(2, runner.numCandidatesCompleted(), "failed: " + runner.numCandidatesFailed());
        for (ResultReference ref : runner.getResults()) {
            ComputationGraphConfiguration c = ((GraphConfiguration)
                            assertDoesNotThrowResult(ref).getCandidate().getValue())
                    .getConfiguration();
            SharedBottleneckStage s1 = (SharedBottleneckStage) layer(c, "stage1");
            SharedBottleneckStage s2 = (SharedBottleneckStage) layer(c, "stage2");
            assertEquals(4 * s1.getMidChannels(), s2.getInChannels(), "stage 2 takes stage 1's 4m channels");
            assertEquals(2 * s1.getMidChannels(), s2.getMidChannels());
            assertEquals(s1.getSharing(), s2.getSharing(), "one sharing level for the network");
        }
    }

    private static Layer layer(ComputationGraphConfiguration c, String name) {
        return ((LayerVertex) c.getVertices().get(name)).getLayerConf().getLayer();
    }

    private static OptimizationResult assertDoesNotThrowResult(ResultReference ref) {
        try {
            return ref.getResult();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void gridSearchVisitsEveryCombination() {
        MultiLayerSpace space = new MultiLayerSpace.Builder()
                .updater(new Adam(1e-3))
                .setInputType(InputType.recurrent(8, 5))
                .layer(new TransformerBlockSpace.Builder(8, 2)
                        .attnDropout(new FixedValue<>(0.0))
                        .scheme(new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.QK_VO, Scheme.NONE))
                        .activation(new FixedValue<>(org.dl4jpe.layers.MlpActivation.GELU))
                        .tie(new DiscreteParameterSpace<>(Tie.TRANSPOSE, Tie.NONE))
                        .build())
                .addLayer(new OutputLayerSpace.Builder()
                        .nOut(3)
                        .activation(Activation.SOFTMAX)
                        .lossFunction(LossFunctions.LossFunction.MCXENT)
                        .build())
                .build();
        GridSearchCandidateGenerator grid =
                new GridSearchCandidateGenerator(space, 3, GridSearchCandidateGenerator.Mode.Sequential, null);
        assertEquals(6, grid.getTotalNumCandidates());
        Set<String> combos = new HashSet<>();
        while (grid.hasMoreCandidates()) {
            Candidate<?> c = grid.getCandidate();
            TransformerBlock b = (TransformerBlock) ((DL4JConfiguration) c.getValue())
                    .getMultiLayerConfiguration()
                    .getConf(0)
                    .getLayer();
            combos.add(b.getScheme() + "/" + b.getTie());
        }
        assertEquals(6, combos.size(), "3 schemes x 2 ties: " + combos);
    }

    @Test
    void spacesRejectWhatWouldNotTakeEffectAndCandidatesThatTheLayerRejects() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new TransformerBlockSpace.Builder(8, 2).dropOut(0.1).build());
        assertTrue(
                e.getMessage()
                        .contains("TransformerBlockSpace: dropOut (DL4J's input dropout) has no effect on"
                                + " SameDiff layers; search attnDropout, projDropout, mlpDropout or dropPath instead"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new TiedSelfAttentionSpace.Builder(0, 2));
        assertEquals("TiedSelfAttentionSpace: embedDim 0 must be positive", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new TiedFeedForwardSpace.Builder(8).tie(null));
        assertTrue(e.getMessage().contains("tie must not be null"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new PatchEmbeddingSpace.Builder(28, 28, 1).build());
        assertTrue(e.getMessage().contains("patchSize and embedDim must be set"), e.getMessage());

        TiedSelfAttentionSpace heads =
                new TiedSelfAttentionSpace.Builder(8, new DiscreteParameterSpace<>(2, 3)).build();
        heads.collectLeaves().stream()
                .filter(l -> l.numParameters() == 1)
                .findFirst()
                .orElseThrow()
                .setIndices(0);
        assertEquals(2, heads.getValue(new double[] {0.0}).getNumHeads());
        e = assertThrows(IllegalArgumentException.class, () -> heads.getValue(new double[] {0.99}));
        assertEquals("TiedSelfAttention: numHeads 3 does not divide embedDim 8", e.getMessage());
    }

    @Test
    void layerSpacesDescribeTheirSearch() {
        String s = new TransformerBlockSpace.Builder(64, 4)
                .scheme(new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.NONE))
                .build()
                .toString();
        assertTrue(s.startsWith("TransformerBlockSpace(embedDim=FixedValue(64), numHeads=FixedValue(4)"), s);
        assertTrue(s.contains("scheme=DiscreteParameterSpace("), s);
        assertEquals(0, new LayerNormSpace.Builder(8).build().numParameters(), "nothing searched");
        assertEquals(
                2,
                new TransformerBlockSpace.Builder(8, 2)
                        .scheme(new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.NONE))
                        .tie(new DiscreteParameterSpace<>(Tie.TRANSPOSE, Tie.NONE))
                        .build()
                        .numParameters());
    }
}
