package org.dl4jpe.cli.spark;

import static org.dl4jpe.cli.spark.PeRun.MODEL;
import static org.dl4jpe.cli.spark.PeRun.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.dl4jpe.cli.PeRunner;
import org.dl4jpe.cli.PeRunner.Run;
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
        Run r = ok("train", "--resume", dir.toString(), "--epochs", "2", "--spark", "local[2]");
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
        // progress during the epoch from the workers' accumulators (no training accuracy on Spark)
        assertTrue(
                Pattern.compile("epoch 2/2 \\[[#.]{20}\\] \\d+/\\d+ loss \\d+\\.\\d{4} acc     - ")
                        .matcher(r.err())
                        .find(),
                r.err());
    }

    @Test
    void gradientSharingTrains() throws Exception {
        Path dir = tmp.resolve("share");
        ok(PeRun.train("--epochs", "2", "--spark", "local[2]", "--spark-mode", "sharing", "--out", dir.toString()));
        RunState s = PeRun.assertCompleteRun(dir, 2);
        List<EpochMetrics> h = s.history();
        assertTrue(h.get(1).testLoss() < h.get(0).testLoss(), () -> "test loss did not fall: " + h);
        Map<String, Object> log = DistributedLog.read(dir).get(0);
        assertEquals("SharedTrainingMaster", log.get("trainingMaster"));
        assertEquals(1e-3, ((Number) log.get("threshold")).doubleValue());
    }

    @Test
    void parallelWrapperTrains() throws Exception {
        Path dir = tmp.resolve("pw");
        Run r = ok(PeRun.train("--epochs", "2", "--workers", "2", "--out", dir.toString()));
        RunState s = PeRun.assertCompleteRun(dir, 2);
        List<EpochMetrics> h = s.history();
        assertTrue(h.get(1).testLoss() < h.get(0).testLoss(), () -> "test loss did not fall: " + h);
        assertEquals("ParallelWrapper", DistributedLog.read(dir).get(0).get("engine"));
        assertTrue(r.err().contains("ParallelWrapper (2 workers"), r.err());
        // progress during the epoch, as a local run shows it (the workers measure no training accuracy)
        assertTrue(
                Pattern.compile("epoch 1/2 \\[[#.]{20}\\] 1/\\d+ loss \\d+\\.\\d{4} acc     - ")
                        .matcher(r.err())
                        .find(),
                r.err());
    }

    @Test
    void badOptionsAreRefusedClearly() {
        Run r = PeRunner.pe(PeRun.train(
                "--spark",
                "local[2]",
                "--workers",
                "2",
                "--out",
                tmp.resolve("x").toString()));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("give one of --spark MASTER and --workers N"), r.err());
        r = PeRunner.pe(PeRun.train(
                "--spark",
                "local[2]",
                "--spark-mode",
                "gossip",
                "--out",
                tmp.resolve("y").toString()));
        assertEquals(2, r.code());
        assertTrue(
                r.err().contains("'--spark-mode': expected one of [AVERAGING, SHARING]")
                        && r.err().contains("'gossip'"),
                r.err());
        r = PeRunner.pe(
                PeRun.train("--threshold", "0.01", "--out", tmp.resolve("z").toString()));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("need --spark MASTER"), r.err());
    }
}
