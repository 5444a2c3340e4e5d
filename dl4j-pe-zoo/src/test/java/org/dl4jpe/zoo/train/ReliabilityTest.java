package org.dl4jpe.zoo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.zoo.Zoo;
import org.dl4jpe.zoo.data.DataSets;
import org.dl4jpe.zoo.data.DataSplit;
import org.dl4jpe.zoo.data.ImageSource;
import org.dl4jpe.zoo.data.InvalidDataException;
import org.dl4jpe.zoo.data.Normalization;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11: runs never lose, mix up or silently corrupt work. Faults are injected through the trainer's hooks
 * (after an iteration, before a save, a fake clock) and by editing files, never by sleeping.
 */
class ReliabilityTest {
    @TempDir
    Path tmp;

    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

    /** 300 training and 100 test images: 6 batches of 50 per epoch. */
    private static final DataSplit DATA =
            DataSets.open(DataSets.FASHION_MNIST_SUBSET, 1, 28, 28).limit(300, 100);

    /** A kill -9: nothing after it runs, no checkpoint is saved on the way out. */
    private static final class Killed extends Error {
        private static final long serialVersionUID = 1L;
    }

    @AfterEach
    void forgetSignals() {
        Interrupts.reset();
    }

    private static RunConfig config(String model, int epochs, double dropout) {
        return new RunConfig(
                model,
                Zoo.get(model).defaultOptions().withDropout(dropout),
                DataSets.FASHION_MNIST_SUBSET,
                epochs,
                50,
                false,
                Normalization.UNIT,
                300,
                100);
    }

    private static RunConfig config(int epochs) {
        return config("tiny_cnn_28", epochs, 0);
    }

    private Trainer trainer() {
        return new Trainer(Zoo.registry(), err, Progress.Style.LINES);
    }

    /** Trains {@code cfg} into {@code out} and stops after update {@code iteration} (a mid-epoch checkpoint). */
    private void trainStoppedAt(int iteration, RunConfig cfg, Path out) {
        Trainer t = trainer();
        t.afterIteration(i -> {
            if (i == iteration) {
                t.requestStop();
            }
        });
        assertTrue(t.train(cfg, DATA, out).interrupted());
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static float[] weights(Path run) {
        RunDirectory rd = new RunDirectory(run);
        ComputationGraph net = rd.loadModel(rd.readState());
        return net.params().data().asFloat();
    }

    private static float[] updaterState(Path run) {
        RunDirectory rd = new RunDirectory(run);
        ComputationGraph net = rd.loadModel(rd.readState());
        return net.getUpdater().getStateViewArray().data().asFloat();
    }

    // ---- 1. locks

    @Test
    void aSecondRunIntoADirectoryInUseIsRefusedAtOnceNamingTheHolder() throws IOException {
        Path out = tmp.resolve("run");
        AtomicReference<RuntimeException> second = new AtomicReference<>();
        AtomicReference<RuntimeException> resume = new AtomicReference<>();
        Trainer first = trainer().afterIteration(i -> {
            if (i == 2) {
                second.set(assertThrows(
                        RuntimeException.class, () -> trainer().train(config("tiny_cnn_wide_28", 1, 0), DATA, out)));
            }
            if (i == 8) {
                resume.set(assertThrows(RuntimeException.class, () -> trainer().resume(out, DATA, 0, Double.NaN)));
            }
        });
        first.train(config(2), DATA, out);
        for (RuntimeException e : List.of(second.get(), resume.get())) {
            assertTrue(e instanceof RunLock.DirectoryInUseException, e.toString());
            assertTrue(
                    e.getMessage().contains("in use")
                            && e.getMessage()
                                    .contains("pid " + ProcessHandle.current().pid()),
                    e.getMessage());
        }
        // the first run is intact: its model, its checkpoint
        RunState s = new RunDirectory(out).readState();
        assertEquals("tiny_cnn_28", s.config().model());
        assertEquals(2, s.epochsDone());
        assertTrue(Files.isRegularFile(out.resolve(s.checkpoint())));
    }

    @Test
    void aStaleLockOfADeadProcessDoesNotBlockAResume() throws IOException {
        Path out = tmp.resolve("run");
        trainStoppedAt(3, config(1), out);
        // what kill -9 leaves: the lock file with the dead process's record (the OS released the lock itself)
        Files.writeString(out.resolve(RunLock.FILE), "pe train of tiny_cnn_28 (pid 999999 on elsewhere, since then)");
        TrainResult r = trainer().resume(out, DATA, 0, Double.NaN);
        assertEquals(RunState.Status.FINISHED, r.state().status());
    }

    // ---- 2. ownership

    @Test
    void aNewRunRefusesADirectoryHoldingOtherFilesAndTouchesNone() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("theirs"));
        Files.writeString(out.resolve("checkpoint-important.zip"), "theirs");
        Files.writeString(out.resolve(RunDirectory.METRICS), "theirs");
        Files.writeString(out.resolve(RunDirectory.CURVES), "theirs");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> trainer().train(config(1), DATA, out));
        assertTrue(
                e.getMessage().contains("not empty") && e.getMessage().contains("checkpoint-important.zip"),
                e.getMessage());
        assertEquals(List.of("checkpoint-important.zip", "curves.png", "metrics.csv"), names(out));
        for (String n : names(out)) {
            assertEquals("theirs", Files.readString(out.resolve(n)));
        }
        // a file as --out is refused before anything is trained
        Path file = Files.writeString(tmp.resolve("f"), "x");
        IllegalArgumentException f =
                assertThrows(IllegalArgumentException.class, () -> trainer().train(config(1), DATA, file));
        assertTrue(f.getMessage().contains("is a file"), f.getMessage());
    }

    @Test
    void aDirectoryHoldingOnlyWhatAKilledRunLeftIsReusedAndCleaned() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("run"));
        Files.writeString(out.resolve(RunLock.FILE), "pe train (pid 999999)");
        Files.write(out.resolve(".checkpoint-e0001.zip.tmp"), new byte[1000]);
        Files.writeString(out.resolve(".state.json.tmp"), "{");
        Files.write(out.resolve("checkpoint-e0000-b00003.zip"), new byte[10]);
        trainer().train(config(1), DATA, out);
        assertEquals(
                List.of(RunLock.FILE, "checkpoint-e0001.zip", "curves.png", "metrics.csv", "state.json"), names(out));
    }

    // ---- 4. a checkpoint of another model

    @Test
    void aCheckpointOfAnotherModelIsRefusedByResumeAndEval() throws IOException {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        trainStoppedAt(3, config(1), a);
        // the same parameter count, another configuration: dropout (the fingerprint tells them apart)
        trainStoppedAt(3, config("tiny_cnn_28", 1, 0.5), b);
        String name = new RunDirectory(a).readState().checkpoint();
        Files.copy(b.resolve(name), a.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        InvalidDataException e =
                assertThrows(InvalidDataException.class, () -> trainer().resume(a, DATA, 0, Double.NaN));
        assertTrue(e.getMessage().contains("not this run's checkpoint"), e.getMessage());
        // another model altogether: the parameter count says so
        Path c = tmp.resolve("c");
        trainer().train(config("tiny_cnn_wide_28", 1, 0), DATA, c);
        Files.copy(
                c.resolve("checkpoint-e0001.zip"), a.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        RunDirectory rd = new RunDirectory(a);
        InvalidDataException w = assertThrows(InvalidDataException.class, () -> rd.loadModel(rd.readState()));
        assertTrue(
                w.getMessage().contains("trainable parameters")
                        && w.getMessage().contains("tiny_cnn_28"),
                w.getMessage());
    }

    // ---- 5. edited or inconsistent state

    @Test
    void editedOrInconsistentStateIsRefusedAndChangesAreRecorded() throws IOException {
        Path out = tmp.resolve("run");
        trainer().train(config(2), DATA, out);
        Path state = out.resolve(RunDirectory.STATE);
        String good = Files.readString(state);

        Files.writeString(state, good.replace("\"epochsDone\" : 2", "\"epochsDone\" : 1"));
        InvalidDataException edited =
                assertThrows(InvalidDataException.class, () -> trainer().resume(out, DATA, 3, Double.NaN));
        assertTrue(edited.getMessage().contains("epochsDone is 1 but history has 2"), edited.getMessage());

        Files.writeString(state, good.replace("\"batchSize\" : 50", "\"batchSize\" : 60"));
        InvalidDataException config = assertThrows(InvalidDataException.class, () -> new RunDirectory(out).readState());
        assertTrue(config.getMessage().contains("configHash"), config.getMessage());

        Files.writeString(state, good.replaceFirst("\"format\" : 1,", "\"format\" : 1, \"format\" : 1,"));
        InvalidDataException dup = assertThrows(InvalidDataException.class, () -> new RunDirectory(out).readState());
        assertTrue(dup.getMessage().contains("Duplicate field 'format'"), dup.getMessage());

        Files.writeString(state, good);
        IllegalArgumentException fewer =
                assertThrows(IllegalArgumentException.class, () -> trainer().resume(out, DATA, 1, Double.NaN));
        assertTrue(fewer.getMessage().contains("epochs = 1 is below the 2 epochs"), fewer.getMessage());
        assertEquals(good, Files.readString(state), "a refused resume writes nothing");
        TrainResult same = trainer().resume(out, DATA, 2, Double.NaN);
        assertEquals(2, same.state().config().epochs());
        assertEquals(good, Files.readString(state), "a resume with nothing to do writes nothing");

        // other data is refused; the same data at another place is recorded
        DataSplit other =
                DataSets.open(DataSets.FASHION_MNIST_SUBSET, 1, 28, 28).limit(400, 100);
        InvalidDataException data =
                assertThrows(InvalidDataException.class, () -> trainer().resume(out, other, 3, Double.NaN));
        assertTrue(
                data.getMessage().contains("400 training images")
                        && data.getMessage().contains("300"),
                data.getMessage());
        DataSplit moved = new DataSplit("moved/fashion", DATA.train(), DATA.test());
        TrainResult r = trainer().resume(out, moved, 3, Double.NaN);
        assertEquals("moved/fashion", new RunDirectory(out).readState().config().data());
        assertEquals(3, r.state().epochsDone());
        assertTrue(
                errBytes.toString(StandardCharsets.UTF_8).contains("data fashion-mnist-subset -> moved/fashion"),
                errBytes.toString(StandardCharsets.UTF_8));
    }

    // ---- 6. bad images: found before training; a failure later keeps what was trained

    @Test
    void aBatchThatFailsToLoadKeepsWhatWasTrained() throws IOException {
        ImageSource good = DATA.train();
        int[] calls = {0};
        // the training images, except that the 10th batch fails to load
        ImageSource failing = (ImageSource) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {ImageSource.class}, (proxy, method, args) -> {
                    if (method.getName().equals("load") && ++calls[0] == 10) {
                        throw new InvalidDataException("cannot read image broken.png: injected");
                    }
                    try {
                        return method.invoke(good, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Path out = tmp.resolve("run");
        InvalidDataException e = assertThrows(
                InvalidDataException.class,
                () -> trainer()
                        .checkpointEvery(0, TimeUnit.SECONDS)
                        .train(config(2), new DataSplit("x", failing, DATA.test()), out));
        assertTrue(e.getMessage().contains("broken.png") && e.getMessage().contains("kept in"), e.getMessage());
        RunState s = new RunDirectory(out).readState();
        assertEquals(1, s.epochsDone());
        assertEquals(3, s.batchInEpoch());
        trainer().resume(out, DATA, 0, Double.NaN);
        Path straight = tmp.resolve("straight");
        trainer().train(config(2), DATA, straight);
        assertArrayEquals(weights(straight), weights(out));
    }

    // ---- 7. time-based checkpoints resume mid-epoch exactly

    @Test
    void killsBetweenTimeBasedCheckpointsLoseNothingAndTheFinalWeightsAreExact() throws IOException {
        RunConfig cfg = config("tiny_cnn_28", 2, 0.3);
        Path straight = tmp.resolve("straight");
        trainer().train(cfg, DATA, straight);

        // a fake clock: every reading is 60 s later; a checkpoint is due every 100 s of it (every second batch)
        AtomicLong now = new AtomicLong();
        Path out = tmp.resolve("run");
        int[] killAt = {3, 6, 9, 11};
        for (int k = 0; k <= killAt.length; k++) {
            int at = k < killAt.length ? killAt[k] : Integer.MAX_VALUE;
            Trainer t = trainer()
                    .clock(() -> now.addAndGet(TimeUnit.SECONDS.toNanos(60)))
                    .checkpointEvery(100, TimeUnit.SECONDS)
                    .afterIteration(i -> {
                        if (i == at) {
                            throw new Killed();
                        }
                    });
            try {
                if (k == 0) {
                    t.train(cfg, DATA, out);
                } else {
                    t.resume(out, DATA, 0, Double.NaN);
                }
            } catch (Killed expected) {
                // the process died here
            }
            if (k == 0) {
                // resumable before the first epoch ends
                RunState s = new RunDirectory(out).readState();
                assertEquals(0, s.epochsDone());
                assertTrue(s.batchInEpoch() > 0, s.toString());
            }
        }
        RunState s = new RunDirectory(out).readState();
        assertEquals(RunState.Status.FINISHED, s.status());
        assertEquals(12, s.iteration());
        assertArrayEquals(weights(straight), weights(out));
        assertArrayEquals(updaterState(straight), updaterState(out));
    }

    // ---- 8. temporary files

    @Test
    void temporaryFilesAreRemovedAtStartAndWhenASaveFails() throws IOException {
        Path out = tmp.resolve("run");
        trainStoppedAt(3, config(1), out);
        Files.write(out.resolve(".checkpoint-e0001.zip.tmp"), new byte[1 << 20]);
        Files.writeString(out.resolve(".curves.png.tmp"), "x");
        Files.write(out.resolve("checkpoint-e0001.zip"), new byte[5]); // a save cut short before its state
        Path keep = Files.writeString(out.resolve(".notes.tmp"), "mine");
        // a save that fails: the metrics' temporary file cannot be written (a directory is in the way)
        Trainer failing = trainer().beforeSave(() -> {
            try {
                Files.createDirectories(out.resolve(".metrics.csv.tmp").resolve("blocker"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertThrows(UncheckedIOException.class, () -> failing.resume(out, DATA, 0, Double.NaN));
        Files.delete(out.resolve(".metrics.csv.tmp").resolve("blocker"));
        TrainResult r = trainer().resume(out, DATA, 0, Double.NaN);
        assertEquals(RunState.Status.FINISHED, r.state().status());
        assertTrue(Files.exists(keep), "a temporary file of another name is not ours");
        assertEquals(
                List.of(".notes.tmp", RunLock.FILE, "checkpoint-e0001.zip", "curves.png", "metrics.csv", "state.json"),
                names(out));
    }

    // ---- 9. a signal at any moment: one clear line, a consistent directory

    @Test
    void aSignalDuringASaveEndsWithOneLineAndAConsistentDirectory() throws Exception {
        Path out = tmp.resolve("run");
        AtomicReference<Thread> hook = new AtomicReference<>();
        int[] saves = {0};
        Trainer t = trainer().handleInterrupts(true);
        t.beforeSave(() -> {
            if (++saves[0] == 1) {
                // the JVM runs the shutdown hook in its own thread while the epoch's checkpoint is being saved
                Thread h = new Thread(Interrupts::signalled, "simulated-shutdown");
                hook.set(h);
                h.start();
                while (!Interrupts.requested()) {
                    Thread.onSpinWait();
                }
            }
        });
        TrainResult r = t.train(config(3), DATA, out);
        hook.get().join(TimeUnit.SECONDS.toMillis(60));
        assertFalse(hook.get().isAlive(), "the hook ends once the run has saved and said so");
        assertTrue(r.interrupted());
        List<String> lines = errBytes.toString(StandardCharsets.UTF_8)
                .lines()
                .filter(l -> l.contains("interrupt"))
                .toList();
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("interrupted: stopped at epoch 2, batch 0; checkpoint"), lines.get(0));
        RunState s = new RunDirectory(out).readState();
        assertEquals(1, s.epochsDone());
        assertEquals(List.of(RunLock.FILE, s.checkpoint(), "curves.png", "metrics.csv", "state.json"), names(out));
        assertNotNull(javax.imageio.ImageIO.read(out.resolve("curves.png").toFile()));
    }

    @Test
    void aSignalBeforeTrainingStartsSavesNothingAndSaysSo() throws IOException {
        Interrupts.signalled();
        Path out = tmp.resolve("run");
        TrainResult r = trainer().handleInterrupts(true).train(config(1), DATA, out);
        assertTrue(r.interrupted());
        assertTrue(
                errBytes.toString(StandardCharsets.UTF_8)
                        .contains("interrupted before training started: nothing" + " was saved"),
                errBytes.toString(StandardCharsets.UTF_8));
        assertEquals(List.of(RunLock.FILE), names(out));
        Interrupts.reset();
        assertEquals(
                RunState.Status.FINISHED,
                trainer().train(config(1), DATA, out).state().status());
    }

    // ---- 10. clear errors

    @Test
    void brokenFilesGiveClearErrors() throws IOException {
        Path out = tmp.resolve("run");
        trainer().train(config(1), DATA, out);
        Path state = out.resolve(RunDirectory.STATE);
        String good = Files.readString(state);
        Files.writeString(state, "{\"format\":1}");
        InvalidDataException min = assertThrows(InvalidDataException.class, () -> new RunDirectory(out).readState());
        assertTrue(
                min.getMessage().contains("config is missing")
                        && min.getMessage().contains(state.toString()),
                min.getMessage());
        Files.writeString(state, good);
        Files.write(out.resolve("checkpoint-e0001.zip"), new byte[0]);
        InvalidDataException empty =
                assertThrows(InvalidDataException.class, () -> trainer().resume(out, DATA, 2, Double.NaN));
        assertTrue(empty.getMessage().contains("is empty (0 bytes)"), empty.getMessage());
        Files.write(out.resolve("checkpoint-e0001.zip"), new byte[] {'P', 'K', 3, 4, 1, 2});
        InvalidDataException cut =
                assertThrows(InvalidDataException.class, () -> trainer().resume(out, DATA, 2, Double.NaN));
        assertTrue(cut.getMessage().contains("not a complete zip"), cut.getMessage());
    }
}
