package org.dl4jpe.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {
    private static String lines(java.util.function.Consumer<Progress> draw) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        draw.accept(new Progress(out, Progress.Style.LINES, 3600));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void linesShowTheEpochsFirstUpdateThenOnePerInterval() {
        String text = lines(p -> {
            p.update("A", 1, 2, 5, 10, 1.25, 0.5, 0.375, 120, 65);
            p.update("A", 1, 2, 6, 10, 1.0, 0.5, 0.4, 120, 60); // within the interval: not shown
        });
        assertEquals(
                "A epoch 1/2 [##########..........] 5/10 loss 1.2500 (+0.5000 reg) acc  37.5%    120 img/s ETA 1:05\n",
                text);
    }

    @Test
    void whatAnEngineDoesNotMeasureIsADash() {
        String text = lines(p -> p.update("", 2, 3, 1, 4, Double.NaN, 0, Double.NaN, 64, Double.NaN));
        assertEquals("epoch 2/3 [#####...............] 1/4 loss - acc     -     64 img/s ETA --:--\n", text);
    }

    @Test
    void aClearedProgressShowsTheNextUpdateAgain() {
        String text = lines(p -> {
            p.update("", 1, 1, 1, 4, 2.0, 0, 0.5, 10, 3);
            p.clear();
            p.update("", 1, 1, 2, 4, 1.5, 0, 0.5, 10, 2);
        });
        assertEquals(2, text.lines().count(), text);
    }

    @Test
    void minibatchesDoneElsewhereGiveTheRateAndEtaFromTheirCount() {
        // 2,000 of 4,000 minibatches of 10 images, 1,000 s after the start: 20 images/s, 1,000 s to go (a pause of
        // the test of a few seconds moves neither figure out of its rounding)
        long start = System.nanoTime() - 1_000_000_000_000L;
        String text = lines(p -> p.minibatchesDone(1, 3, 2000, 4000, 0.75, 10, start));
        assertTrue(
                text.matches(
                        "epoch 1/3 \\[#{10}\\.{10}\\] 2000/4000 loss 0\\.7500 acc     -     20 img/s ETA 16:4[0-2]\n"),
                text);
    }
}
