package org.dl4jpe.zoo.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

class ImageBatchIteratorTest {
    private static final InMemoryImageSource SUBSET = new InMemoryImageSource(FashionMnist.subsetTest());

    @Test
    void batchesHaveShapeRangeAndOneHotLabels() {
        ImageBatchIterator it = ImageBatchIterator.evaluation(SUBSET, 64, Normalization.UNIT);
        assertEquals(8, it.batchesPerEpoch());
        int seen = 0;
        int batches = 0;
        while (it.hasNext()) {
            DataSet ds = it.next();
            INDArray x = ds.getFeatures();
            long n = x.size(0);
            assertArrayEquals(new long[] {n, 1, 28, 28}, x.shape());
            assertEquals(DataType.FLOAT, x.dataType());
            assertTrue(x.minNumber().doubleValue() >= 0 && x.maxNumber().doubleValue() <= 1);
            assertArrayEquals(new long[] {n, 10}, ds.getLabels().shape());
            assertEquals(n, ds.getLabels().sumNumber().longValue());
            assertEquals(1.0, ds.getLabels().maxNumber().doubleValue());
            // evaluation order is the source order
            for (int i = 0; i < n; i++) {
                assertEquals(
                        SUBSET.label(seen + i),
                        ds.getLabels().getRow(i).argMax().getInt(0));
            }
            seen += (int) n;
            batches++;
        }
        assertEquals(500, seen);
        assertEquals(8, batches);
        assertEquals(500 - 7 * 64, ds(SUBSET, 64, 7).numExamples());
    }

    private static DataSet ds(ImageSource s, int batch, int skip) {
        ImageBatchIterator it = ImageBatchIterator.evaluation(s, batch, Normalization.UNIT);
        it.skipBatches(skip);
        return it.next();
    }

    @Test
    void pixelValuesAreBytesOver255() {
        ImageSet set = FashionMnist.subsetTest();
        DataSet first = ds(SUBSET, 1, 0);
        float[] x = first.getFeatures().data().asFloat();
        for (int i = 0; i < 784; i++) {
            assertEquals((set.pixels()[i] & 0xFF) / 255f, x[i], 1e-6f);
        }
    }

    @Test
    void meanStdNormalization() {
        Normalization n = Normalization.meanStd(new float[] {0.5f}, new float[] {0.25f});
        ImageBatchIterator it = ImageBatchIterator.evaluation(SUBSET, 1, n);
        float[] x = it.next().getFeatures().data().asFloat();
        byte[] px = FashionMnist.subsetTest().pixels();
        for (int i = 0; i < 784; i++) {
            assertEquals(((px[i] & 0xFF) / 255f - 0.5f) / 0.25f, x[i], 1e-5f);
        }
    }

    @Test
    void shuffleIsSeededAndDiffersPerEpoch() {
        ImageBatchIterator a = ImageBatchIterator.training(SUBSET, 50, 7, false, Normalization.UNIT);
        ImageBatchIterator b = ImageBatchIterator.training(SUBSET, 50, 7, false, Normalization.UNIT);
        ImageBatchIterator c = ImageBatchIterator.training(SUBSET, 50, 8, false, Normalization.UNIT);
        assertArrayEquals(a.order(), b.order());
        assertFalse(Arrays.equals(a.order(), c.order()));
        int[] sorted = a.order().clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            assertEquals(i, sorted[i]);
        }
        int[] epoch0 = a.order();
        a.next();
        a.reset();
        assertEquals(1, a.epoch());
        assertFalse(Arrays.equals(epoch0, a.order()));
        assertEquals(a.next().getFeatures(), nextAt(b, 1, 0).getFeatures());
    }

    private static DataSet nextAt(ImageBatchIterator it, int epoch, int skip) {
        it.setEpoch(epoch);
        it.skipBatches(skip);
        return it.next();
    }

    @Test
    void skippingGivesTheSameBatchesAsReading() {
        ImageBatchIterator full = ImageBatchIterator.training(SUBSET, 32, 3, true, Normalization.UNIT);
        full.setEpoch(2);
        List<INDArray> all = new ArrayList<>();
        while (full.hasNext()) {
            all.add(full.next().getFeatures());
        }
        ImageBatchIterator resumed = ImageBatchIterator.training(SUBSET, 32, 3, true, Normalization.UNIT);
        DataSet fifth = nextAt(resumed, 2, 5);
        assertEquals(all.get(5), fifth.getFeatures());
    }

    @Test
    void augmentationChangesTrainingImagesOnlyAndIsSeeded() {
        ImageBatchIterator plain = ImageBatchIterator.training(SUBSET, 100, 11, false, Normalization.UNIT);
        ImageBatchIterator aug = ImageBatchIterator.training(SUBSET, 100, 11, true, Normalization.UNIT);
        ImageBatchIterator aug2 = ImageBatchIterator.training(SUBSET, 100, 11, true, Normalization.UNIT);
        DataSet p = plain.next();
        DataSet a = aug.next();
        assertEquals(p.getLabels(), a.getLabels());
        assertNotEquals(p.getFeatures(), a.getFeatures());
        assertEquals(a.getFeatures(), aug2.next().getFeatures());
        // pixel mass is preserved up to what the crop cuts off: the images are shifted, not replaced
        double ratio = a.getFeatures().sumNumber().doubleValue()
                / p.getFeatures().sumNumber().doubleValue();
        assertTrue(ratio > 0.8 && ratio <= 1.0 + 1e-6, "augmented/plain pixel mass " + ratio);
        // next epoch draws other augmentations
        aug.reset();
        aug2.setEpoch(1);
        DataSet e1 = aug.next();
        assertEquals(e1.getFeatures(), aug2.next().getFeatures());
    }
}
