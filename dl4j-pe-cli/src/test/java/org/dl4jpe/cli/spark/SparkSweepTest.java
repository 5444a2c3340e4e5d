package org.dl4jpe.cli.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dl4jpe.cli.PeRunner.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pe sweep --spark local[2]}: two candidates as two Spark tasks at once, the same records and report. */
class SparkSweepTest {
    @TempDir
    Path tmp;

    @Test
    void twoCandidatesAsSparkTasks() throws Exception {
        Path dir = tmp.resolve("sweep");
        Run r = PeRun.ok(
                "sweep",
                "--preset",
                "vit-micro-tie",
                "--candidates",
                "2",
                "--limit-train",
                "200",
                "--limit-test",
                "50",
                "--epochs",
                "1",
                "--batch",
                "32",
                "--parallel",
                "2",
                "--spark",
                "local[2]",
                "--out",
                dir.toString());
        assertTrue(r.err().contains("sweep candidates run as Spark tasks on local[2]"), r.err());
        for (String f : List.of(
                "sweep.json",
                "results.csv",
                "results.json",
                "report.html",
                "best-model.zip",
                "records/c0001.json",
                "records/c0002.json",
                "candidates/c0001/state.json",
                "candidates/c0002/state.json",
                "candidates/c0001/metrics.csv")) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        List<String> csv = Files.readAllLines(dir.resolve("results.csv"));
        assertEquals(3, csv.size(), csv::toString);
        assertTrue(csv.stream().skip(1).allMatch(l -> l.contains("FINISHED") || l.contains("finished")), csv::toString);
        assertTrue(r.out().contains("best model"), r.out());
        // resume: nothing is trained again, the records stay byte-identical
        byte[] before = Files.readAllBytes(dir.resolve("records/c0001.json"));
        Run again = PeRun.ok("sweep", "--resume", dir.toString(), "--spark", "local[2]", "--parallel", "2");
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(dir.resolve("records/c0001.json"))));
        assertEquals(csv, Files.readAllLines(dir.resolve("results.csv")));
        assertTrue(again.out().contains("best model"), again.out());
    }
}
