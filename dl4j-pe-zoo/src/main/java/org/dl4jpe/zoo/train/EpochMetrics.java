package org.dl4jpe.zoo.train;

/**
 * One epoch's numbers, one row of {@code metrics.csv}. Losses are the data loss, mean cross-entropy per image,
 * without regularization; accuracies are fractions in [0, 1]; {@code testLoss}/{@code testAccuracy} are NaN when
 * there is no test set.
 *
 * <p>DL4J's {@code score()} is the data loss <em>plus</em> the regularization term ({@code l1}/{@code l2}/
 * {@code weightDecay} penalties, {@code calcRegularizationScore}); with weight decay 0.05 on a trained model the
 * term can be far larger than the cross-entropy, so {@code score()} barely moves while the data loss falls. The
 * term is kept apart here, in {@code regularization}.
 *
 * @param epoch           1-based epoch number
 * @param trainLoss       mean training data loss over the epoch's batches (weighted by batch size)
 * @param regularization  the regularization term DL4J adds to {@code score()}, at the parameters the epoch ended
 *                        with (0 when the model has none, and in runs written before this column existed)
 * @param trainAccuracy   training accuracy over the epoch (on augmented images, in training mode)
 * @param testLoss        test loss after the epoch
 * @param testAccuracy    test accuracy after the epoch
 * @param seconds         training time of the epoch (evaluation excluded)
 * @param imagesPerSecond training throughput of the epoch
 */
public record EpochMetrics(
        int epoch,
        double trainLoss,
        double regularization,
        double trainAccuracy,
        double testLoss,
        double testAccuracy,
        double seconds,
        double imagesPerSecond) {

    public static final String CSV_HEADER = "epoch,train_loss,regularization,train_accuracy,test_loss,test_accuracy,"
            + "epoch_seconds,images_per_second";

    public String csvRow() {
        return epoch + "," + num(trainLoss) + "," + num(regularization) + "," + num(trainAccuracy) + "," + num(testLoss)
                + "," + num(testAccuracy) + "," + num(seconds) + "," + num(imagesPerSecond);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(java.util.Locale.ROOT, "%.6g", v);
    }
}
