package org.dl4jpe.zoo.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;

class ImageFolderSourceTest {
    @TempDir
    Path tmp;

    /** Class → solid colour of its left half; the right half is a gradient so crops and flips show. */
    private static final List<String> CLASSES = List.of("cat", "dog", "eel");

    private static final Color[] COLORS = {Color.RED, Color.GREEN, Color.BLUE};

    private Path folder(Path root, int perClass) throws IOException {
        for (int c = 0; c < CLASSES.size(); c++) {
            Path dir = Files.createDirectories(root.resolve(CLASSES.get(c)));
            for (int i = 0; i < perClass; i++) {
                BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 30; y++) {
                    for (int x = 0; x < 40; x++) {
                        int g = (x * 6 + y * 2 + i * 17) % 256;
                        img.setRGB(x, y, x < 20 ? COLORS[c].getRGB() : new Color(g, g, g).getRGB());
                    }
                }
                ImageIO.write(
                        img, "png", dir.resolve(String.format("img%02d.png", i)).toFile());
            }
        }
        return root;
    }

    @Test
    void readsShapesLabelsAndBgrChannels() throws IOException {
        Path root = folder(tmp.resolve("data"), 4);
        ImageFolderSource src = new ImageFolderSource(root, 3, 16, 16);
        assertEquals(CLASSES, src.classNames());
        assertEquals(12, src.size());
        ImageBatchIterator it = ImageBatchIterator.evaluation(src, 5, Normalization.UNIT);
        int pos = 0;
        while (it.hasNext()) {
            DataSet ds = it.next();
            INDArray x = ds.getFeatures();
            int n = (int) x.size(0);
            assertArrayEquals(new long[] {n, 3, 16, 16}, x.shape());
            assertTrue(x.minNumber().doubleValue() >= 0 && x.maxNumber().doubleValue() <= 1);
            for (int i = 0; i < n; i++) {
                int label = ds.getLabels().getRow(i).argMax().getInt(0);
                assertEquals(pos / 4, label, "image " + pos);
                // left columns hold the class colour; DataVec's channel order is B, G, R
                Color color = COLORS[label];
                float[] expected = {color.getBlue() / 255f, color.getGreen() / 255f, color.getRed() / 255f};
                for (int ch = 0; ch < 3; ch++) {
                    double sum = 0;
                    for (int y = 2; y < 14; y++) {
                        for (int c = 0; c < 6; c++) {
                            sum += x.getDouble(i, ch, y, c);
                        }
                    }
                    assertEquals(expected[ch], sum / 72, 0.02, "class " + CLASSES.get(label) + " channel " + ch);
                }
                pos++;
            }
        }
        assertEquals(12, pos);
        ImageFolderSource grey = new ImageFolderSource(root, 1, 8, 10);
        DataSet g = ImageBatchIterator.evaluation(grey, 12, Normalization.UNIT).next();
        assertArrayEquals(new long[] {12, 1, 8, 10}, g.getFeatures().shape());
    }

    @Test
    void augmentationChangesTrainingImagesNotTestImagesAndIsSeeded() throws IOException {
        Path root = folder(tmp.resolve("data"), 4);
        ImageFolderSource src = new ImageFolderSource(root, 3, 16, 16);
        INDArray test1 = ImageBatchIterator.evaluation(src, 12, Normalization.UNIT)
                .next()
                .getFeatures();
        INDArray test2 = ImageBatchIterator.evaluation(src, 12, Normalization.UNIT)
                .next()
                .getFeatures();
        assertEquals(test1, test2);

        DataSet plain = ImageBatchIterator.training(src, 12, 5, false, Normalization.UNIT)
                .next();
        DataSet aug = ImageBatchIterator.training(src, 12, 5, true, Normalization.UNIT)
                .next();
        DataSet augAgain = ImageBatchIterator.training(
                        new ImageFolderSource(root, 3, 16, 16), 12, 5, true, Normalization.UNIT)
                .next();
        DataSet otherSeed = ImageBatchIterator.training(src, 12, 6, true, Normalization.UNIT)
                .next();
        assertEquals(plain.getLabels(), aug.getLabels());
        assertNotEquals(plain.getFeatures(), aug.getFeatures());
        assertEquals(aug.getFeatures(), augAgain.getFeatures());
        assertEquals(aug.getLabels(), augAgain.getLabels());
        assertNotEquals(aug.getFeatures(), otherSeed.getFeatures());

        // the same image gets the same augmentation whatever batch it is read in
        ImageBatchIterator oneByOne = ImageBatchIterator.training(src, 1, 5, true, Normalization.UNIT);
        INDArray first = oneByOne.next().getFeatures();
        assertEquals(aug.getFeatures().get(NDArrayIndex.point(0)), first.get(NDArrayIndex.point(0)));
    }

    @Test
    void missingAndEmptyFoldersAreNamed() throws IOException {
        Path missing = tmp.resolve("missing");
        InvalidDataException e =
                assertThrows(InvalidDataException.class, () -> new ImageFolderSource(missing, 3, 8, 8));
        assertTrue(
                e.getMessage().contains(missing.toString()) && e.getMessage().contains("does not exist"),
                e.getMessage());

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        e = assertThrows(InvalidDataException.class, () -> new ImageFolderSource(empty, 3, 8, 8));
        assertTrue(
                e.getMessage().contains(empty.toString()) && e.getMessage().contains("no class subfolders"),
                e.getMessage());

        Path root = folder(tmp.resolve("data"), 2);
        Path noImages = Files.createDirectories(root.resolve("fox"));
        Files.writeString(noImages.resolve("notes.txt"), "not an image");
        e = assertThrows(InvalidDataException.class, () -> new ImageFolderSource(root, 3, 8, 8));
        assertTrue(
                e.getMessage().contains(noImages.toString()) && e.getMessage().contains("has no images"),
                e.getMessage());
    }

    @Test
    void unreadableImageIsNamed() throws IOException {
        Path root = folder(tmp.resolve("data"), 2);
        Path bad = root.resolve("dog").resolve("broken.png");
        Files.write(bad, new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3, 4, 5});
        ImageFolderSource src = new ImageFolderSource(root, 3, 8, 8);
        ImageBatchIterator it = ImageBatchIterator.evaluation(src, 7, Normalization.UNIT);
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> {
            while (it.hasNext()) {
                it.next();
            }
        });
        assertTrue(
                e.getMessage().contains(bad.toString()) && e.getMessage().startsWith("cannot read image"),
                e.getMessage());
    }

    @Test
    void imageNetLayoutGivesTrainAndValidation() throws IOException {
        Path root = tmp.resolve("imagenet");
        folder(root.resolve("train"), 3);
        folder(root.resolve("val"), 1);
        DataSplit split = DataSets.open(root.toString(), 3, 12, 12);
        assertEquals(9, split.train().size());
        assertEquals(3, split.test().size());
        assertEquals(CLASSES, split.test().classNames());

        DataSplit evalOnly = DataSets.open(root.resolve("val").toString(), 3, 12, 12);
        assertNull(evalOnly.train());
        assertEquals(3, evalOnly.evaluationSet().size());
        InvalidDataException e = assertThrows(InvalidDataException.class, evalOnly::requireTrain);
        assertTrue(e.getMessage().contains("/train/<class>/<image>"), e.getMessage());
    }
}
