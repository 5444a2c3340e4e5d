package org.dl4jpe.zoo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * {@code state.json} keeps its flat format-1 layout although {@link RunState} holds named parts: the golden file of
 * an earlier version reads into the parts, and writing it back gives the same keys in the same order (plus the
 * keys added since, at the end) with the same values.
 */
class RunStateFileTest {

    private static String golden() throws IOException {
        try (InputStream in = RunStateFileTest.class.getResourceAsStream("/golden/run/state.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<String> keys(JsonNode n) {
        List<String> k = new ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            k.add(it.next());
        }
        return k;
    }

    /** Every value of {@code expected} is in {@code actual} under the same key (keys added since may follow). */
    private static void assertHolds(JsonNode expected, JsonNode actual, String path) {
        if (expected.isObject()) {
            assertTrue(actual.isObject(), path);
            for (String k : keys(expected)) {
                assertTrue(actual.has(k), path + "." + k + " is missing");
                assertHolds(expected.get(k), actual.get(k), path + "." + k);
            }
        } else if (expected.isArray()) {
            assertEquals(expected.size(), actual.size(), path);
            for (int i = 0; i < expected.size(); i++) {
                assertHolds(expected.get(i), actual.get(i), path + "[" + i + "]");
            }
        } else {
            assertEquals(expected, actual, path);
        }
    }

    @Test
    void theGoldenStateReadsIntoItsPartsAndWritesBackInTheSameLayout() throws IOException {
        RunState s = Json.read(golden(), RunState.class);
        assertEquals(RunState.Status.FINISHED, s.status());
        assertEquals(new RunState.Position("checkpoint-e0001.zip", 1, 0, 2, null), s.position());
        assertEquals(1418, s.model().trainableParameters());
        assertArrayEquals(new int[] {1, 28, 28}, s.model().inputShape());
        assertEquals("Ankle boot", s.model().classNames().get(9));
        assertEquals(28, s.config().options().input().height());
        assertEquals(0.003, s.config().options().optimiser().learningRate());
        assertTrue(s.problems().isEmpty(), s.problems().toString());

        JsonNode before = Json.mapper().readTree(golden());
        JsonNode after = Json.mapper().readTree(Json.write(s));
        List<String> expected = new ArrayList<>(keys(before));
        expected.addAll(List.of("configHash", "modelFingerprint", "trainImages")); // added since; null here
        assertEquals(expected, keys(after));
        assertEquals(
                keys(before.get("config").get("options")),
                keys(after.get("config").get("options")));
        assertEquals(before.get("config").get("options"), after.get("config").get("options"));
        assertHolds(before, after, "state");
        RunState again = Json.read(Json.write(s), RunState.class);
        assertEquals(s.config(), again.config());
        assertEquals(s.position(), again.position());
        assertEquals(s.history(), again.history());
        assertEquals(s.model().classNames(), again.model().classNames());
        assertEquals(Json.hash(s.config()), Json.hash(again.config()), "the config hash is that of the same JSON");
    }

    @Test
    void aStatusOrNumberOfTheWrongKindIsNamed() throws IOException {
        ObjectNode n = (ObjectNode) Json.mapper().readTree(golden());
        n.put("status", "paused");
        IOException e =
                assertThrows(IOException.class, () -> Json.read(Json.mapper().writeValueAsString(n), RunState.class));
        assertTrue(
                e.getMessage().contains("status is 'paused'; it is one of running, interrupted, finished"),
                e.getMessage());
        ObjectNode m = (ObjectNode) Json.mapper().readTree(golden());
        m.put("epochsDone", "one");
        e = assertThrows(IOException.class, () -> Json.read(Json.mapper().writeValueAsString(m), RunState.class));
        assertTrue(e.getMessage().contains("epochsDone is \"one\"; it is a whole number"), e.getMessage());
        ObjectNode o = (ObjectNode) Json.mapper().readTree(golden());
        o.remove("status");
        assertEquals(
                List.of("status is missing; it is one of running, interrupted, finished"),
                Json.read(Json.mapper().writeValueAsString(o), RunState.class).problems());
    }
}
