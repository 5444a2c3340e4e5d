package org.dl4jpe.cli.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dl4jpe.cli.PeRunner;
import org.dl4jpe.cli.PeRunner.Run;
import org.dl4jpe.zoo.train.EpochMetrics;
import org.dl4jpe.zoo.train.RunDirectory;
import org.dl4jpe.zoo.train.RunState;

/** Runs the {@code pe} command line in this JVM, and checks run directories. */
final class PeRun {
    /** A micro ViT-PE (our layers: they must deserialize on executors) on a few hundred shipped images. */
    static final String MODEL = "vit_pe_micro_patch4_28";

    static final String[] SMALL = {
        "--data", "fashion-mnist-subset", "--limit-train", "256", "--limit-test", "100", "--batch", "32"
    };

    private PeRun() {}

    /** {@code pe train MODEL} on the small data, with {@code more}. */
    static String[] train(String... more) {
        return concat(concat(new String[] {"train", MODEL}, SMALL), more);
    }

    /** {@code pe train MODEL} on the first {@code trainImages} and {@code testImages} of the subset. */
    static String[] train(int trainImages, int testImages, String... more) {
        return concat(
                new String[] {
                    "train",
                    MODEL,
                    "--data",
                    "fashion-mnist-subset",
                    "--limit-train",
                    String.valueOf(trainImages),
                    "--limit-test",
                    String.valueOf(testImages),
                    "--batch",
                    "32"
                },
                more);
    }

    static String[] concat(String[] a, String... b) {
        String[] r = new String[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    static Run ok(String... args) {
        Run r = PeRunner.pe(args);
        System.err.println("pe " + String.join(" ", args) + ":\n" + r.err());
        assertEquals(
                0, r.code(), () -> "pe " + String.join(" ", args) + "\nstdout:\n" + r.out() + "\nstderr:\n" + r.err());
        return r;
    }

    /**
     * The run directory after {@code epochs} epochs: state, the epoch's checkpoint (and no other), metrics.csv with
     * one row per epoch, curves.png, finite losses; after 2 epochs or more, a test loss below ln 10 (chance).
     */
    static RunState assertCompleteRun(Path dir, int epochs) throws IOException {
        RunDirectory rd = new RunDirectory(dir);
        RunState s = rd.readState();
        assertEquals(epochs, s.epochsDone());
        assertEquals(RunState.Status.FINISHED, s.status());
        assertEquals(String.format("checkpoint-e%04d.zip", epochs), s.checkpoint());
        assertTrue(Files.isRegularFile(rd.checkpointFile(s)));
        try (var files = Files.list(dir)) {
            assertEquals(
                    1,
                    files.filter(p -> p.getFileName().toString().startsWith("checkpoint-"))
                            .count());
        }
        List<String> csv = Files.readAllLines(rd.metricsFile());
        assertEquals(epochs + 1, csv.size(), csv::toString);
        assertEquals(EpochMetrics.CSV_HEADER, csv.get(0));
        assertTrue(Files.size(rd.curvesFile()) > 1000);
        List<EpochMetrics> h = s.history();
        assertEquals(epochs, h.size());
        for (EpochMetrics m : h) {
            assertTrue(Double.isFinite(m.trainLoss()) && Double.isFinite(m.testLoss()), m::toString);
        }
        if (epochs >= 2) {
            assertTrue(h.get(epochs - 1).testLoss() < Math.log(10), () -> "test loss not below chance: " + h);
        }
        RunDirectory.load(rd.checkpointFile(s));
        return s;
    }
}
