package org.dl4jpe.cli;

import static org.dl4jpe.cli.PeRunner.assertBadInput;
import static org.dl4jpe.cli.PeRunner.pe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 11 through the command line: the errors a user sees, and that nothing is trained before they come. */
class ReliabilityCommandTest {
    @TempDir
    Path tmp;

    private static final String[] SMALL = {
        "--epochs", "1", "--batch", "50", "--limit-train", "100", "--limit-test", "50"
    };

    private static String[] train(String model, Path out) {
        String[] head = {"train", model, "--out", out.toString()};
        String[] all = java.util.Arrays.copyOf(head, head.length + SMALL.length);
        System.arraycopy(SMALL, 0, all, head.length, SMALL.length);
        return all;
    }

    @Test
    void evalRefusesANegativeLimitAndACheckpointOfAnotherModel() throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        assertEquals(0, pe(train("tiny_cnn_28", a)).code());
        assertEquals(0, pe(train("tiny_cnn_wide_28", b)).code());
        assertBadInput(pe("eval", a.toString(), "--limit-test", "-3"), "--limit-test -3 must be >= 0");
        Files.copy(
                b.resolve("checkpoint-e0001.zip"),
                a.resolve("checkpoint-e0001.zip"),
                StandardCopyOption.REPLACE_EXISTING);
        assertBadInput(pe("eval", a.toString()), "not this run's checkpoint", "tiny_cnn_28");
        assertBadInput(pe("train", "--resume", a.toString(), "--epochs", "2"), "not this run's checkpoint");
    }

    @Test
    void trainRefusesAFileAsOutBeforeTraining() throws Exception {
        Path f = Files.writeString(tmp.resolve("f"), "x");
        assertBadInput(pe(train("tiny_cnn_28", f)), "is a file, not a directory");
        assertEquals("x", Files.readString(f));
    }

    @Test
    void everyBadImageOfBothSplitsIsNamedBeforeTrainingStarts() throws Exception {
        Path data = tmp.resolve("images");
        for (String split : new String[] {"train", "val"}) {
            for (String c : new String[] {"a", "b"}) {
                Path dir = Files.createDirectories(data.resolve(split).resolve(c));
                for (int i = 0; i < 3; i++) {
                    BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
                    img.getRaster().setSample(i, i, 0, 200);
                    ImageIO.write(img, "png", dir.resolve("img" + i + ".png").toFile());
                }
            }
        }
        Files.writeString(data.resolve("val").resolve("b").resolve("notes.png"), "not an image");
        Files.write(data.resolve("train").resolve("a").resolve("empty.jpg"), new byte[0]);
        Files.createDirectories(data.resolve("train").resolve("b").resolve("nested"));
        Path out = tmp.resolve("run");
        PeRunner.Run r = pe(
                "train",
                "tiny_cnn_28",
                "--data",
                data.toString(),
                "--num-classes",
                "2",
                "--out",
                out.toString(),
                "--epochs",
                "1");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("3 files cannot be used (checked before training)"), r.err());
        assertTrue(r.err().contains("notes.png: not an image"), r.err());
        assertTrue(r.err().contains("empty.jpg: the file is empty"), r.err());
        assertTrue(r.err().contains("nested: a folder inside class folder b"), r.err());
        assertFalse(r.err().contains("epoch 1/1"), "nothing was trained: " + r.err());
        assertFalse(Files.exists(out.resolve("state.json")));
    }
}
