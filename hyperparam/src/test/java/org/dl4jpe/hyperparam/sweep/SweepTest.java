package org.dl4jpe.hyperparam.sweep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.hyperparam.Tiny;
import org.dl4jpe.hyperparam.model.ModelSpace;
import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;
import org.dl4jpe.zoo.ParameterCounts;
import org.dl4jpe.zoo.Zoo;
import org.dl4jpe.zoo.train.RunDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;

/** Sweeps on the shipped Fashion-MNIST subset with a tiny ViT: records, best model, report, failures, parallel. */
class SweepTest {
    @TempDir
    Path tmp;

    @Test
    void threeCandidateSweepRecordsEveryCandidateAndWritesTheReport() throws Exception {
        ModelSpace space = Tiny.vit()
                .axis("attention", new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.QK_VO, Scheme.NONE))
                .build();
        Path dir = tmp.resolve("sweep");
        List<String> events = new ArrayList<>();
        SweepResult r = Sweep.start(Zoo.registry(), space, Tiny.settings(3), dir)
                .listener(new Sweep.Listener() {
                    @Override
                    public synchronized void started(
                            int n,
                            int planned,
                            org.dl4jpe.hyperparam.model.ModelCandidate c,
                            List<String> axes,
                            boolean continued) {
                        events.add("started " + n + "/" + planned);
                    }

                    @Override
                    public synchronized void ended(
                            CandidateRecord rec,
                            CandidateRecord best,
                            int planned,
                            List<String> axes,
                            boolean earlier) {
                        events.add("ended " + rec.candidate() + "/" + planned + " best " + best.candidate());
                    }
                })
                .run();

        assertEquals(3, r.planned());
        assertTrue(r.complete(), r.endReason());
        assertEquals(List.of("attention"), r.axes());
        assertEquals(6, events.size(), events.toString());
        assertEquals("started 1/3", events.get(0));

        // every candidate's record: configuration, seed, score, parameters, time, versions
        Scheme[] order = {Scheme.QO_KV, Scheme.QK_VO, Scheme.NONE};
        Set<String> keys = new HashSet<>();
        for (CandidateRecord c : r.records()) {
            Scheme scheme = order[c.candidate() - 1];
            assertEquals(CandidateRecord.Status.FINISHED, c.status(), c.message());
            assertEquals(scheme.name(), c.choices().get("attention"));
            assertEquals(scheme.name(), c.resolved().config().get("attention"));
            assertEquals("8", c.resolved().config().get("embedDim"));
            assertEquals(Tiny.expectedParameters(scheme, Tie.TRANSPOSE), c.trainableParameters());
            assertEquals(42L, c.resolved().seed());
            assertEquals("accuracy", c.score().metric());
            assertEquals(c.score().validationAccuracy(), c.score().value());
            assertTrue(
                    c.score().value() >= 0 && c.score().value() <= 1,
                    "accuracy " + c.score().value());
            assertTrue(
                    c.score().validationLoss() > 0 && Double.isFinite(c.score().validationLoss()));
            assertTrue(c.timing().trainSeconds() > 0
                    && c.timing().wallSeconds() >= c.timing().trainSeconds());
            assertEquals("1.0.0-M2.1", c.provenance().dl4j());
            assertEquals(System.getProperty("java.version"), c.provenance().java());
            assertNotNull(c.provenance().gitRevision());
            assertEquals(Integer.valueOf(50), c.resolved().batchSize());
            assertEquals(Integer.valueOf(1), c.resolved().epochs());
            assertTrue(Files.isRegularFile(dir.resolve(c.runDirectory()).resolve("state.json")));
            keys.add(c.key());
        }
        assertEquals(3, keys.size(), "three different configurations");
        assertNotEquals(
                r.records().get(0).trainableParameters(),
                r.records().get(2).trainableParameters(),
                "tied and untied attention differ in size");

        // the CSV and JSON hold the same records
        List<String> csv = Files.readAllLines(dir.resolve("results.csv"));
        assertEquals(4, csv.size(), "header and three rows");
        List<String> header = List.of(csv.get(0).split(","));
        for (String col : List.of(
                "candidate",
                "status",
                "score",
                "trainable_parameters",
                "seed",
                "axis_attention",
                "train_seconds",
                "dl4j_version",
                "java_version",
                "git_revision")) {
            assertTrue(header.contains(col), "CSV column " + col + " in " + header);
        }
        for (int i = 1; i <= 3; i++) {
            String[] row = csv.get(i).split(",", -1);
            CandidateRecord c = r.records().get(i - 1);
            assertEquals(Integer.toString(c.candidate()), row[header.indexOf("candidate")]);
            assertEquals(c.choices().get("attention"), row[header.indexOf("axis_attention")]);
            assertEquals(c.trainableParameters().toString(), row[header.indexOf("trainable_parameters")]);
            assertEquals(c.score().value(), Double.parseDouble(row[header.indexOf("score")]), 1e-5);
        }
        JsonNode json = org.dl4jpe.zoo.train.Json.mapper()
                .readTree(dir.resolve("results.json").toFile());
        assertEquals(3, json.get("candidates").size());
        assertEquals(r.best().candidate(), json.get("bestCandidate").asInt());
        for (int i = 1; i <= 3; i++) {
            assertTrue(Files.isRegularFile(dir.resolve("records").resolve(String.format("c%04d.json", i))));
        }

        // the best candidate is the best score, its model is saved, and it was evaluated on the test split
        CandidateRecord best = r.best();
        for (CandidateRecord c : r.records()) {
            assertTrue(c.score().value() <= best.score().value(), "best has the highest validation accuracy");
        }
        ComputationGraph bestNet = RunDirectory.load(dir.resolve("best-model.zip"));
        assertEquals((long) best.trainableParameters(), ParameterCounts.trainable(bestNet));
        ComputationGraph bestCheckpoint =
                RunDirectory.load(dir.resolve(best.runDirectory()).resolve("checkpoint-e0001.zip"));
        assertArrayEquals(
                bestCheckpoint.params().toFloatVector(),
                bestNet.params().toFloatVector(),
                "best-model.zip is the best candidate's trained model");
        assertNotNull(r.bestTest());
        assertEquals(50, r.bestTest().count());

        // the report: both plots embedded and written, one table row per candidate
        String html = Files.readString(dir.resolve("report.html"));
        Matcher m = Pattern.compile("data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
        int images = 0;
        while (m.find()) {
            BufferedImage img =
                    ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1))));
            assertNotNull(img, "embedded PNG decodes");
            assertEquals(800, img.getWidth());
            images++;
        }
        assertEquals(2, images, "score-vs-parameters and score-per-candidate plots");
        for (String png : List.of("score-per-candidate.png", "score-vs-parameters.png")) {
            assertNotNull(ImageIO.read(dir.resolve(png).toFile()), png);
        }
        for (CandidateRecord c : r.records()) {
            assertTrue(html.contains("<td>" + c.choices().get("attention") + "</td>"), "row of " + c.candidate());
            assertTrue(html.contains(String.format("%,d", c.trainableParameters())));
        }
        assertTrue(html.contains("class=\"best\""));
        assertTrue(html.contains("marker colour by attention."), "the size plot groups by tie scheme");
        String md = Files.readString(dir.resolve("results.md"));
        assertEquals(5, md.lines().count(), md);
    }

    @Test
    void aFailingCandidateIsRecordedAndTheOthersRunInParallel() throws Exception {
        ModelSpace space = Tiny.vit()
                .axis("numHeads", new DiscreteParameterSpace<>(2, 3, 4))
                .build();
        Path dir = tmp.resolve("failing");
        Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        SweepResult r = Sweep.start(Zoo.registry(), space, Tiny.settings(3).withParallel(2), dir)
                .afterIteration((c, i) -> threads.add(Thread.currentThread().getName()))
                .run();

        assertEquals(3, r.records().size());
        CandidateRecord failed = r.records().get(1);
        assertEquals(CandidateRecord.Status.FAILED, failed.status());
        assertEquals("3", failed.choices().get("numHeads"));
        assertTrue(failed.message().contains("numHeads 3 does not divide embedDim 8"), failed.message());
        assertNull(failed.score().value());
        assertNull(failed.trainableParameters());
        assertEquals(CandidateRecord.Status.FINISHED, r.records().get(0).status());
        assertEquals(CandidateRecord.Status.FINISHED, r.records().get(2).status());
        assertEquals(2, threads.size(), "the two trainable candidates ran in two threads: " + threads);
        String csv = Files.readString(dir.resolve("results.csv"));
        assertTrue(csv.contains("FAILED"), csv);
        assertTrue(csv.contains("numHeads 3 does not divide embedDim 8"));
        assertTrue(Files.readString(dir.resolve("report.html")).contains("numHeads 3 does not divide embedDim 8"));
        Map<String, String> cfg = r.records().get(2).resolved().config();
        assertEquals("4", cfg.get("numHeads"));
    }
}
