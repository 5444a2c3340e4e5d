package org.dl4jpe.hyperparam.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.dl4jpe.zoo.train.Json;
import org.junit.jupiter.api.Test;
import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * A candidate record keeps its flat format-1 layout although {@link CandidateRecord} holds named parts: the golden
 * record of an earlier version reads into the parts and writes back key for key, value for value.
 */
class CandidateRecordFileTest {

    private static String golden(String name) throws IOException {
        try (InputStream in = CandidateRecordFileTest.class.getResourceAsStream("/golden/sweep/records/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void theGoldenRecordReadsIntoItsPartsAndWritesBackUnchanged() throws IOException {
        String text = golden("c0001.json");
        CandidateRecord r = Json.read(text, CandidateRecord.class);
        assertEquals(new CandidateRecord.Score("accuracy", 0.1, 0.1, 2.3429504008370796), r.score());
        assertEquals(new CandidateRecord.Size(305_034L, 305_034L), r.size());
        assertEquals(64, r.resolved().batchSize());
        assertEquals(42L, r.resolved().seed());
        assertEquals("ADAMW", r.resolved().options().get("updater"));
        assertEquals("vit", r.drawn().family());
        assertEquals("candidates/c0001", r.runDirectory());
        assertEquals(6.940343387, r.timing().trainSeconds());

        JsonNode before = Json.mapper().readTree(text);
        JsonNode after = Json.mapper().readTree(Json.write(r));
        List<String> keys = new ArrayList<>();
        before.fieldNames().forEachRemaining(keys::add);
        List<String> written = new ArrayList<>();
        after.fieldNames().forEachRemaining(written::add);
        assertEquals(keys, written);
        assertEquals(before, after);
    }

    @Test
    void aBuilderLeavesWhatItWasNotGivenEmpty() throws IOException {
        CandidateRecord failed = CandidateRecord.builder(3, CandidateRecord.Status.FAILED)
                .message("no memory")
                .build();
        assertEquals(CandidateRecord.FORMAT, failed.format());
        assertNull(failed.score().value());
        assertEquals(Double.NaN, failed.scoreOrNaN());
        assertNull(failed.trainableParameters());
        JsonNode n = Json.mapper().readTree(Json.write(failed));
        assertEquals("FAILED", n.get("status").textValue());
        assertEquals(25, n.size(), "every format-1 key is written, null when absent");
        assertEquals(failed, Json.read(Json.write(failed), CandidateRecord.class));
    }
}
