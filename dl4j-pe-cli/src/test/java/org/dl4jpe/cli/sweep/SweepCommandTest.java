package org.dl4jpe.cli.sweep;

import static org.dl4jpe.cli.PeRunner.assertBadInput;
import static org.dl4jpe.cli.PeRunner.pe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dl4jpe.cli.PeCommand;
import org.dl4jpe.cli.PeRunner.Run;
import org.dl4jpe.hyperparam.model.Presets;
import org.dl4jpe.hyperparam.model.SpaceFile;
import org.dl4jpe.zoo.Zoo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pe sweep} end to end through the full command line ({@link PeCommand}): output, exit codes, errors. */
class SweepCommandTest {
    @TempDir
    Path tmp;

    static Path tinySpace() throws URISyntaxException {
        return Path.of(
                SweepCommandTest.class.getResource("/spaces/tiny-vit.json").toURI());
    }

    @Test
    void sweepFromASpaceFilePrintsProgressAndTheTableThenResumesWithNothingToDo() throws Exception {
        Path dir = tmp.resolve("s");
        Run r = pe("sweep", "--space", tinySpace().toString(), "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("candidate 1/2 starts: attention=QO_KV"), r.err());
        assertTrue(r.err().contains("candidate 2/2 finished: validation accuracy"), r.err());
        assertTrue(r.err().contains("| best so far: candidate "), r.err());
        List<String> out = r.out().lines().toList();
        assertTrue(
                out.get(0).matches("\\s*#\\s+status\\s+val acc\\s+parameters\\s+attention\\s+train time\\s+note"),
                out.get(0));
        assertTrue(out.get(2).matches("\\s*1\\*?\\s+finished\\s+\\d+\\.\\d\\d%\\s+922\\s+QO_KV\\s+.*"), out.get(2));
        assertTrue(out.get(3).matches("\\s*2\\*?\\s+finished\\s+\\d+\\.\\d\\d%\\s+1,050\\s+NONE\\s+.*"), out.get(3));
        assertTrue(r.out().contains("best model  " + dir.resolve("best-model.zip")), r.out());
        assertTrue(r.out().contains("test        accuracy"), r.out());
        assertTrue(Files.isRegularFile(dir.resolve("report.html")));
        assertTrue(
                Files.readString(dir.resolve("sweep.json")).contains("a ViT small enough for tests"),
                "the space text is kept");

        Run again = pe("sweep", "--resume", dir.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("candidate 1/2 finished in an earlier run"), again.err());
        assertTrue(again.err().contains("candidate 2/2 finished in an earlier run"), again.err());
        assertFalse(again.err().contains("starts"), "nothing trains again: " + again.err());
        assertEquals(
                r.out()
                        .lines()
                        .skip(2)
                        .limit(2)
                        .map(l -> l.replaceAll("\\s+", " "))
                        .toList(),
                again.out()
                        .lines()
                        .skip(2)
                        .limit(2)
                        .map(l -> l.replaceAll("\\s+", " "))
                        .toList());

        assertBadInput(pe("sweep", "--resume", dir.toString(), "--seed", "3"), "--seed cannot change when resuming");
        assertBadInput(
                pe(
                        "sweep",
                        "--resume",
                        dir.toString(),
                        "--batch",
                        "8",
                        "--score",
                        "loss",
                        "--data",
                        "fashion-mnist-subset"),
                "--data, --score, --batch cannot change when resuming");
        assertBadInput(
                pe("sweep", "--space", tinySpace().toString(), "--out", dir.toString()), "already holds a sweep");
    }

    @Test
    void badArgumentsGiveOneLineAndExitCode2() throws Exception {
        assertBadInput(pe("sweep"), "give exactly one of --preset NAME (vit-micro-tie");
        assertBadInput(pe("sweep", "--preset", "nope"), "--preset 'nope' is not one of vit-micro-tie");
        assertBadInput(pe("sweep", "--space", tmp.resolve("missing.json").toString()), "no such file");
        assertBadInput(
                pe("sweep", "--space", tinySpace().toString(), "--generator", "annealing"),
                "'--generator': expected one of [RANDOM, GRID, GENETIC]",
                "'annealing'");
        assertBadInput(
                pe("sweep", "--space", tinySpace().toString(), "--max-time", "30"),
                "Invalid value for option '--max-time': '30' is not a duration; write it as 90s, 30m, 2h or 1h30m");
        assertBadInput(
                pe("sweep", "--space", tinySpace().toString(), "--score", "f1"),
                "'--score': expected one of [ACCURACY, LOSS]",
                "'f1'");
        assertBadInput(
                pe("sweep", "--space", tinySpace().toString(), "--candidates", "0"), "--candidates 0 must be positive");
        assertBadInput(pe("sweep", "--resume", tmp.resolve("nothing").toString()), "not a sweep directory");
        Path bad = tmp.resolve("bad.json");
        Files.writeString(
                bad, "{\"model\": \"vit_pe_micro_patch4_28\", \"axes\": {\"attention\": [\"QO_KV\", \"QK_V0\"]}}");
        assertBadInput(
                pe("sweep", "--space", bad.toString()),
                "axis attention: value 'QK_V0' is not one of QO_KV, QK_VO, NONE");
        assertBadInput(pe("sweep", "--bogus"), "Unknown option: '--bogus'");
        Path out = tmp.resolve("no-data");
        assertBadInput(
                pe(
                        "sweep",
                        "--space",
                        tinySpace().toString(),
                        "--data",
                        tmp.resolve("nowhere").toString(),
                        "--out",
                        out.toString()),
                "no such file or directory");
        assertFalse(Files.exists(out.resolve("sweep.json")), "a sweep that could not start leaves no sweep.json");
    }

    @Test
    void helpNamesEveryPresetWithItsBudgetAndPrintSpaceGivesAFileThatParses() {
        Run help = pe("sweep", "--help");
        assertEquals(0, help.code());
        for (String p : Presets.NAMES) {
            assertTrue(help.out().contains(p + ":"), p + " in help");
        }
        assertTrue(help.out().contains("2-core CPU"), help.out());
        assertTrue(help.out().contains("Default budget: 6 candidates (random search)"), help.out());

        Run root = pe("--help");
        assertTrue(root.out().contains("sweep"), "pe --help lists sweep");
        assertTrue(root.out().contains("train"), "and the zoo's commands");

        Run printed = pe("sweep", "--preset", "vit-micro-tie", "--print-space");
        assertEquals(0, printed.code(), printed.err());
        SpaceFile f = SpaceFile.parse(printed.out(), "printed", Zoo.registry());
        assertEquals(List.of("attention", "mlpTie", "learningRate"), f.space().searchedAxes());
    }

    @Test
    void aSweepWhoseEveryCandidateFailsExitsNonZero() throws Exception {
        // embedDim 8 cannot be split into 3 heads: every candidate fails when it resolves
        Path space = Files.writeString(
                tmp.resolve("bad.json"), Files.readString(tinySpace()).replace("\"numHeads\":  2", "\"numHeads\":  3"));
        Run r = pe(
                "sweep", "--space", space.toString(), "--out", tmp.resolve("s").toString());
        assertEquals(PeCommand.BAD_INPUT, r.code(), r.err());
        assertTrue(r.err().contains("no candidate succeeded (2 of 2 ended, none finished)"), r.err());
        assertTrue(r.out().contains("FAILED") || r.out().contains("failed"), r.out());
    }
}
