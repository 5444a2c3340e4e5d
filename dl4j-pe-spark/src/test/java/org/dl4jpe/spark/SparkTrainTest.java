package org.dl4jpe.spark;

import static org.dl4jpe.spark.PeRun.MODEL;
import static org.dl4jpe.spark.PeRun.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dl4jpe.spark.train.DistributedLog;
import org.dl4jpe.zoo.train.EpochMetrics;
import org.dl4jpe.zoo.train.RunState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pe train --spark local[2]} with each training master, and {@code --resume}. */
class SparkTrainTest {
    @TempDir
    Path tmp;

    @Test
    void parameterAveragingTrainsAndResumes() throws Exception {
        Path dir = tmp.resolve("avg");
        ok(PeRun.train("--epochs", "1", "--spark", "local[2]", "--out", dir.toString()));
        RunState one = PeRun.assertCompleteRun(dir, 1);
        PeRun.Result r = ok("train", "--resume", dir.toString(), "--epochs", "2", "--spark", "local[2]");
        RunState two = PeRun.assertCompleteRun(dir, 2);
        assertEquals(one.history().get(0), two.history().get(0), "resume keeps the first epoch's metrics");
        List<EpochMetrics> h = two.history();
        assertTrue(h.get(1).testLoss() < h.get(0).testLoss(), () -> "test loss did not fall: " + h);
        List<Map<String, Object>> log = DistributedLog.read(dir);
        assertEquals(2, log.size());
        assertEquals("ParameterAveragingTrainingMaster", log.get(0).get("trainingMaster"));
        assertEquals(2, ((Number) log.get(0).get("workers")).intValue());
        assertEquals(1, ((Number) log.get(1).get("fromEpoch")).intValue());
        assertTrue(r.err().contains("resuming " + MODEL), r.err());
    }
}
