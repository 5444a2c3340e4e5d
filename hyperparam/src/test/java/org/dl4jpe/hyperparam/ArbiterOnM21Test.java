package org.dl4jpe.hyperparam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.deeplearning4j.arbiter.DL4JConfiguration;
import org.deeplearning4j.arbiter.MultiLayerSpace;
import org.deeplearning4j.arbiter.layers.OutputLayerSpace;
import org.deeplearning4j.arbiter.optimize.api.OptimizationResult;
import org.deeplearning4j.arbiter.optimize.api.data.DataSource;
import org.deeplearning4j.arbiter.optimize.api.saving.InMemoryResultSaver;
import org.deeplearning4j.arbiter.optimize.api.saving.ResultReference;
import org.deeplearning4j.arbiter.optimize.api.termination.MaxCandidatesCondition;
import org.deeplearning4j.arbiter.optimize.config.OptimizationConfiguration;
import org.deeplearning4j.arbiter.optimize.generator.RandomSearchGenerator;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.deeplearning4j.arbiter.optimize.runner.LocalOptimizationRunner;
import org.deeplearning4j.arbiter.scoring.impl.TestSetLossScoreFunction;
import org.deeplearning4j.arbiter.task.MultiLayerNetworkTaskCreator;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.dl4jpe.hyperparam.spaces.TiedFeedForwardSpace;
import org.dl4jpe.layers.TiedFeedForward;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Arbiter 1.0.0-beta7, with its own DL4J/ND4J/DataVec excluded, searches over our layers on DL4J 1.0.0-M2.1. */
class ArbiterOnM21Test {

    /** Tiny random regression data; Arbiter instantiates it by class name, so it needs a public no-arg constructor. */
    public static final class RandomData implements DataSource {
        @Override
        public void configure(Properties properties) {}

        private static ListDataSetIterator<DataSet> data(long seed) {
            Nd4j.getRandom().setSeed(seed);
            DataSet ds = new DataSet(Nd4j.rand(DataType.FLOAT, 32, 8), Nd4j.rand(DataType.FLOAT, 32, 3));
            return new ListDataSetIterator<>(ds.asList(), 16);
        }

        @Override
        public Object trainData() {
            return data(1);
        }

        @Override
        public Object testData() {
            return data(2);
        }

        @Override
        public Class<?> getDataType() {
            return org.nd4j.linalg.dataset.api.iterator.DataSetIterator.class;
        }
    }

    @Test
    void randomSearchOverTiedFeedForwardSpaceRunsOnM21() throws Exception {
        MultiLayerSpace space = new MultiLayerSpace.Builder()
                .updater(new Adam(1e-3))
                .layer(new TiedFeedForwardSpace.Builder(8)
                        .tie(new DiscreteParameterSpace<>(TiedFeedForward.Tie.TRANSPOSE, TiedFeedForward.Tie.NONE))
                        .mlpRatio(new DiscreteParameterSpace<>(1.0, 2.0))
                        .build())
                .addLayer(new OutputLayerSpace.Builder()
                        .nOut(3)
                        .activation(Activation.IDENTITY)
                        .lossFunction(LossFunctions.LossFunction.MSE)
                        .build())
                .setInputType(InputType.feedForward(8))
                .numEpochs(1)
                .build();
        OptimizationConfiguration conf = new OptimizationConfiguration.Builder()
                .candidateGenerator(new RandomSearchGenerator(space, null))
                .dataSource(RandomData.class, new Properties())
                .modelSaver(new InMemoryResultSaver())
                .scoreFunction(new TestSetLossScoreFunction(true))
                .terminationConditions(new MaxCandidatesCondition(4))
                .rngSeed(42)
                .build();
        LocalOptimizationRunner runner = new LocalOptimizationRunner(1, conf, new MultiLayerNetworkTaskCreator());
        runner.execute();

        assertEquals(
                4,
                runner.numCandidatesCompleted(),
                "completed candidates (failed: " + runner.numCandidatesFailed() + ")");
        List<ResultReference> results = runner.getResults();
        Set<String> layerConfigs = new HashSet<>();
        for (ResultReference r : results) {
            OptimizationResult res = r.getResult();
            assertTrue(Double.isFinite(res.getScore()), "finite score");
            DL4JConfiguration c = (DL4JConfiguration) res.getCandidate().getValue();
            assertTrue(c.getMultiLayerConfiguration().getConf(0).getLayer() instanceof TiedFeedForward);
            layerConfigs.add(
                    c.getMultiLayerConfiguration().getConf(0).getLayer().toString()
                            + ((TiedFeedForward) c.getMultiLayerConfiguration()
                                            .getConf(0)
                                            .getLayer())
                                    .getTie()
                            + ((TiedFeedForward) c.getMultiLayerConfiguration()
                                            .getConf(0)
                                            .getLayer())
                                    .getHiddenDim());
        }
        assertTrue(layerConfigs.size() > 1, "the search varied the layer: " + layerConfigs);
    }
}
