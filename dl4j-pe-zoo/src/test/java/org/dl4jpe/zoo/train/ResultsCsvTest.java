package org.dl4jpe.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultsCsvTest {
    @TempDir
    Path tmp;

    private static ResultsCsv.Row row(String model, long seed, double accuracy, String runDir) {
        RunConfig config = new RunConfig(
                model,
                org.dl4jpe.zoo.ModelOptions.DEFAULTS.withSeed(seed),
                "fashion-mnist",
                2,
                64,
                false,
                org.dl4jpe.zoo.data.Normalization.UNIT,
                0,
                0);
        return new ResultsCsv.Row(
                model,
                config,
                new ResultsCsv.Outcome(1418, 60000, 10000, accuracy, 12.5),
                runDir,
                new Provenance("0.1.0", "1.0.0-M2.1", "abc123", "17", 2, "2026-12-01T00:00:00Z"));
    }

    @Test
    void aRunReplacesItsOwnRowAndKeepsTheOthers() throws IOException {
        Path f = tmp.resolve("evidence/results.csv");
        ResultsCsv.upsert(f, List.of(row("a", 1, 0.5, "runs/x/a"), row("b", 1, 0.25, "runs/x/b")));
        ResultsCsv.upsert(f, List.of(row("a", 1, 0.75, "runs/x/a"), row("c", 2, 0.125, "runs/y/c")));
        List<String> lines = Files.readAllLines(f);
        assertEquals(String.join(",", ResultsCsv.HEADER), lines.get(0));
        assertTrue(lines.get(0).startsWith("model,parameters,seed,epochs,train_images,test_images,test_accuracy,"));
        assertEquals(4, lines.size(), String.join("\n", lines));
        assertEquals(
                "a,1418,1,2,60000,10000,0.7500,64,adamw,0.001,0.05,constant,false,12.5,fashion-mnist,runs/x/a,"
                        + "abc123,2026-12-01T00:00:00Z",
                lines.get(1));
        assertTrue(lines.get(2).startsWith("b,1418,1,2,60000,10000,0.2500,"), lines.get(2));
        assertTrue(lines.get(3).startsWith("c,1418,2,"), lines.get(3));
    }

    @Test
    void cellsWithCommasAreQuotedAndReadBack() throws IOException {
        Path f = tmp.resolve("r.csv");
        ResultsCsv.upsert(f, List.of(row("a", 1, 0.5, "runs/with,comma \"q\"")));
        ResultsCsv.upsert(f, List.of(row("a", 1, 0.6, "runs/with,comma \"q\"")));
        List<String> lines = Files.readAllLines(f);
        assertEquals(2, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(1).contains(",\"runs/with,comma \"\"q\"\"\","), lines.get(1));
        assertEquals(ResultsCsv.HEADER.size(), ResultsCsv.split(lines.get(1)).size());
    }

    @Test
    void refusesAFileThatIsNotOurs() throws IOException {
        Path f = tmp.resolve("notes.csv");
        Files.writeString(f, "name,score\nx,1\n");
        IOException e = assertThrows(IOException.class, () -> ResultsCsv.upsert(f, List.of(row("a", 1, 0.5, "r"))));
        assertTrue(e.getMessage().contains("is not a results file of this tool"), e.getMessage());
        assertEquals("name,score\nx,1\n", Files.readString(f), "left as it was");
    }

    @Test
    void concurrentWritersLoseNoRow() throws Exception {
        Path f = tmp.resolve("shared.csv");
        int writers = 4;
        int each = 25;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(writers);
        try {
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int id = w;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        ResultsCsv.upsert(f, List.of(row("m" + id, i, 0.5, "runs/w" + id + "/r" + i)));
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> d : done) {
                d.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(writers * each, ResultsCsv.read(f).size(), "every writer's every row is there");
    }
}
