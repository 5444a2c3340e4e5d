package org.dl4jpe.spark.train;

import java.io.Serializable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.dl4jpe.zoo.data.DataSets;
import org.dl4jpe.zoo.data.ImageBatchIterator;
import org.dl4jpe.zoo.data.ImageSource;
import org.dl4jpe.zoo.data.IndexedSource;
import org.dl4jpe.zoo.data.Normalization;
import org.dl4jpe.zoo.train.RunConfig;
import org.nd4j.linalg.dataset.DataSet;

/**
 * How an executor gets a run's training images without the driver sending them: it opens the run's {@code --data}
 * itself (the same {@link DataSets#open} as the driver, so the same images at the same positions; an image folder
 * is only listed, and each batch's files are decoded where the batch trains), once per executor JVM, and makes the
 * batch at given positions exactly as {@link ImageBatchIterator} would for that epoch (order, augmentation,
 * normalisation).
 *
 * <p>The data must be readable at the same path on every executor: the shipped subset is inside the jar; a
 * directory must be on shared storage (or copied to every node); {@code fashion-mnist} needs the Debian package on
 * every node.
 */
public record ExecutorData(
        String spec,
        int channels,
        int height,
        int width,
        int trainLimit,
        long seed,
        boolean augment,
        float[] mean,
        float[] std,
        int expectedSize)
        implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Map<String, ImageSource> OPENED = new ConcurrentHashMap<>();

    /** The recipe of {@code config}'s training images ({@code train}: the driver's view, for checks). */
    public static ExecutorData of(RunConfig config, ImageSource train) {
        var o = config.options();
        Normalization n = config.normalization();
        return new ExecutorData(
                absolute(config.data()),
                o.inputChannels(),
                o.inputHeight(),
                o.inputWidth(),
                config.trainLimit(),
                o.seed(),
                config.augment(),
                n.mean(),
                n.std(),
                train.size());
    }

    /** Paths made absolute: executors of a local cluster run in their own working directories. */
    static String absolute(String spec) {
        java.nio.file.Path p = java.nio.file.Path.of(spec);
        return java.nio.file.Files.exists(p) ? p.toAbsolutePath().normalize().toString() : spec;
    }

    /** The training images, opened once per JVM. */
    public ImageSource train() {
        String key = spec + "|" + channels + "x" + height + "x" + width + "|" + trainLimit;
        ImageSource s = OPENED.computeIfAbsent(
                key,
                k -> DataSets.open(spec, channels, height, width)
                        .limit(trainLimit, 0)
                        .requireTrain());
        if (s.size() != expectedSize) {
            throw new IllegalStateException("data = " + spec + " has " + s.size() + " training images on this"
                    + " executor but " + expectedSize + " on the driver; every node must see the same data");
        }
        return s;
    }

    /** The batch of epoch {@code epoch} (0-based) made of the images at {@code positions}, in that order. */
    public DataSet batch(int[] positions, int epoch) {
        ImageSource s = new IndexedSource(train(), positions, spec + " (a batch)");
        ImageBatchIterator it = new ImageBatchIterator(
                s,
                positions.length,
                false,
                augment,
                seed,
                mean.length == 0 ? Normalization.UNIT : Normalization.meanStd(mean, std));
        it.setEpoch(epoch);
        return it.next();
    }
}
