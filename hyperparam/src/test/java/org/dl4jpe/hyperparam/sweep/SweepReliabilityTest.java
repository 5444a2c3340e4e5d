package org.dl4jpe.hyperparam.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicReference;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.dl4jpe.hyperparam.Tiny;
import org.dl4jpe.hyperparam.model.ModelSpace;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;
import org.dl4jpe.zoo.Zoo;
import org.dl4jpe.zoo.data.InvalidDataException;
import org.dl4jpe.zoo.train.RunLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 11 for sweeps: locks, foreign directories, validated sweep.json and records, a verified best model. */
class SweepReliabilityTest {
    @TempDir
    Path tmp;

    private static ModelSpace space() {
        return Tiny.vit()
                .axis("attention", new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.NONE))
                .build();
    }

    @Test
    void aSecondSweepIntoADirectoryInUseIsRefusedAtOnce() {
        Path dir = tmp.resolve("s");
        SweepSettings settings = Tiny.settings(2);
        AtomicReference<RuntimeException> second = new AtomicReference<>();
        Sweep first = Sweep.start(Zoo.registry(), space(), settings, dir);
        first.afterIteration((c, i) -> {
            if (c == 1 && second.get() == null) {
                second.set(assertThrows(
                        RuntimeException.class,
                        () -> Sweep.resume(Zoo.registry(), dir, space(), settings)
                                .run()));
            }
        });
        SweepResult r = first.run();
        assertEquals(2, r.records().size());
        assertTrue(second.get() instanceof RunLock.DirectoryInUseException, String.valueOf(second.get()));
        assertTrue(
                second.get()
                        .getMessage()
                        .contains("pe sweep (pid " + ProcessHandle.current().pid()),
                second.get().getMessage());
    }

    @Test
    void aNewSweepRefusesADirectoryHoldingOtherFiles() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("theirs"));
        Files.writeString(dir.resolve("results.txt"), "theirs");
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Sweep.start(Zoo.registry(), space(), Tiny.settings(2), dir)
                        .run());
        assertTrue(e.getMessage().contains("not empty") && e.getMessage().contains("results.txt"), e.getMessage());
        assertEquals("theirs", Files.readString(dir.resolve("results.txt")));
    }

    @Test
    void editedSweepFilesAreRefusedOnResume() throws Exception {
        Path dir = tmp.resolve("s");
        SweepSettings settings = Tiny.settings(2);
        Sweep.start(Zoo.registry(), space(), settings, dir).run();
        Path def = dir.resolve(Sweep.DEFINITION);
        String good = Files.readString(def);

        Files.writeString(def, good.replace("\"seed\" : 42", "\"seed\" : 43"));
        InvalidDataException seed = assertThrows(InvalidDataException.class, () -> Sweep.readDefinition(dir));
        assertTrue(seed.getMessage().contains("settingsHash"), seed.getMessage());

        Files.writeString(def, "{\"format\": 1, \"space\": \"x\"}");
        InvalidDataException none = assertThrows(InvalidDataException.class, () -> Sweep.readDefinition(dir));
        assertTrue(none.getMessage().contains("settings are missing"), none.getMessage());

        Files.writeString(def, good.replaceFirst("\"format\" : 1", "\"format\" : 1, \"format\" : 1"));
        InvalidDataException dup = assertThrows(InvalidDataException.class, () -> Sweep.readDefinition(dir));
        assertTrue(dup.getMessage().contains("Duplicate field 'format'"), dup.getMessage());
        Files.writeString(def, good);

        // what a killed write leaves is removed when the sweep starts again; another's file is not
        Files.writeString(dir.resolve(".results.csv.tmp"), "cut short");
        Files.writeString(dir.resolve(RecordStore.RECORDS).resolve(".c0002.json.tmp"), "{");
        Files.writeString(dir.resolve(".mine.tmp"), "mine");
        SweepResult done = Sweep.resume(Zoo.registry(), dir, space(), settings).run();
        assertTrue(Files.notExists(dir.resolve(".results.csv.tmp")));
        assertTrue(Files.notExists(dir.resolve(RecordStore.RECORDS).resolve(".c0002.json.tmp")));
        assertTrue(Files.exists(dir.resolve(".mine.tmp")));

        // an edited score: refused, whether the validation accuracy is edited with it or not
        CandidateRecord worse = done.records().stream()
                .filter(r -> r.candidate() != done.best().candidate())
                .findFirst()
                .orElseThrow();
        Path record = dir.resolve(RecordStore.RECORDS).resolve(RecordStore.fileName(worse.candidate()));
        String rec = Files.readString(record);
        String acc = Double.toString(worse.score().validationAccuracy());
        Files.writeString(record, rec.replace("\"score\" : " + acc, "\"score\" : 0.999"));
        InvalidDataException score = assertThrows(
                InvalidDataException.class,
                () -> Sweep.resume(Zoo.registry(), dir, space(), settings).run());
        assertTrue(score.getMessage().contains("score 0.999 is not its validation accuracy"), score.getMessage());
        Files.writeString(record, rec.replace(acc, "0.999"));
        InvalidDataException both = assertThrows(
                InvalidDataException.class,
                () -> Sweep.resume(Zoo.registry(), dir, space(), settings).run());
        assertTrue(both.getMessage().contains("differs from the " + acc), both.getMessage());
        Files.writeString(record, rec);

        // best-model.zip replaced by another candidate's model
        Path other = dir.resolve(worse.runDirectory());
        try (var s = Files.list(other)) {
            Path ckpt = s.filter(p -> p.getFileName().toString().startsWith("checkpoint-"))
                    .findFirst()
                    .orElseThrow();
            Files.copy(ckpt, dir.resolve(RecordStore.BEST_MODEL), StandardCopyOption.REPLACE_EXISTING);
        }
        InvalidDataException best = assertThrows(
                InvalidDataException.class,
                () -> Sweep.resume(Zoo.registry(), dir, space(), settings).run());
        assertTrue(best.getMessage().contains("SHA-256"), best.getMessage());
    }
}
