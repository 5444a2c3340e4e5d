package org.dl4jpe.cli;

import static org.dl4jpe.cli.PeRunner.assertBadInput;
import static org.dl4jpe.cli.PeRunner.pe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.dl4jpe.cli.PeRunner.Run;
import org.dl4jpe.zoo.data.FashionMnist;
import org.dl4jpe.zoo.data.ImageSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PeCommandTest {
    @TempDir
    Path tmp;

    @Test
    void modelsListsEveryRegisteredModelWithItsParameterCount() {
        Run r = pe("models");
        assertEquals(0, r.code(), r.toString());
        assertTrue(
                r.out()
                        .lines()
                        .anyMatch(l -> l.startsWith("tiny_cnn_28")
                                && l.contains(" 1,418 ")
                                && l.contains("28x28x1")
                                && l.contains("test-only tiny CNN")),
                r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("tiny_cnn_wide_28") && l.contains(" 5,130 ")), r.out());
    }

    @Test
    void summaryShowsLayersShapesAndParameters() {
        Run r = pe("summary", "tiny_cnn_28", "--num-classes", "4");
        assertEquals(0, r.code(), r.toString());
        assertTrue(
                r.out()
                        .lines()
                        .anyMatch(l -> l.startsWith("conv1")
                                && l.contains("[N, 8, 13, 13]")
                                && l.trim().endsWith("80")),
                r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("head") && l.contains("[N, 4]")), r.out());
        assertTrue(r.out().contains("trainable parameters: 1,316"), r.out()); // 1,418 - 6·16 - 6
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "models",
                "summary",
                "train",
                "eval",
                "predict",
                "compare",
                "demo",
                "bench",
                "make-subset",
                "plot-front"
            })
    void everyCommandHasHelp(String command) {
        Run r = pe(command, "--help");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("Usage: pe " + command), r.out());
    }

    @Test
    void badInputGivesOneClearLineAndExitCode2() {
        assertBadInput(pe("summary", "vit_nope"), "pe summary:", "'vit_nope' is not registered", "tiny_cnn_28");
        assertBadInput(pe("train", "tiny_cnn_28", "--epochs", "many"), "--epochs", "'many'", "pe train --help");
        assertBadInput(pe("train", "tiny_cnn_28", "--epochs", "0"), "--epochs 0 must be positive");
        // the library (RunConfig, DataSets) names fields, the command line its flags
        assertBadInput(
                pe("train", "tiny_cnn_28", "--limit-train", "-1"), "--limit-train -1 and --limit-test 0 must be >= 0");
        assertBadInput(pe("train", "tiny_cnn_28", "--frobnicate"), "Unknown option", "--frobnicate");
        Path missing = tmp.resolve("no-such-data");
        assertBadInput(
                pe("train", "tiny_cnn_28", "--data", missing.toString()),
                missing.toString(),
                "--data " + missing + ": no such file or directory",
                "fashion-mnist-subset");
        assertBadInput(pe("train", "tiny_cnn_28", "--mean", "0.5"), "--mean and --std");
        assertBadInput(
                pe("train", "tiny_cnn_28", "--updater", "rmsprop"),
                "--updater",
                "ADAMW, ADAM, NESTEROVS, SGD",
                "'rmsprop'");
        assertBadInput(pe("train", "tiny_cnn_28", "--dropout", "1.5"), "dropout 1.5 must be in [0, 1)");
        assertBadInput(pe("train", "tiny_cnn_28", "--input-size", "32"), "28x28x1", "32x32x1", "--input-size 28");
        assertBadInput(pe("train"), "MODEL is missing");
        assertBadInput(pe("eval", tmp.resolve("nothing").toString()), "CHECKPOINT", "does not exist");
        assertBadInput(pe("train", "--resume", tmp.toString()), "state.json");
        assertBadInput(pe(), "a command is missing");
        assertBadInput(pe("compare", "tiny_cnn_28", "tiny_cnn_28"), "different models; tiny_cnn_28 is named twice");
        assertBadInput(
                pe("train", "tiny_cnn_28", "--min-lr", "1e-5"),
                "--warmup-epochs and --min-lr shape the cosine" + " schedule; give --schedule cosine with them");
        assertBadInput(
                pe(
                        "train",
                        "tiny_cnn_28",
                        "--schedule",
                        "cosine",
                        "--warmup-epochs",
                        "3",
                        "--epochs",
                        "2",
                        "--limit-train",
                        "100"),
                "--warmup-epochs 3.0 (6 steps) must be shorter than the run's 2 epochs (4 steps)");
        assertBadInput(pe("train", "tiny_cnn_28", "--schedule", "linear"), "--schedule");
        assertBadInput(
                pe("train", "tiny_cnn_28", "--schedule", "cosine", "--warmup-epochs", "-1"),
                "--warmup-epochs -1.0 must be >= 0 and finite");
        assertBadInput(
                pe("train", "tiny_cnn_28", "--checkpoint-every", "5x"),
                "pe train: Invalid value for option"
                        + " '--checkpoint-every': '5x' is not a duration; write it as 90s, 30m, 2h or 1h30m");
        assertBadInput(
                pe("train", "tiny_cnn_28", "--checkpoint-every", "0s"),
                "'--checkpoint-every': '0s' must be" + " longer than zero");
        assertBadInput(pe("compare", "tiny_cnn_28", "vit_nope"), "'vit_nope' is not registered");
        Run verbose = pe("summary", "vit_nope", "--verbose");
        assertEquals(2, verbose.code());
        assertTrue(verbose.err().contains("\tat "), "--verbose prints the stack trace");
    }

    @Test
    void trainEvalPredictAndResumeEndToEnd() throws IOException {
        Path run = tmp.resolve("run");
        Run t = pe(
                "train",
                "tiny_cnn_28",
                "--epochs",
                "2",
                "--batch",
                "50",
                "--limit-train",
                "200",
                "--limit-test",
                "100",
                "--out",
                run.toString());
        assertEquals(0, t.code(), t.toString());
        assertTrue(
                t.out().contains("test accuracy")
                        && t.out().contains("1,418")
                        && t.out().contains("2 of 2"),
                t.out());
        assertTrue(t.err().contains("epoch 2/2 train loss"), t.err());
        assertEquals(3, Files.readAllLines(run.resolve("metrics.csv")).size());
        BufferedImage png = ImageIO.read(run.resolve("curves.png").toFile());
        assertNotNull(png);

        Run e = pe("eval", run.toString());
        assertEquals(0, e.code(), e.toString());
        assertTrue(
                e.out().contains("accuracy")
                        && e.out().contains("confusion matrix")
                        && e.out().contains("Ankle boot")
                        && e.out().contains("images    500"),
                e.out()); // the whole test split

        Path img = tmp.resolve("sneaker.png");
        ImageSet test = FashionMnist.subsetTest();
        BufferedImage b = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                int v = test.pixels()[y * 28 + x] & 0xFF;
                b.setRGB(x, y, v << 16 | v << 8 | v);
            }
        }
        ImageIO.write(b, "png", img.toFile());
        Run p = pe("predict", run.toString(), img.toString(), "--top", "2");
        assertEquals(0, p.code(), p.toString());
        List<String> lines = p.out().lines().toList();
        assertEquals(3, lines.size(), p.out());
        assertTrue(lines.get(1).trim().startsWith("1. ") && lines.get(2).trim().startsWith("2. "), p.out());
        assertTrue(FashionMnist.CLASS_NAMES.stream().anyMatch(n -> lines.get(1).contains(n)), p.out());
        assertBadInput(pe("predict", run.toString(), tmp.resolve("nope.png").toString()), "nope.png", "does not exist");

        assertBadInput(pe("train", "--resume", run.toString(), "--seed", "5"), "--seed cannot change when resuming");
        assertBadInput(
                pe("train", "--resume", run.toString(), "--cache", "HOST", "--num-classes", "10", "--dropout", "0.1"),
                "--num-classes, --dropout, --cache cannot change when resuming");
        Run r = pe("train", "--resume", run.toString(), "--epochs", "3");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("resuming tiny_cnn_28 from checkpoint-e0002.zip: epoch 3 of 3"), r.err());
        assertEquals(4, Files.readAllLines(run.resolve("metrics.csv")).size());

        Run nan = pe("train", "--resume", run.toString(), "--epochs", "4", "--lr", "1e30");
        assertEquals(PeCommand.NON_FINITE_LOSS, nan.code(), nan.toString());
        assertTrue(
                nan.err().contains("training stopped: the training loss became")
                        && nan.err().contains("checkpoint-e0003.zip (epoch 3) is kept unchanged"),
                nan.err());
        assertEquals(4, Files.readAllLines(run.resolve("metrics.csv")).size());
    }

    @Test
    void compareTrainsBothAndWritesTableMarkdownAndPlot() throws IOException {
        Path out = tmp.resolve("cmp");
        Run c = pe(
                "compare",
                "tiny_cnn_28",
                "tiny_cnn_wide_28",
                "--epochs",
                "1",
                "--batch",
                "50",
                "--limit-train",
                "200",
                "--limit-test",
                "100",
                "--out",
                out.toString());
        assertEquals(0, c.code(), c.toString());
        List<String> rows = c.out().lines().toList();
        assertEquals(5, rows.size(), c.out());
        assertTrue(
                rows.get(4).matches("tiny_cnn_28 − tiny_cnn_wide_28: [+-]\\d+\\.\\d\\d points of test accuracy\\."),
                rows.get(4));
        assertTrue(
                rows.get(0).contains("parameters")
                        && rows.get(0).contains("test accuracy")
                        && rows.get(0).contains("train time")
                        && rows.get(0).contains("images/s"),
                c.out());
        assertTrue(rows.get(2).startsWith("tiny_cnn_28") && rows.get(2).contains("1,418"), c.out());
        assertTrue(rows.get(3).startsWith("tiny_cnn_wide_28") && rows.get(3).contains("5,130"), c.out());
        String md = Files.readString(out.resolve("compare.md"));
        assertTrue(
                md.contains("| tiny_cnn_28 | 1,418 |") && md.contains("seed 42") && md.contains(", 1 epoch, batch 50,"),
                md);
        assertNotNull(ImageIO.read(out.resolve("compare.png").toFile()));
        assertTrue(Files.exists(out.resolve("tiny_cnn_wide_28").resolve("state.json")));
    }

    @Test
    void compareTakesSeveralModelsAndComparesTheFirstWithEachOther() throws IOException {
        Path out = tmp.resolve("three");
        Run c = pe(
                "compare",
                "tiny_cnn_28",
                "tiny_cnn_wide_28",
                "tiny_cnn_narrow_28",
                "--epochs",
                "1",
                "--batch",
                "50",
                "--limit-train",
                "100",
                "--limit-test",
                "50",
                "--out",
                out.toString());
        assertEquals(0, c.code(), c.toString());
        List<String> rows = c.out().lines().toList();
        assertEquals(7, rows.size(), c.out());
        assertTrue(rows.get(4).startsWith("tiny_cnn_narrow_28") && rows.get(4).contains(" 426 "), c.out());
        assertTrue(
                rows.get(5).matches("tiny_cnn_28 − tiny_cnn_wide_28: [+-]\\d+\\.\\d\\d points of test accuracy\\."),
                rows.get(5));
        assertTrue(rows.get(6).startsWith("tiny_cnn_28 − tiny_cnn_narrow_28: "), rows.get(6));
        assertTrue(Files.exists(out.resolve("tiny_cnn_narrow_28").resolve("state.json")));
    }

    @Test
    void compareWritesEachFinishedRunsRowAtOnce() throws IOException {
        Path out = tmp.resolve("stops");
        Path results = tmp.resolve("rows.csv");
        String[] budget = {"--batch", "50", "--limit-train", "100", "--limit-test", "50"};
        // the second model's directory holds another budget's run, so the compare stops there, after the first
        String[] train = {
            "train",
            "tiny_cnn_wide_28",
            "--epochs",
            "2",
            "--out",
            out.resolve("tiny_cnn_wide_28").toString()
        };
        assertEquals(0, pe(concat(train, budget)).code());
        String[] compare = {
            "compare",
            "tiny_cnn_28",
            "tiny_cnn_wide_28",
            "--epochs",
            "1",
            "--out",
            out.toString(),
            "--results",
            results.toString()
        };
        Run c = pe(concat(compare, budget));
        assertEquals(2, c.code(), c.toString());
        List<String> csv = Files.readAllLines(results);
        assertEquals(2, csv.size(), "the header and the finished run's row: " + csv);
        assertTrue(csv.get(1).startsWith("tiny_cnn_28,"), csv.get(1));
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void compareWithSeveralSeedsReportsMeanAndSpreadAndContinuesWhereItStopped() throws IOException {
        Path out = tmp.resolve("seeds");
        Path results = tmp.resolve("evidence").resolve("results.csv");
        String[] args = {
            "compare",
            "tiny_cnn_28",
            "tiny_cnn_wide_28",
            "--epochs",
            "1",
            "--batch",
            "50",
            "--limit-train",
            "100",
            "--limit-test",
            "50",
            "--seeds",
            "3,4",
            "--out",
            out.toString(),
            "--results",
            results.toString()
        };
        Run c = pe(args);
        assertEquals(0, c.code(), c.toString());
        List<String> rows = c.out().lines().toList();
        assertTrue(
                rows.get(0).contains("test accuracy (mean ± sd)") && rows.get(0).contains("per seed"), c.out());
        assertTrue(
                rows.get(2).startsWith("tiny_cnn_28") && rows.get(2).matches(".*%(?: ±) \\d+\\.\\d\\d .*% / .*%.*"),
                c.out());
        assertTrue(
                rows.get(4)
                        .matches(".*\\(difference of the means over 2 seeds; 95% interval [+-]\\d+\\.\\d\\d to"
                                + " [+-]\\d+\\.\\d\\d, Welch\\)\\."),
                c.out());
        List<String> csv = Files.readAllLines(results);
        assertEquals(5, csv.size(), "a header and one row per run: " + csv);
        assertTrue(
                csv.get(0).startsWith("model,parameters,seed,epochs,train_images,test_images,test_accuracy,"),
                csv.get(0));
        assertTrue(
                csv.stream().anyMatch(l -> l.startsWith("tiny_cnn_wide_28,5130,4,1,100,50,")), String.join("\n", csv));
        for (String seed : List.of("seed-3", "seed-4")) {
            for (String model : List.of("tiny_cnn_28", "tiny_cnn_wide_28")) {
                assertTrue(Files.exists(out.resolve(seed).resolve(model).resolve("state.json")), seed + "/" + model);
            }
        }
        String md = Files.readString(out.resolve("compare.md"));
        assertTrue(
                md.contains("seeds 3, 4")
                        && md.contains("first 100 training images")
                        && md.contains("](compare-seeds.png)"),
                md);
        assertNotNull(ImageIO.read(out.resolve("compare-seeds.png").toFile()));

        // The same command again reads the finished runs back instead of training them again.
        Path state = out.resolve("seed-4").resolve("tiny_cnn_28").resolve("state.json");
        String before = Files.readString(state);
        Run again = pe(args);
        assertEquals(0, again.code(), again.toString());
        assertEquals(c.out(), again.out());
        assertEquals(
                4,
                again.errLines().stream()
                        .filter(l -> l.contains("already trained in"))
                        .count(),
                again.err());
        assertEquals(before, Files.readString(state));
        assertEquals(csv.subList(0, 1), Files.readAllLines(results).subList(0, 1));
        assertEquals(5, Files.readAllLines(results).size(), "the same runs replace their rows");

        // A different budget in the same directory is refused, naming the directory and both settings.
        assertBadInput(
                pe(
                        "compare",
                        "tiny_cnn_28",
                        "tiny_cnn_wide_28",
                        "--epochs",
                        "2",
                        "--batch",
                        "50",
                        "--limit-train",
                        "100",
                        "--limit-test",
                        "50",
                        "--seeds",
                        "3,4",
                        "--out",
                        out.toString()),
                out.resolve("seed-3").resolve("tiny_cnn_28").toString(),
                "1 epochs",
                "2 epochs",
                "choose another --out");
        assertBadInput(
                pe("compare", "tiny_cnn_28", "tiny_cnn_wide_28", "--seed", "1", "--seeds", "3,4"), "--seed or --seeds");
    }

    @Test
    void benchRejectsAnUnknownPart() {
        Run b = pe("bench", "--only", "everything");
        assertEquals(2, b.code(), b.toString());
        assertTrue(
                b.err().contains("'--only': expected one of [LAYERS, MODELS]")
                        && b.err().contains("'everything'"),
                b.err());
    }

    @Test
    void benchMeasuresNamedModelsOnly() {
        Run b = pe("bench", "tiny_cnn_28", "--warmup", "0", "--iterations", "1", "--batch", "4");
        assertEquals(0, b.code(), b.toString());
        assertTrue(!b.out().contains("stage") && !b.out().contains("block"), "no layer benchmark: " + b.out());
        assertTrue(b.out().lines().anyMatch(l -> l.startsWith("tiny_cnn_28") && l.contains("1,418")), b.out());
        assertTrue(
                b.out()
                        .lines()
                        .findFirst()
                        .orElseThrow()
                        .matches(
                                "model +parameters +batch +train img/s +step ms +train GFLOP/s +of gemm +inference img/s +GFLOP/s +of gemm"),
                b.out());
        // tiny_cnn_28 does matrix products (its convolutions and head), so it reaches a positive share of gemm
        String row = b.out()
                .lines()
                .filter(l -> l.startsWith("tiny_cnn_28"))
                .findFirst()
                .orElseThrow();
        String[] cells = row.split(" +");
        assertEquals(10, cells.length, row);
        for (int i : new int[] {5, 6, 8, 9}) { // GFLOP/s and share of gemm, training and inference
            assertTrue(Double.parseDouble(cells[i].replace("%", "")) > 0, "column " + i + " of " + row);
        }
        assertTrue(
                b.out().contains("of gemm: achieved GFLOP/s over the float32 gemm rate (1024x1024 by 1024x1024)"),
                b.out());
        List<String> memory = b.out()
                .lines()
                .dropWhile(l -> !l.startsWith("model ") || !l.contains("peak RSS MB"))
                .toList();
        assertTrue(
                memory.get(0)
                        .matches("model +peak RSS MB +JVM heap peak MB +params MB +updater MB"
                                + " +params\\+updater MB"),
                b.out());
        String[] mem = memory.stream()
                .filter(l -> l.startsWith("tiny_cnn_28"))
                .findFirst()
                .orElseThrow()
                .split(" +");
        // AdamW's two moments: the updater holds twice the parameters (1,418 floats: 0.01 MB, 0.01 + 0.01 = 0.02)
        assertEquals(6, mem.length, String.join(" ", mem));
        assertEquals(Double.parseDouble(mem[3]) + Double.parseDouble(mem[4]), Double.parseDouble(mem[5]), 0.011);
    }

    @Test
    void benchOpProfileSaysWhereTrainingTimeGoes() {
        Run b = pe("bench", "tiny_cnn_28", "--op-profile", "--warmup", "1", "--iterations", "2", "--batch", "8");
        assertEquals(0, b.code(), b.toString());
        String line = b.out()
                .lines()
                .filter(l -> l.startsWith("tiny_cnn_28, batch 8: "))
                .findFirst()
                .orElseThrow();
        assertTrue(
                line.matches("tiny_cnn_28, batch 8: \\d+ ms per training step under the profiler, \\d+ ms \\(\\d+%\\)"
                        + " of it in ND4J ops, the rest in Java.*"),
                line);
        List<String> after =
                b.out().lines().dropWhile(l -> !l.equals(line)).skip(1).toList();
        assertTrue(after.get(0).matches("op +ms per step +of op time"), b.out());
        assertTrue(after.stream().anyMatch(l -> l.startsWith("im2col ")), "DL4J convolves by im2col: " + b.out());
        assertTrue(after.get(after.size() - 1).matches("\\(\\d+ other ops\\) .*"), b.out());
    }

    @Test
    void makeSubsetWritesIdxFiles() {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                Files.isDirectory(FashionMnist.DEFAULT_DIR), "Debian's dataset-fashion-mnist is not installed");
        Run m = pe("make-subset", "--train-per-class", "3", "--test-per-class", "2", "--out", tmp.toString());
        assertEquals(0, m.code(), m.toString());
        assertEquals(4, m.out().lines().count());
        assertEquals(
                30,
                org.dl4jpe.zoo.data.IdxData.load(tmp, "train", FashionMnist.CLASS_NAMES)
                        .size());
    }
}
