package org.dl4jpe.zoo.train;

/**
 * One epoch's numbers, one row of {@code metrics.csv}. Losses are mean cross-entropy per image; accuracies are
 * fractions in [0, 1]; {@code testLoss}/{@code testAccuracy} are NaN when there is no test set.
 *
 * @param epoch           1-based epoch number
 * @param trainLoss       mean training loss over the epoch's batches (weighted by batch size)
 * @param trainAccuracy   training accuracy over the epoch (on augmented images, in training mode)
 * @param testLoss        test loss after the epoch
 * @param testAccuracy    test accuracy after the epoch
 * @param seconds         training time of the epoch (evaluation excluded)
 * @param imagesPerSecond training throughput of the epoch
 */
public record EpochMetrics(int epoch, double trainLoss, double trainAccuracy, double testLoss, double testAccuracy,
                           double seconds, double imagesPerSecond) {

    public static final String CSV_HEADER =
            "epoch,train_loss,train_accuracy,test_loss,test_accuracy,epoch_seconds,images_per_second";

    public String csvRow() {
        return epoch + "," + num(trainLoss) + "," + num(trainAccuracy) + "," + num(testLoss) + ","
                + num(testAccuracy) + "," + num(seconds) + "," + num(imagesPerSecond);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(java.util.Locale.ROOT, "%.6g", v);
    }
}
