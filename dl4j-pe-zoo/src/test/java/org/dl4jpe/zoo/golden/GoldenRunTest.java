package org.dl4jpe.zoo.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.zoo.Zoo;
import org.dl4jpe.zoo.data.Normalization;
import org.dl4jpe.zoo.train.EvalResult;
import org.dl4jpe.zoo.train.Evaluator;
import org.dl4jpe.zoo.train.Progress;
import org.dl4jpe.zoo.train.RunDirectory;
import org.dl4jpe.zoo.train.RunState;
import org.dl4jpe.zoo.train.TrainResult;
import org.dl4jpe.zoo.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run directory written by an earlier version ({@link GoldenRun}: state.json, metrics.csv, checkpoint) is still
 * read, evaluated to the accuracy it recorded, and resumed.
 */
class GoldenRunTest {
    private static final List<String> FILES = List.of("state.json", "metrics.csv", "checkpoint-e0001.zip");

    @TempDir
    Path tmp;

    private Path copyOfGoldenRun() throws IOException {
        Path dir = tmp.resolve("run");
        Files.createDirectories(dir);
        for (String f : FILES) {
            try (InputStream in = GoldenRunTest.class.getResourceAsStream("/golden/run/" + f)) {
                if (in == null) {
                    throw new IllegalStateException("golden file run/" + f + " is missing");
                }
                Files.copy(in, dir.resolve(f));
            }
        }
        return dir;
    }

    @Test
    void anEarlierVersionsRunIsReadEvaluatedAndResumed() throws IOException {
        Path dir = copyOfGoldenRun();
        RunDirectory rd = new RunDirectory(dir);
        RunState state = rd.readState();
        assertEquals(GoldenRun.config(GoldenRun.EPOCHS), state.config());
        assertEquals(1, state.epochsDone());
        assertEquals(1, state.history().size());
        assertEquals(Zoo.get("tiny_cnn_28").trainableParameters(), state.trainableParameters());

        ComputationGraph net = rd.loadModel(state);
        EvalResult eval = Evaluator.evaluate(net, GoldenRun.data().test(), 64, Normalization.UNIT);
        assertEquals(
                state.history().get(0).testAccuracy(),
                eval.accuracy(),
                1e-12,
                "the checkpoint evaluates to the accuracy its run recorded");

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        TrainResult resumed = new Trainer(
                        Zoo.registry(), new PrintStream(err, true, StandardCharsets.UTF_8), Progress.Style.LINES)
                .resume(dir, GoldenRun.data(), 2, Double.NaN);
        assertEquals(2, resumed.history().size(), err.toString(StandardCharsets.UTF_8));
        assertEquals(state.history().get(0), resumed.history().get(0), "the recorded epoch is kept");
        List<String> metrics = Files.readAllLines(dir.resolve("metrics.csv"));
        assertEquals(3, metrics.size());
        assertTrue(metrics.get(2).startsWith("2,"), metrics.toString());
    }
}
