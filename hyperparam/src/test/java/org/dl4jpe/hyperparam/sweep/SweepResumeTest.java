package org.dl4jpe.hyperparam.sweep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.dl4jpe.hyperparam.Tiny;
import org.dl4jpe.hyperparam.model.ModelCandidate;
import org.dl4jpe.hyperparam.model.ModelSpace;
import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;
import org.dl4jpe.zoo.Zoo;
import org.dl4jpe.zoo.train.RunDirectory;
import org.dl4jpe.zoo.train.RunState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sweep interrupted after two of four candidates, in the middle of the third, resumes: nothing redone or lost. */
class SweepResumeTest {
    @TempDir
    Path tmp;

    /** Two epochs of one batch each, so that a candidate can be stopped between its first and second update. */
    private static ModelSpace space() {
        return Tiny.vit()
                .epochs(2)
                .axis("attention", new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.NONE))
                .axis("mlpTie", new DiscreteParameterSpace<>(Tie.TRANSPOSE, Tie.NONE))
                .build();
    }

    /** What a run did: candidates started (number, continued), records handed back from earlier, updates. */
    private static final class Log implements Sweep.Listener {
        final List<String> started = new CopyOnWriteArrayList<>();
        final List<Integer> earlier = new CopyOnWriteArrayList<>();
        final List<String> updates = new CopyOnWriteArrayList<>();

        @Override
        public void started(int n, int planned, ModelCandidate c, List<String> axes, boolean continued) {
            started.add(n + (continued ? " continued" : ""));
        }

        @Override
        public void ended(
                CandidateRecord r, CandidateRecord best, int planned, List<String> axes, boolean fromEarlier) {
            if (fromEarlier) {
                earlier.add(r.candidate());
            }
        }
    }

    @Test
    void interruptedSweepResumesWithoutRedoingFinishedCandidates() throws Exception {
        Path dir = tmp.resolve("sweep");
        SweepSettings settings = Tiny.settings(4);

        Log first = new Log();
        Sweep run1 = Sweep.start(Zoo.registry(), space(), settings, dir).listener(first);
        run1.afterIteration((candidate, iteration) -> {
            first.updates.add(candidate + ":" + iteration);
            if (candidate == 3 && iteration == 1) {
                run1.requestStop();
            }
        });
        SweepResult r1 = run1.run();

        assertEquals(List.of("1", "2", "3"), first.started, "candidate 4 never started");
        assertEquals(List.of("1:1", "1:2", "2:1", "2:2", "3:1"), first.updates);
        assertEquals(2, r1.records().size());
        assertFalse(r1.complete());
        assertEquals("stopped", r1.endReason());
        RunState interrupted = new RunDirectory(dir.resolve("candidates/c0003")).readState();
        assertEquals(RunState.Status.INTERRUPTED, interrupted.status());
        assertEquals(1, interrupted.batchInEpoch());
        assertFalse(Files.exists(dir.resolve("candidates/c0004")));
        assertFalse(Files.exists(dir.resolve("records/c0003.json")), "an interrupted candidate has no record");

        Map<Path, byte[]> before = new LinkedHashMap<>();
        Map<Path, FileTime> times = new LinkedHashMap<>();
        for (String f : List.of(
                "records/c0001.json",
                "records/c0002.json",
                "candidates/c0001/checkpoint-e0002.zip",
                "candidates/c0002/checkpoint-e0002.zip",
                "candidates/c0001/state.json")) {
            before.put(dir.resolve(f), Files.readAllBytes(dir.resolve(f)));
            times.put(dir.resolve(f), Files.getLastModifiedTime(dir.resolve(f)));
        }

        Log second = new Log();
        Sweep run2 = Sweep.resume(Zoo.registry(), dir, space(), settings).listener(second);
        run2.afterIteration((candidate, iteration) -> second.updates.add(candidate + ":" + iteration));
        SweepResult r2 = run2.run();

        assertEquals(List.of(1, 2), second.earlier, "finished candidates are handed back from their records");
        assertEquals(List.of("3 continued", "4"), second.started, "only the unfinished candidates train");
        assertEquals(
                List.of("3:2", "4:1", "4:2"),
                second.updates,
                "candidate 3 continues with its second update; 1 and 2 are not trained again");
        assertTrue(r2.complete(), r2.endReason());
        assertEquals(4, r2.records().size());
        for (Map.Entry<Path, byte[]> e : before.entrySet()) {
            assertArrayEquals(e.getValue(), Files.readAllBytes(e.getKey()), e.getKey() + " unchanged");
            assertEquals(times.get(e.getKey()), Files.getLastModifiedTime(e.getKey()), e.getKey() + " not rewritten");
        }
        List<String> keys = new ArrayList<>();
        for (CandidateRecord c : r2.records()) {
            assertEquals(CandidateRecord.Status.FINISHED, c.status(), c.message());
            keys.add(c.choices().get("attention") + "/" + c.choices().get("mlpTie"));
        }
        assertEquals(
                List.of("QO_KV/TRANSPOSE", "NONE/TRANSPOSE", "QO_KV/NONE", "NONE/NONE"),
                keys,
                "the resumed generator drew the same sequence");
        RunState third = new RunDirectory(dir.resolve("candidates/c0003")).readState();
        assertEquals(2, third.epochsDone());
        assertEquals(2, third.iteration(), "two updates in all: one before the interruption, one after");
        assertEquals(5, Files.readAllLines(dir.resolve("results.csv")).size());
        assertEquals(
                Tiny.expectedParameters(Scheme.NONE, Tie.NONE),
                r2.records().get(3).trainableParameters());
    }

    @Test
    void resumeRefusesAnotherSpaceOrChangedSettings() {
        Path dir = tmp.resolve("refuse");
        SweepSettings settings = Tiny.settings(1);
        Sweep.start(Zoo.registry(), space(), settings, dir).run();

        ModelSpace other = Tiny.vit()
                .axis("attention", new DiscreteParameterSpace<>(Scheme.QK_VO))
                .build();
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Sweep.resume(Zoo.registry(), dir, other, settings));
        assertTrue(e.getMessage().contains("the space differs"), e.getMessage());

        e = assertThrows(
                IllegalArgumentException.class, () -> Sweep.resume(Zoo.registry(), dir, space(), settings.withSeed(7)));
        assertTrue(e.getMessage().contains("only candidates, maxTimeSeconds and parallel can change"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> Sweep.start(Zoo.registry(), space(), settings, dir));
        assertTrue(e.getMessage().contains("already holds a sweep"), e.getMessage());

        SweepResult more = Sweep.resume(Zoo.registry(), dir, space(), settings.withCandidates(2))
                .run();
        assertEquals(2, more.records().size(), "a larger budget extends the sweep");
    }
}
