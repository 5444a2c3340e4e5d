package org.dl4jpe.zoo.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    @TempDir
    Path tmp;

    @Test
    void shippedSubsetIsBalancedAndInRange() {
        ImageSet train = FashionMnist.subsetTrain();
        ImageSet test = FashionMnist.subsetTest();
        assertEquals(2000, train.size());
        assertEquals(500, test.size());
        for (ImageSet s : List.of(train, test)) {
            assertEquals(1, s.channels());
            assertEquals(28, s.height());
            assertEquals(28, s.width());
            assertEquals(s.size() * 784, s.pixels().length);
            assertEquals(FashionMnist.CLASS_NAMES, s.classNames());
            int per = s.size() / 10;
            int[] expected = new int[10];
            Arrays.fill(expected, per);
            assertArrayEquals(expected, s.classCounts());
            assertTrue(Arrays.stream(s.labels()).allMatch(l -> l >= 0 && l < 10));
            int min = 255;
            int max = 0;
            for (byte b : s.pixels()) {
                min = Math.min(min, b & 0xFF);
                max = Math.max(max, b & 0xFF);
            }
            assertEquals(0, min);
            assertEquals(255, max);
        }
    }

    @Test
    void subsetIsTheFirstImagesOfEachClassOfDebiansFiles() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                Files.isDirectory(FashionMnist.DEFAULT_DIR), "Debian's dataset-fashion-mnist is not installed");
        SubsetMaker.make(FashionMnist.DEFAULT_DIR, tmp, 200, 50);
        for (String f : List.of(
                "train-images-idx3-ubyte.gz",
                "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz")) {
            byte[] made = Files.readAllBytes(tmp.resolve(f));
            byte[] shipped;
            try (var in = getClass().getClassLoader().getResourceAsStream("fashion-mnist-subset/" + f)) {
                shipped = in.readAllBytes();
            }
            assertArrayEquals(shipped, made, f + " differs from the shipped subset");
        }
    }

    @Test
    void roundTripPlainAndGzip() throws IOException {
        byte[] pixels = new byte[3 * 2 * 4];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 10);
        }
        for (String suffix : List.of("", ".gz")) {
            Path images = tmp.resolve("x-images" + suffix);
            Path labels = tmp.resolve("x-labels" + suffix);
            Idx.writeImages(images, 2, 4, pixels);
            Idx.writeLabels(labels, new int[] {2, 0, 255});
            Idx.Images read = Idx.readImages(images);
            assertEquals(3, read.count());
            assertEquals(2, read.rows());
            assertEquals(4, read.cols());
            assertArrayEquals(pixels, read.pixels());
            assertArrayEquals(new int[] {2, 0, 255}, Idx.readLabels(labels));
        }
    }

    private Path writeImages(String name, int count) throws IOException {
        Path p = tmp.resolve(name);
        Idx.writeImages(p, 28, 28, new byte[count * 784]);
        return p;
    }

    @Test
    void missingFileIsNamed() {
        Path missing = tmp.resolve("nothing-here-idx3-ubyte.gz");
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> Idx.readImages(missing));
        assertTrue(
                e.getMessage().contains(missing.toString()) && e.getMessage().contains("does not exist"),
                e.getMessage());
    }

    @Test
    void truncatedPlainFileIsNamed() throws IOException {
        Path p = writeImages("train-images-idx3-ubyte", 5);
        byte[] all = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(all, all.length - 100));
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> Idx.readImages(p));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("3820 bytes"), e.getMessage());
    }

    @Test
    void truncatedGzipFileIsNamed() throws IOException {
        Path p = tmp.resolve("train-images-idx3-ubyte.gz");
        byte[] noise = new byte[5 * 784];
        new java.util.Random(1).nextBytes(noise);
        Idx.writeImages(p, 28, 28, noise);
        byte[] all = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(all, all.length / 2));
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> Idx.readImages(p));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void truncatedHeaderIsNamed() throws IOException {
        Path p = tmp.resolve("short");
        Files.write(p, new byte[] {0, 0, 8, 3, 0, 0});
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> Idx.readImages(p));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("header"), e.getMessage());
    }

    @Test
    void badMagicIsNamed() throws IOException {
        Path labels = tmp.resolve("labels");
        Idx.writeLabels(labels, new int[] {1, 2});
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> Idx.readImages(labels));
        assertTrue(
                e.getMessage().contains(labels.toString())
                        && e.getMessage().contains("0x00000801")
                        && e.getMessage().contains("0x00000803"),
                e.getMessage());
        Path junk = tmp.resolve("junk.gz");
        Files.write(junk, "hello world, not idx".getBytes());
        e = assertThrows(InvalidDataException.class, () -> Idx.readLabels(junk));
        assertTrue(e.getMessage().contains(junk.toString()) && e.getMessage().contains("magic number"), e.getMessage());
    }

    @Test
    void trailingBytesAreReported() throws IOException {
        Path p = tmp.resolve("labels");
        Idx.writeLabels(p, new int[] {1, 2});
        Files.write(p, new byte[] {7, 7, 7}, java.nio.file.StandardOpenOption.APPEND);
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> Idx.readLabels(p));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("3 bytes"), e.getMessage());
    }

    @Test
    void mismatchedCountsNameBothFiles() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("idx"));
        Idx.writeImages(dir.resolve("train-images-idx3-ubyte.gz"), 28, 28, new byte[4 * 784]);
        Idx.writeLabels(dir.resolve("train-labels-idx1-ubyte.gz"), new int[] {0, 1, 2});
        InvalidDataException e = assertThrows(
                InvalidDataException.class, () -> IdxData.load(dir, IdxData.TRAIN, FashionMnist.CLASS_NAMES));
        assertTrue(
                e.getMessage().contains("train-images-idx3-ubyte.gz")
                        && e.getMessage().contains("4 images")
                        && e.getMessage().contains("train-labels-idx1-ubyte.gz")
                        && e.getMessage().contains("3 labels"),
                e.getMessage());
    }

    @Test
    void labelOutOfRangeIsNamed() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("idx"));
        Idx.writeImages(dir.resolve("t10k-images-idx3-ubyte"), 28, 28, new byte[3 * 784]);
        Idx.writeLabels(dir.resolve("t10k-labels-idx1-ubyte"), new int[] {0, 12, 2});
        InvalidDataException e = assertThrows(
                InvalidDataException.class, () -> IdxData.load(dir, IdxData.TEST, FashionMnist.CLASS_NAMES));
        assertTrue(
                e.getMessage().contains("t10k-labels-idx1-ubyte")
                        && e.getMessage().contains("label 12")
                        && e.getMessage().contains("index 1")
                        && e.getMessage().contains("0..9"),
                e.getMessage());
    }

    @Test
    void missingSplitFileListsWhatWasLookedFor() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("idx"));
        Idx.writeImages(dir.resolve("train-images-idx3-ubyte.gz"), 28, 28, new byte[784]);
        InvalidDataException e = assertThrows(
                InvalidDataException.class, () -> IdxData.load(dir, IdxData.TRAIN, FashionMnist.CLASS_NAMES));
        assertTrue(
                e.getMessage().contains(dir.toString()) && e.getMessage().contains("train-labels-idx1-ubyte.gz"),
                e.getMessage());
    }

    @Test
    void idxDirectoryAsData() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("idx"));
        for (String split : List.of("train", "t10k")) {
            Idx.writeImages(dir.resolve(split + "-images-idx3-ubyte.gz"), 28, 28, new byte[4 * 784]);
            Idx.writeLabels(dir.resolve(split + "-labels-idx1-ubyte.gz"), new int[] {0, 1, 2, 3});
        }
        Files.writeString(dir.resolve("classes.txt"), "a\nb\nc\nd\n");
        DataSplit split = DataSets.open(dir.toString(), 1, 28, 28);
        assertEquals(List.of("a", "b", "c", "d"), split.train().classNames());
        assertEquals(4, split.test().size());
        InvalidDataException e =
                assertThrows(InvalidDataException.class, () -> DataSets.open(dir.toString(), 3, 32, 32));
        assertTrue(e.getMessage().contains("28x28x1") && e.getMessage().contains("32x32x3"), e.getMessage());
        e = assertThrows(
                InvalidDataException.class,
                () -> DataSets.open(tmp.resolve("nope").toString(), 1, 28, 28));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("fashion-mnist-subset"), e.getMessage());
    }
}
