package org.dl4jpe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The libraries' field names become this command line's flags; plain words stay words. */
class FlagsTest {

    @Test
    void fieldAssignmentsBecomeFlags() {
        assertEquals(
                "--limit-train -1 and --limit-test 0 must be >= 0 (0 = all)",
                Flags.of("limitTrain = -1 and limitTest = 0 must be >= 0 (0 = all)"));
        assertEquals("--batch 0 must be positive", Flags.of("batchSize = 0 must be positive"));
        assertEquals(
                "--spark-mode 'gossip' is not one of averaging, sharing",
                Flags.of("mode = 'gossip' is not one of averaging, sharing"));
        // the learning-rate schedule's fields; learningRate inside minLearningRate stays part of its word
        assertEquals(
                "--min-lr 0.01 is above the learning rate 0.001",
                Flags.of("minLearningRate = 0.01 is above the learning rate 0.001"));
        assertEquals(
                "--warmup-epochs -1.0 must be >= 0 and finite",
                Flags.of("warmupEpochs = -1.0 must be >= 0 and finite"));
    }

    @Test
    void plainWordsAndUnknownFieldsStay() {
        assertEquals(
                "--data d: 10 training images; a resumed run continues on the same data",
                Flags.of("data = d: 10 training images; a resumed run continues on the same data"));
        assertEquals("numClasses = 3 is not the data's 10", Flags.of("numClasses = 3 is not the data's 10"));
        assertEquals("metadata = x", Flags.of("metadata = x"));
    }

    @Test
    void resumeAdviceBecomesTheResumeOption() {
        assertEquals(
                "--out runs/r already holds a run (state.json); continue it (--resume runs/r) or choose"
                        + " another --out",
                Flags.of("out = runs/r already holds a run (state.json); continue it (resume the run in runs/r) or"
                        + " choose another out directory"));
        assertEquals("stopped; continue: --resume runs/s", Flags.of("stopped; continue: resume the sweep in runs/s"));
    }

    @Test
    void theLibrariesStreamRewritesWholeLines() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = Flags.stream(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        err.print("\r[####....] epoch 1");
        err.println("interrupted: continue: resume the run in runs/x");
        assertEquals(
                "\r[####....] epoch 1interrupted: continue: --resume runs/x" + System.lineSeparator(),
                bytes.toString(StandardCharsets.UTF_8));
    }
}
