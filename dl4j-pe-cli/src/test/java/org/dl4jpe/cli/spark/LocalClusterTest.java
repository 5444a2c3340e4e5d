package org.dl4jpe.cli.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.dl4jpe.cli.PeCommand;
import org.dl4jpe.spark.train.DistributedLog;
import org.dl4jpe.zoo.train.EpochMetrics;
import org.dl4jpe.zoo.train.RunDirectory;
import org.dl4jpe.zoo.train.RunState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parameter averaging across two executor JVMs ({@code local-cluster[2,1,1024]}, started from Maven's jars alone):
 * the executors deserialize our layers' configuration, train, and the run directory is the same as a local run's.
 * The resumed epoch loses an executor JVM (killed mid-epoch): Spark retries its tasks on the relaunched executor,
 * or the run fails with a message and the epoch-1 checkpoint intact, and a second resume finishes it.
 */
class LocalClusterTest {
    @TempDir
    Path tmp;

    @Test
    void twoExecutorJvmsTrainResumeAndSurviveALostExecutor() throws Exception {
        Path dir = tmp.resolve("cluster");
        String master = "local-cluster[2,1,1024]";
        PeRun.ok(PeRun.train(128, 50, "--epochs", "1", "--spark", master, "--out", dir.toString()));
        RunState one = PeRun.assertCompleteRun(dir, 1);
        assertEquals(2, ((Number) DistributedLog.read(dir).get(0).get("executors")).intValue());

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        AtomicInteger code = new AtomicInteger(-1);
        PrintStream outStream = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Thread run = new Thread(() -> code.set(PeCommand.execute(
                new String[] {"train", "--resume", dir.toString(), "--epochs", "2", "--spark", master},
                outStream,
                errStream,
                null,
                false)));
        run.start();
        long killed = -1;
        long deadline = System.currentTimeMillis() + 240_000;
        while (run.isAlive() && killed < 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
            if (err.toString(StandardCharsets.UTF_8).contains("epoch 2/2 on Spark")) {
                Thread.sleep(2000);
                List<ProcessHandle> executors = ProcessHandle.current()
                        .descendants()
                        .filter(LocalClusterTest::isExecutor)
                        .toList();
                assertEquals(2, executors.size(), "executor JVMs of " + master);
                killed = executors.get(0).pid();
                executors.get(0).destroyForcibly();
            }
        }
        run.join(300_000);
        assertTrue(!run.isAlive(), "the resumed run did not end");
        String log = err.toString(StandardCharsets.UTF_8);
        System.err.println("resume with a killed executor (pid " + killed + "), exit " + code.get() + ":\n" + log);
        assertTrue(killed > 0, "no executor was killed: " + log);
        RunDirectory rd = new RunDirectory(dir);
        if (code.get() != 0) {
            // a clear failure, and the last checkpoint is the epoch-1 one, intact
            assertTrue(log.contains("pe train:"), log);
            RunState s = rd.readState();
            assertEquals(1, s.epochsDone());
            RunDirectory.load(rd.checkpointFile(s));
            PeRun.ok("train", "--resume", dir.toString(), "--epochs", "2", "--spark", master);
        }
        RunState two = PeRun.assertCompleteRun(dir, 2);
        assertEquals(one.history().get(0), two.history().get(0));
        List<EpochMetrics> h = two.history();
        assertTrue(h.get(1).testLoss() < h.get(0).testLoss(), () -> "test loss did not fall: " + h);
    }

    /** A Spark executor JVM (its command line names CoarseGrainedExecutorBackend). */
    private static boolean isExecutor(ProcessHandle p) {
        try {
            byte[] cmd = java.nio.file.Files.readAllBytes(Path.of("/proc/" + p.pid() + "/cmdline"));
            return new String(cmd, StandardCharsets.UTF_8).contains("CoarseGrainedExecutorBackend");
        } catch (java.io.IOException e) {
            return p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend");
        }
    }
}
