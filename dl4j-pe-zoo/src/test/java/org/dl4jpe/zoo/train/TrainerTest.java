package org.dl4jpe.zoo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.ModelRegistry;
import org.dl4jpe.zoo.Zoo;
import org.dl4jpe.zoo.data.DataSets;
import org.dl4jpe.zoo.data.DataSplit;
import org.dl4jpe.zoo.data.Normalization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    @TempDir
    Path tmp;

    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

    /** 300 training and 100 test images of the shipped subset: 6 batches of 50 per epoch. */
    private static final DataSplit DATA =
            DataSets.open(DataSets.FASHION_MNIST_SUBSET, 1, 28, 28).limit(300, 100);

    private static RunConfig config(int epochs) {
        return new RunConfig(
                "tiny_cnn_28",
                Zoo.get("tiny_cnn_28").defaultOptions(),
                DataSets.FASHION_MNIST_SUBSET,
                epochs,
                50,
                false,
                Normalization.UNIT,
                300,
                100);
    }

    private Trainer trainer() {
        return new Trainer(Zoo.registry(), err, Progress.Style.LINES);
    }

    private static List<String> csv(Path dir) throws IOException {
        return Files.readAllLines(dir.resolve(RunDirectory.METRICS));
    }

    private static List<String> checkpoints(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("checkpoint-"))
                    .sorted()
                    .toList();
        }
    }

    @Test
    void trainWritesCheckpointMetricsAndCurves() throws IOException {
        Path out = tmp.resolve("run");
        TrainResult r = trainer().train(config(2), DATA, out);
        assertFalse(r.interrupted());
        assertEquals(2, r.history().size());
        assertEquals(RunState.Status.FINISHED, r.state().status());
        assertEquals(12, r.state().iteration());
        assertEquals(List.of("checkpoint-e0002.zip"), checkpoints(out));
        List<String> rows = csv(out);
        assertEquals(EpochMetrics.CSV_HEADER, rows.get(0));
        assertEquals(3, rows.size());
        assertTrue(rows.get(1).startsWith("1,") && rows.get(2).startsWith("2,"), rows.toString());
        for (EpochMetrics m : r.history()) {
            assertTrue(Double.isFinite(m.trainLoss()) && Double.isFinite(m.testLoss()), m.toString());
            assertTrue(m.testAccuracy() >= 0 && m.testAccuracy() <= 1 && m.imagesPerSecond() > 0, m.toString());
        }
        assertTrue(
                r.history().get(1).trainLoss() < r.history().get(0).trainLoss(),
                r.history().toString());
        BufferedImage png = ImageIO.read(out.resolve(RunDirectory.CURVES).toFile());
        assertNotNull(png);
        assertEquals(800, png.getWidth());
        // the final evaluation is the one of the last epoch, and the checkpoint restores to the same accuracy
        assertEquals(r.testAccuracy(), r.finalEvaluation().accuracy(), 1e-12);
        ComputationGraph restored = RunDirectory.load(out.resolve("checkpoint-e0002.zip"));
        EvalResult again = Evaluator.evaluate(restored, DATA.test(), 64, Normalization.UNIT);
        assertEquals(r.finalEvaluation().accuracy(), again.accuracy(), 1e-12);
        assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains("epoch 2/2 train loss"));
        // a second fresh run into the same directory is refused
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> trainer().train(config(2), DATA, out));
        assertTrue(e.getMessage().contains("resume the run in " + out), e.getMessage());
    }

    /**
     * What the trainer reports as the loss is the data loss, with the regularization term in its own column; also for
     * a model whose output the trainer cannot read during the training pass (a LossLayer head: loss from
     * {@code score()} minus the regularization term). At a learning rate of 1e-7 the parameters barely move, so the
     * mean training loss equals the cross-entropy of the trained model on the training images.
     */
    @Test
    void reportedLossIsTheDataLossAndTheRegularizationIsItsOwnColumn() throws IOException {
        ModelRegistry registry = new ModelRegistry();
        ModelOptions o = Zoo.get("tiny_cnn_28")
                .defaultOptions()
                .withUpdater(org.dl4jpe.zoo.UpdaterKind.ADAM)
                .withWeightDecay(0.5)
                .withLearningRate(1e-7);
        registry.register(
                new org.dl4jpe.zoo.TinyCnnFamily(),
                org.dl4jpe.zoo.TinyCnnFamily.variant("tiny_cnn_28", "tiny CNN", org.dl4jpe.zoo.TinyCnnFamily.TINY));
        registry.register(
                "tiny_losslayer_28",
                "tiny CNN with a LossLayer head",
                "test",
                o,
                opt -> opt.baseConfiguration()
                        .graphBuilder()
                        .addInputs("input")
                        .setInputTypes(org.deeplearning4j.nn.conf.inputs.InputType.convolutional(28, 28, 1))
                        .addLayer(
                                "conv",
                                new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3)
                                        .stride(2, 2)
                                        .nOut(8)
                                        .activation(org.nd4j.linalg.activations.Activation.RELU)
                                        .build(),
                                "input")
                        .addLayer(
                                "pool",
                                new org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer.Builder(
                                                org.deeplearning4j.nn.conf.layers.PoolingType.AVG)
                                        .build(),
                                "conv")
                        .addLayer(
                                "logits",
                                new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder()
                                        .nOut(10)
                                        .activation(org.nd4j.linalg.activations.Activation.IDENTITY)
                                        .build(),
                                "pool")
                        .addLayer(
                                "head",
                                new org.deeplearning4j.nn.conf.layers.LossLayer.Builder(
                                                org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction.MCXENT)
                                        .activation(org.nd4j.linalg.activations.Activation.SOFTMAX)
                                        .build(),
                                "logits")
                        .setOutputs("head")
                        .build());
        for (String model : new String[] {"tiny_cnn_28", "tiny_losslayer_28"}) {
            Path out = tmp.resolve(model);
            RunConfig c =
                    new RunConfig(model, o, DataSets.FASHION_MNIST_SUBSET, 1, 50, false, Normalization.UNIT, 300, 100);
            TrainResult r = new Trainer(registry, err, Progress.Style.LINES).train(c, DATA, out);
            EpochMetrics m = r.history().get(0);
            ComputationGraph trained = RunDirectory.load(out.resolve(r.state().checkpoint()));
            double reg = trained.calcRegularizationScore(true);
            assertTrue(reg > 0.05, model + ": regularization term " + reg);
            assertEquals(reg, m.regularization(), 1e-6 * reg, model);
            double dataLoss = Evaluator.evaluate(trained, DATA.requireTrain(), 100, Normalization.UNIT)
                    .loss();
            assertEquals(
                    dataLoss,
                    m.trainLoss(),
                    1e-3,
                    model + ": the reported training loss is not the data loss " + "(regularization term " + reg + ")");
            List<String> rows = csv(out);
            assertTrue(rows.get(0).startsWith("epoch,train_loss,regularization,"), rows.get(0));
            assertEquals(m.regularization(), Double.parseDouble(rows.get(1).split(",")[2]), 1e-5 * reg);
        }
        assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains(" reg)"), errBytes.toString());
    }

    @Test
    void aCosineScheduleDrivesTheRateAndAStoppedRunResumesOnTheSameCurve() throws IOException {
        RunConfig cfg = config(2).withSchedule(LrSchedule.cosine(0.5, 1e-4));
        Path straight = tmp.resolve("straight");
        trainer().train(cfg, DATA, straight);
        RunDirectory srd = new RunDirectory(straight);
        ComputationGraph done = srd.loadModel(srd.readState());
        String layer = done.getLayer(0).conf().getLayer().getLayerName();
        // 12 steps: warm-up 3, then cosine from 3e-3 to 1e-4 over 9; after the last one DL4J is at iteration 12
        assertEquals(1e-4, done.getLearningRate(layer), 1e-12, "the rate after the last step is the final one");
        assertEquals(cfg, srd.readState().config(), "the schedule is part of the run's record");

        Path out = tmp.resolve("stopped");
        Trainer t = trainer();
        t.afterIteration(i -> {
            if (i == 4) {
                t.requestStop();
            }
        });
        assertTrue(t.train(cfg, DATA, out).interrupted());
        trainer().resume(out, DATA, 0, Double.NaN);
        RunDirectory ord = new RunDirectory(out);
        assertArrayEquals(
                done.params().data().asFloat(),
                ord.loadModel(ord.readState()).params().data().asFloat(),
                "stopped at step 4 and resumed: the weights of the uninterrupted run");
        RunDirectory constant = new RunDirectory(tmp.resolve("constant"));
        trainer().train(config(2), DATA, constant.dir());
        ComputationGraph flat = constant.loadModel(constant.readState());
        assertEquals(
                flat.getConfiguration().getIterationCount(),
                done.getConfiguration().getIterationCount());
        assertEquals(Zoo.get("tiny_cnn_28").defaultOptions().learningRate(), flat.getLearningRate(layer), 1e-12);
    }

    @Test
    void resumeContinuesFromTheNextEpochWithoutRedoingOne() throws IOException {
        Path out = tmp.resolve("run");
        trainer().train(config(1), DATA, out);
        List<String> afterOne = csv(out);
        assertEquals(2, afterOne.size());
        TrainResult resumed = trainer().resume(out, DATA, 2, Double.NaN);
        List<String> afterTwo = csv(out);
        assertEquals(3, afterTwo.size());
        assertEquals(afterOne.get(1), afterTwo.get(1), "epoch 1 must not be redone");
        assertTrue(afterTwo.get(2).startsWith("2,"));
        assertEquals(12, resumed.state().iteration());
        assertEquals(List.of("checkpoint-e0002.zip"), checkpoints(out));

        // the resumed run equals an uninterrupted one: same data order, same updater state
        TrainResult straight = trainer().train(config(2), DATA, tmp.resolve("straight"));
        assertEquals(
                straight.history().get(1).trainLoss(), resumed.history().get(1).trainLoss(), 1e-4);
        assertEquals(
                straight.history().get(1).testAccuracy(),
                resumed.history().get(1).testAccuracy(),
                1e-9);
    }

    @Test
    void stopMidEpochSavesAndResumesAtTheSameBatch() throws IOException {
        Path out = tmp.resolve("run");
        Trainer t = trainer();
        t.afterIteration(i -> {
            if (i == 8) {
                t.requestStop();
            }
        });
        TrainResult stopped = t.train(config(2), DATA, out);
        assertTrue(stopped.interrupted());
        RunState s = new RunDirectory(out).readState();
        assertEquals(RunState.Status.INTERRUPTED, s.status());
        assertEquals(1, s.epochsDone());
        assertEquals(2, s.batchInEpoch());
        assertEquals(8, s.iteration());
        assertEquals(List.of("checkpoint-e0001-b00002.zip"), checkpoints(out));
        assertEquals(2, csv(out).size());

        TrainResult resumed = trainer().resume(out, DATA, 0, Double.NaN);
        assertEquals(12, resumed.state().iteration());
        assertEquals(RunState.Status.FINISHED, resumed.state().status());
        TrainResult straight = trainer().train(config(2), DATA, tmp.resolve("straight"));
        assertEquals(
                straight.history().get(1).trainLoss(), resumed.history().get(1).trainLoss(), 1e-4);
        assertEquals(
                straight.history().get(1).testAccuracy(),
                resumed.history().get(1).testAccuracy(),
                1e-9);
    }

    @Test
    void nonFiniteLossStopsAndKeepsTheLastGoodCheckpoint() throws IOException {
        Path out = tmp.resolve("run");
        trainer().train(config(1), DATA, out);
        Path ckpt = out.resolve("checkpoint-e0001.zip");
        byte[] stateBefore = Files.readAllBytes(out.resolve(RunDirectory.STATE));
        byte[] ckptBefore = Files.readAllBytes(ckpt);
        NonFiniteLossException e =
                assertThrows(NonFiniteLossException.class, () -> trainer().resume(out, DATA, 3, 1e30));
        assertTrue(e.getMessage().startsWith("training stopped: the training loss became"), e.getMessage());
        assertTrue(e.getMessage().contains("at epoch 2, batch"), e.getMessage());
        assertTrue(e.getMessage().contains(ckpt + " (epoch 1) is kept unchanged"), e.getMessage());
        assertTrue(e.getMessage().contains("resume the run in " + out + " with learningRate below"), e.getMessage());
        assertEquals(ckpt, e.lastGoodCheckpoint());
        assertArrayEquals(stateBefore, Files.readAllBytes(out.resolve(RunDirectory.STATE)));
        assertArrayEquals(ckptBefore, Files.readAllBytes(ckpt));
        assertEquals(List.of("checkpoint-e0001.zip"), checkpoints(out));
        assertEquals(2, csv(out).size());
        // and the run still resumes normally from it
        TrainResult ok = trainer().resume(out, DATA, 2, Double.NaN);
        assertEquals(2, ok.history().size());
    }

    @Test
    void evaluationReportsPerClassAccuracyAndConfusion() {
        ComputationGraph net = Zoo.create("tiny_cnn_28");
        EvalResult r = Evaluator.evaluate(net, DATA.test(), 32, Normalization.UNIT);
        assertEquals(100, r.count());
        long total = 0;
        for (int a = 0; a < 10; a++) {
            assertEquals(10, r.support(a));
            for (int p = 0; p < 10; p++) {
                total += r.confusion()[a][p];
            }
        }
        assertEquals(100, total);
        double mean = 0;
        for (int c = 0; c < 10; c++) {
            mean += r.classAccuracy(c) / 10;
        }
        assertEquals(r.accuracy(), mean, 1e-12, "balanced classes: accuracy is the mean per-class accuracy");
        String report = r.report();
        assertTrue(report.contains("Ankle boot") && report.contains("confusion matrix"), report);
    }
}
