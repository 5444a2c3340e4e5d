package org.dl4jpe.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.RegisteredModel;
import org.dl4jpe.zoo.Zoo;
import org.junit.jupiter.api.Test;

class ModelThroughputTest {

    @Test
    void ratesComeFromTheMedianStep() {
        assertEquals(3.0, ModelThroughput.median(new long[] {9, 1, 3}), 0);
        assertEquals(2.5, ModelThroughput.median(new long[] {4, 1, 100, 2, 3, 1}), 0);
    }

    @Test
    void measuresTheMemoryOfTrainingSteps() {
        RegisteredModel m = Zoo.registry().get("tiny_cnn_28");
        ModelOptions o = m.defaultOptions();
        ModelThroughput.Result r = ModelThroughput.measure(m, o, 4, 1, 2);
        TrainingMemory mem = r.memory();
        long params = m.create(o).numParams();
        assertEquals(params * o.dataType().width(), mem.parameterBytes(), "parameter bytes");
        // AdamW keeps two moments per parameter
        assertEquals(2 * mem.parameterBytes(), mem.updaterBytes(), "updater bytes");
        assertEquals(mem.parameterBytes() + mem.updaterBytes(), mem.modelStateBytes());
        assertTrue(mem.heapPeakBytes() > 0, mem.toString());
        if (java.nio.file.Files.exists(java.nio.file.Path.of("/proc/self/status"))) {
            assertTrue(
                    mem.peakRssBytes() > mem.modelStateBytes() + (16 << 20),
                    "the process's peak RSS holds the JVM and the model's arrays: " + mem);
        }
    }
}
