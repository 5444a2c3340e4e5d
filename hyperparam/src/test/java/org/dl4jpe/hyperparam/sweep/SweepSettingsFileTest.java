package org.dl4jpe.hyperparam.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.dl4jpe.zoo.train.Json;
import org.junit.jupiter.api.Test;
import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * {@code sweep.json}'s settings keep their flat format-1 layout although {@link SweepSettings} holds named parts:
 * the golden settings read into the parts and write back to the same JSON, so the settings hash of an earlier
 * sweep still matches.
 */
class SweepSettingsFileTest {

    private static JsonNode goldenSettings() throws IOException {
        try (InputStream in = SweepSettingsFileTest.class.getResourceAsStream("/golden/sweep/sweep.json")) {
            return Json.mapper()
                    .readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                    .get("settings");
        }
    }

    @Test
    void theGoldenSettingsReadIntoTheirPartsAndWriteBackUnchanged() throws IOException {
        JsonNode before = goldenSettings();
        SweepSettings s = Json.read(before.toString(), SweepSettings.class);
        assertEquals("vit-micro-tie", s.space().preset());
        assertEquals(new SweepSettings.Search(GeneratorKind.RANDOM, 3, ScoreMetric.ACCURACY, 42), s.search());
        assertEquals(new SweepSettings.Budget(2, 0, 1), s.budget());
        assertEquals(new SweepSettings.Data("fashion-mnist-subset", 100, 50, 0.1), s.data());
        assertEquals(SweepSettings.Overrides.NONE, s.overrides());
        JsonNode after = Json.mapper().readTree(Json.write(s));
        assertEquals(before, after);
        assertEquals(
                Json.write(Json.mapper().treeToValue(before, Object.class)),
                Json.write(s),
                "the same text, key for key: the settings hash is unchanged");
    }

    @Test
    void onlyTheBudgetIsLeftOutOfTheResumeComparison() {
        SweepSettings s = SweepSettings.defaults();
        SweepSettings more = s.withCandidates(9).withParallel(2).withMaxTimeSeconds(60);
        assertEquals(s, more.withBudget(s.budget()));
        assertTrue(!s.equals(s.withSeed(7).withBudget(s.budget())));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.withGridPoints(1));
        assertEquals("gridPoints = 1 must be at least 2", e.getMessage());
    }
}
