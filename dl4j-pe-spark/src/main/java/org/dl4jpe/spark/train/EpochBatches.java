package org.dl4jpe.spark.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dl4jpe.zoo.data.ImageBatchIterator;
import org.dl4jpe.zoo.data.ImageSource;
import org.dl4jpe.zoo.train.RunConfig;

/** The positions of each batch of an epoch, in the order the local trainer visits them. */
final class EpochBatches {
    private EpochBatches() {}

    /** Batches of {@code batchSize} of epoch {@code epoch} (0-based) of {@code train}, from batch {@code first}. */
    static List<int[]> of(ImageSource train, RunConfig config, int batchSize, int epoch, int first) {
        ImageBatchIterator it =
                ImageBatchIterator.training(train, batchSize, config.options().seed(), false, config.normalization());
        it.setEpoch(epoch);
        int[] order = it.order();
        List<int[]> batches = new ArrayList<>();
        for (int from = first * batchSize; from < order.length; from += batchSize) {
            batches.add(Arrays.copyOfRange(order, from, Math.min(order.length, from + batchSize)));
        }
        return batches;
    }
}
