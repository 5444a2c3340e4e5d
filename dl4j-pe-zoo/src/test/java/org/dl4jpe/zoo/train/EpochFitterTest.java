package org.dl4jpe.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.zoo.Zoo;
import org.dl4jpe.zoo.data.DataSets;
import org.dl4jpe.zoo.data.DataSplit;
import org.dl4jpe.zoo.data.ImageBatchIterator;
import org.dl4jpe.zoo.data.ImageSource;
import org.dl4jpe.zoo.data.Normalization;
import org.dl4jpe.zoo.data.Seeds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Trainer#epochFitter}: an engine that fits whole epochs gets the same run directory as the batch loop; one
 * that fits the epoch's batches in the trainer's order gives the batch loop's parameters exactly.
 */
class EpochFitterTest {
    @TempDir
    Path tmp;

    private static final DataSplit DATA =
            DataSets.open(DataSets.FASHION_MNIST_SUBSET, 1, 28, 28).limit(200, 60);

    private static RunConfig config(int epochs) {
        return new RunConfig(
                "tiny_cnn_28",
                Zoo.get("tiny_cnn_28").defaultOptions(),
                DataSets.FASHION_MNIST_SUBSET,
                epochs,
                50,
                false,
                Normalization.UNIT,
                200,
                60);
    }

    private static Trainer trainer() {
        return new Trainer(
                Zoo.registry(),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                Progress.Style.QUIET);
    }

    /** The reference engine: the batch loop's own steps, one epoch per call. */
    private static final class SameOrder implements EpochFitter {
        int calls;

        @Override
        public Fit fit(ComputationGraph net, ImageSource train, RunConfig config, int epoch, int firstBatch) {
            calls++;
            ImageBatchIterator it = ImageBatchIterator.training(
                    train, config.batchSize(), config.options().seed(), config.augment(), config.normalization());
            it.setEpoch(epoch);
            it.skipBatches(firstBatch);
            Nd4j.getRandom().setSeed(Seeds.mix(config.options().seed(), ((long) epoch << 20) + firstBatch));
            double sum = 0;
            long n = 0;
            long steps = 0;
            while (it.hasNext()) {
                var ds = it.next();
                net.fit(ds);
                sum += net.score() * ds.numExamples();
                n += ds.numExamples();
                steps++;
            }
            return new Fit(net, sum / n, Double.NaN, n, steps, 0.5);
        }
    }

    @Test
    void anEpochEngineGetsTheBatchLoopsParametersAndRunDirectory() throws Exception {
        TrainResult local = trainer().train(config(2), DATA, tmp.resolve("local"));
        SameOrder engine = new SameOrder();
        TrainResult viaEngine = trainer().epochFitter(engine).train(config(1), DATA, tmp.resolve("engine"));
        assertEquals(1, engine.calls);
        viaEngine = trainer().epochFitter(engine).resume(tmp.resolve("engine"), DATA, 2, Double.NaN);
        assertEquals(2, engine.calls);
        assertEquals(2, viaEngine.state().epochsDone());
        assertEquals(RunState.Status.FINISHED, viaEngine.state().status());
        assertEquals(local.state().iteration(), viaEngine.state().iteration());
        ComputationGraph a =
                RunDirectory.load(tmp.resolve("local").resolve(local.state().checkpoint()));
        ComputationGraph b = RunDirectory.load(
                tmp.resolve("engine").resolve(viaEngine.state().checkpoint()));
        assertEquals(a.params(), b.params());
        assertEquals(
                local.history().get(1).testLoss(), viaEngine.history().get(1).testLoss(), 1e-12);
        assertTrue(Double.isNaN(viaEngine.history().get(1).trainAccuracy()));
        assertEquals(0.5, viaEngine.history().get(1).seconds());
    }

    @Test
    void aNonFiniteEpochLossStopsTheRunAndKeepsTheCheckpoint() {
        Path dir = tmp.resolve("nan");
        trainer().epochFitter(new SameOrder()).train(config(1), DATA, dir);
        EpochFitter diverging =
                (net, train, config, epoch, first) -> new EpochFitter.Fit(net, Double.NaN, Double.NaN, 200, 4, 1);
        NonFiniteLossException e = assertThrows(
                NonFiniteLossException.class,
                () -> trainer().epochFitter(diverging).resume(dir, DATA, 2, Double.NaN));
        assertTrue(e.getMessage().contains("NaN") && e.getMessage().contains("checkpoint-e0001.zip"), e.getMessage());
        assertEquals(1, new RunDirectory(dir).readState().epochsDone());
    }
}
