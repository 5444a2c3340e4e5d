package org.dl4jpe.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LrScheduleTest {

    @Test
    void cosineTurnsEpochsIntoSteps() {
        LrSchedule s = LrSchedule.cosine(0.5, 1e-5);
        WarmupCosineSchedule w = (WarmupCosineSchedule) s.perIteration(1e-3, 10, 4);
        assertEquals(new WarmupCosineSchedule(1e-3, 1e-5, 5, 40), w);
        assertEquals("cosine (warm-up 0.5 epochs, to 1.0E-5)", s.describe());
        assertEquals("cosine (warm-up 1 epoch, to 0)", LrSchedule.cosine(1, 0).describe());
        assertNull(LrSchedule.CONSTANT.perIteration(1e-3, 10, 4), "constant: DL4J's fixed rate");
        assertEquals("constant", LrSchedule.CONSTANT.describe());
    }

    @Test
    void refusesWhatDoesNotFitTheRun() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> LrSchedule.cosine(2, 0).perIteration(1e-3, 10, 2));
        assertTrue(
                e.getMessage()
                        .contains("warmupEpochs = 2.0 (20 steps) must be shorter than the run's 2 epochs (20"
                                + " steps)"),
                e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class, () -> LrSchedule.cosine(0, 1e-2).perIteration(1e-3, 10, 2));
        assertTrue(e.getMessage().contains("minLearningRate = 0.01 is above the learning rate 0.001"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(LrSchedule.Kind.CONSTANT, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.cosine(-1, 0));
        assertEquals(LrSchedule.CONSTANT, new LrSchedule(null, 0, 0), "absent in older state files: constant");
    }
}
