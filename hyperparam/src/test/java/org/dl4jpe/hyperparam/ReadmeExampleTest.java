package org.dl4jpe.hyperparam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.arbiter.MultiLayerSpace;
import org.deeplearning4j.arbiter.layers.OutputLayerSpace;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.deeplearning4j.arbiter.optimize.api.data.DataSource;
import org.deeplearning4j.arbiter.optimize.api.saving.InMemoryResultSaver;
import org.deeplearning4j.arbiter.optimize.api.termination.MaxCandidatesCondition;
import org.deeplearning4j.arbiter.optimize.api.termination.MaxTimeCondition;
import org.deeplearning4j.arbiter.optimize.config.OptimizationConfiguration;
import org.deeplearning4j.arbiter.optimize.distribution.LogUniformDistribution;
import org.deeplearning4j.arbiter.optimize.generator.RandomSearchGenerator;
import org.deeplearning4j.arbiter.optimize.parameter.FixedValue;
import org.deeplearning4j.arbiter.optimize.parameter.continuous.ContinuousParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.deeplearning4j.arbiter.optimize.runner.LocalOptimizationRunner;
import org.deeplearning4j.arbiter.scoring.impl.EvaluationScoreFunction;
import org.deeplearning4j.arbiter.task.MultiLayerNetworkTaskCreator;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.dl4jpe.hyperparam.model.ModelSpace;
import org.dl4jpe.hyperparam.spaces.ClassTokenPoolSpace;
import org.dl4jpe.hyperparam.spaces.LayerNormSpace;
import org.dl4jpe.hyperparam.spaces.TransformerBlockSpace;
import org.dl4jpe.hyperparam.sweep.Sweep;
import org.dl4jpe.hyperparam.sweep.SweepResult;
import org.dl4jpe.hyperparam.sweep.SweepSettings;
import org.dl4jpe.layers.ClassTokenPool.Mode;
import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;
import org.dl4jpe.zoo.Zoo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The Java examples of hyperparam/README.md, compiled and run (the README shows the bodies of these methods). */
class ReadmeExampleTest {
    @TempDir
    Path tmp;

    /** Stands in for the user's data: token sequences [N, 32, 10], 5 classes. */
    public static final class MyData implements DataSource {
        @Override
        public void configure(Properties properties) {}

        private static DataSetIterator data(long seed) {
            Nd4j.getRandom().setSeed(seed);
            INDArray x = Nd4j.rand(DataType.FLOAT, 20, 32, 10);
            INDArray y = Nd4j.zeros(DataType.FLOAT, 20, 5);
            for (int i = 0; i < 20; i++) {
                y.putScalar(i, i % 5, 1);
            }
            return new ListDataSetIterator<>(new DataSet(x, y).asList(), 10);
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
            return DataSetIterator.class;
        }
    }

    /** README: "Our layers in your own Arbiter space". */
    static LocalOptimizationRunner layerSpacesInAMultiLayerSpace(int candidates) {
        ParameterSpace<Integer> heads = new DiscreteParameterSpace<>(2, 4);
        MultiLayerSpace space = new MultiLayerSpace.Builder()
                .updater(new Adam(1e-3))
                .setInputType(InputType.recurrent(32, 10)) // tokens [N, 32, 10]
                .layer(new TransformerBlockSpace.Builder(32, heads)
                        .scheme(new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.QK_VO, Scheme.NONE))
                        .tie(new DiscreteParameterSpace<>(Tie.TRANSPOSE, Tie.NONE))
                        .mlpRatio(new DiscreteParameterSpace<>(2.0, 4.0))
                        .build())
                .layer(new LayerNormSpace.Builder(32).build())
                .layer(new ClassTokenPoolSpace.Builder()
                        .mode(new FixedValue<>(Mode.MEAN))
                        .build())
                .addLayer(new OutputLayerSpace.Builder()
                        .nOut(5)
                        .activation(Activation.SOFTMAX)
                        .lossFunction(LossFunctions.LossFunction.MCXENT)
                        .build())
                .numEpochs(2)
                .build();
        OptimizationConfiguration conf = new OptimizationConfiguration.Builder()
                .candidateGenerator(new RandomSearchGenerator(space, null))
                .dataSource(MyData.class, new Properties())
                .modelSaver(new InMemoryResultSaver())
                .scoreFunction(new EvaluationScoreFunction(Evaluation.Metric.ACCURACY))
                .terminationConditions(
                        new MaxCandidatesCondition(candidates), new MaxTimeCondition(30, TimeUnit.MINUTES))
                .build();
        LocalOptimizationRunner runner = new LocalOptimizationRunner(1, conf, new MultiLayerNetworkTaskCreator());
        runner.execute();
        return runner;
    }

    /** README: "A sweep over a zoo model from Java". */
    static SweepResult modelSpaceSweep(Path out, SweepSettings settings) {
        ModelSpace space = ModelSpace.builder("vit_pe_micro_patch4_28")
                .axis("attention", new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.QK_VO, Scheme.NONE))
                .axis("mlpTie", new DiscreteParameterSpace<>(Tie.TRANSPOSE, Tie.NONE))
                .learningRate(new ContinuousParameterSpace(new LogUniformDistribution(5e-4, 3e-3)))
                .epochs(1)
                .build();
        return Sweep.start(Zoo.registry(), tinier(space), settings, out).run();
    }

    /** Shrinks the README's ViT to the test fixture's size (not shown in the README). */
    private static ModelSpace tinier(ModelSpace s) {
        return s.withFixed("patchSize", Tiny.PATCH)
                .withFixed("embedDim", Tiny.D)
                .withFixed("depth", 1)
                .withFixed("numHeads", 2)
                .withFixed("mlpRatio", 1.0)
                .withFixed("batchSize", 50);
    }

    @Test
    void layerSpacesExampleRuns() {
        LocalOptimizationRunner runner = layerSpacesInAMultiLayerSpace(2);
        assertEquals(2, runner.numCandidatesCompleted(), "failed: " + runner.numCandidatesFailed());
        assertTrue(runner.bestScore() >= 0 && runner.bestScore() <= 1, "an accuracy");
    }

    @Test
    void modelSpaceExampleRuns() {
        SweepResult r = modelSpaceSweep(
                tmp.resolve("sweep"), Tiny.settings(2).withGenerator(org.dl4jpe.hyperparam.sweep.GeneratorKind.RANDOM));
        assertEquals(2, r.finishedCount());
        assertTrue(Files.isRegularFile(tmp.resolve("sweep/report.html")));
        assertEquals(java.util.List.of("attention", "mlpTie", "learningRate"), r.axes());
    }
}
