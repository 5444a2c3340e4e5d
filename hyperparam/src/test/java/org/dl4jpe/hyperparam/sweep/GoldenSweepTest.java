package org.dl4jpe.hyperparam.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep directory's definition and candidate records written by an earlier version are still read. The golden
 * files come from {@code ./pe sweep --preset vit-micro-tie --candidates 2 --limit-train 100 --limit-test 50} at the
 * revision that added them (checkpoints and best-model left out); do not regenerate them to make this test pass.
 */
class GoldenSweepTest {
    private static final List<String> FILES = List.of("sweep.json", "records/c0001.json", "records/c0002.json");

    @TempDir
    Path tmp;

    private Path copyOfGoldenSweep() throws IOException {
        Path dir = tmp.resolve("sweep");
        for (String f : FILES) {
            Path target = dir.resolve(f);
            Files.createDirectories(target.getParent());
            try (InputStream in = GoldenSweepTest.class.getResourceAsStream("/golden/sweep/" + f)) {
                if (in == null) {
                    throw new IllegalStateException("golden file sweep/" + f + " is missing");
                }
                Files.copy(in, target);
            }
        }
        return dir;
    }

    @Test
    void anEarlierVersionsSweepDefinitionAndRecordsAreRead() throws IOException {
        Path dir = copyOfGoldenSweep();
        SweepDefinition d = Sweep.readDefinition(dir);
        assertEquals(2, d.settings().candidates());
        assertTrue(d.space().contains("vit_pe_micro_patch4_28"), d.space());

        RecordStore store = new RecordStore(dir, ScoreMetric.ACCURACY).load();
        List<CandidateRecord> all = store.all();
        assertEquals(2, all.size());
        CandidateRecord first = store.get(1);
        assertEquals(CandidateRecord.Status.FINISHED, first.status());
        assertEquals("vit_pe_micro_patch4_28", first.baseModel());
        assertEquals("NONE", first.choices().get("attention"));
        assertEquals(305_034L, first.trainableParameters());
        assertEquals(255_882L, store.get(2).trainableParameters());
        assertEquals(1, store.best().candidate(), "the best of two equal scores is the first");
    }
}
