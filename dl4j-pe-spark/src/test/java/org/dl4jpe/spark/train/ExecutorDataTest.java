package org.dl4jpe.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.dl4jpe.zoo.Zoo;
import org.dl4jpe.zoo.data.DataSplit;
import org.dl4jpe.zoo.data.ImageBatchIterator;
import org.dl4jpe.zoo.data.ImageSource;
import org.dl4jpe.zoo.data.Normalization;
import org.dl4jpe.zoo.train.RunConfig;
import org.dl4jpe.zoo.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The batches an executor builds from positions alone are exactly the local trainer's batches of that epoch
 * (order, augmentation, normalisation): for IDX data and for an image folder decoded on the executor.
 */
class ExecutorDataTest {
    @TempDir
    Path tmp;

    private static void assertSameBatches(RunConfig config, int epoch, int first) {
        DataSplit split = Trainer.openData(config);
        ImageSource train = split.requireTrain();
        ImageBatchIterator local = ImageBatchIterator.training(
                train, config.batchSize(), config.options().seed(), config.augment(), config.normalization());
        local.setEpoch(epoch);
        local.skipBatches(first);
        ExecutorData data = ExecutorData.of(config, train);
        List<int[]> batches = EpochBatches.of(train, config, config.batchSize(), epoch, first);
        assertEquals(local.batchesPerEpoch() - first, batches.size());
        for (int[] positions : batches) {
            DataSet expected = local.next();
            DataSet actual = data.batch(positions, epoch);
            assertEquals(expected.getFeatures(), actual.getFeatures());
            assertEquals(expected.getLabels(), actual.getLabels());
        }
        assertTrue(!local.hasNext());
    }

    @Test
    void idxBatchesEqualTheLocalTrainers() {
        RunConfig c = new RunConfig(
                "vit_pe_micro_patch4_28",
                Zoo.get("vit_pe_micro_patch4_28").defaultOptions().withSeed(7),
                "fashion-mnist-subset",
                2,
                48,
                false,
                Normalization.FASHION_MNIST,
                200,
                0);
        assertSameBatches(c, 1, 0);
        assertSameBatches(c, 0, 2);
    }

    @Test
    void augmentedImageFolderBatchesEqualTheLocalTrainers() throws Exception {
        Random r = new Random(1);
        for (String part : List.of("train", "val")) {
            for (String cls : List.of("a", "b")) {
                Path d = Files.createDirectories(
                        tmp.resolve("imgs").resolve(part).resolve(cls));
                for (int i = 0; i < 6; i++) {
                    BufferedImage img = new BufferedImage(32, 30, BufferedImage.TYPE_INT_RGB);
                    for (int y = 0; y < 30; y++) {
                        for (int x = 0; x < 32; x++) {
                            img.setRGB(x, y, r.nextInt(1 << 24));
                        }
                    }
                    ImageIO.write(img, "png", d.resolve(cls + i + ".png").toFile());
                }
            }
        }
        RunConfig c = new RunConfig(
                "vit_pe_micro_patch4_28",
                Zoo.get("vit_pe_micro_patch4_28").defaultOptions().withNumClasses(2),
                tmp.resolve("imgs").toString(),
                2,
                5,
                true,
                Normalization.UNIT,
                0,
                0);
        assertSameBatches(c, 1, 0);
    }

    @Test
    void anExecutorSeeingOtherDataFailsWithAMessage() {
        RunConfig c = new RunConfig(
                "vit_pe_micro_patch4_28",
                Zoo.get("vit_pe_micro_patch4_28").defaultOptions(),
                "fashion-mnist-subset",
                1,
                32,
                false,
                Normalization.UNIT,
                100,
                0);
        ExecutorData d = ExecutorData.of(c, Trainer.openData(c).requireTrain());
        ExecutorData other = new ExecutorData(
                d.spec(),
                d.channels(),
                d.height(),
                d.width(),
                d.trainLimit(),
                d.seed(),
                d.augment(),
                d.mean(),
                d.std(),
                101);
        IllegalStateException e = assertThrows(IllegalStateException.class, other::train);
        assertTrue(
                e.getMessage().contains("101 on the driver") && e.getMessage().contains("same data"), e.getMessage());
    }
}
