package org.dl4jpe.zoo.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Makes a balanced subset of an IDX dataset: the first {@code perClass} images of every class, in the order of
 * the original files (so the subset is determined by the source files alone, no seed involved). Output files are
 * gzip-compressed IDX with the original names; gzip headers carry no time stamp, so the bytes are reproducible.
 *
 * <p>The shipped subset was made with (from Debian's {@code dataset-fashion-mnist}):
 * <pre>
 * ./pe make-subset --from /usr/share/datasets/fashion-mnist --train-per-class 200 --test-per-class 50 \
 *     --out dl4j-pe-zoo/src/main/resources/fashion-mnist-subset
 * </pre>
 */
public final class SubsetMaker {
    private SubsetMaker() {}

    /** The first {@code perClass} images of each class of {@code set}, in their original order. */
    public static ImageSet firstPerClass(ImageSet set, int perClass) {
        if (perClass <= 0) {
            throw new IllegalArgumentException("perClass " + perClass + " must be positive");
        }
        int k = set.numClasses();
        int[] taken = new int[k];
        int[] counts = set.classCounts();
        for (int c = 0; c < k; c++) {
            if (counts[c] < perClass) {
                throw new InvalidDataException(set.source() + " has only " + counts[c] + " images of class " + c + " ("
                        + set.classNames().get(c) + "); cannot take " + perClass + " per class");
            }
        }
        int n = perClass * k;
        int bytes = set.imageBytes();
        byte[] pixels = new byte[n * bytes];
        int[] labels = new int[n];
        int out = 0;
        for (int i = 0; i < set.size() && out < n; i++) {
            int c = set.labels()[i];
            if (taken[c] < perClass) {
                taken[c]++;
                System.arraycopy(set.pixels(), i * bytes, pixels, out * bytes, bytes);
                labels[out++] = c;
            }
        }
        return new ImageSet(
                set.source() + " (first " + perClass + " per class)",
                set.channels(),
                set.height(),
                set.width(),
                pixels,
                labels,
                set.classNames());
    }

    /** Writes {@code set} as {@code {split}-images-idx3-ubyte.gz} and {@code {split}-labels-idx1-ubyte.gz}. */
    public static List<Path> write(ImageSet set, Path dir, String split) throws IOException {
        if (set.channels() != 1) {
            throw new IllegalArgumentException("IDX images are single-channel; got " + set.channels() + " channels");
        }
        Files.createDirectories(dir);
        Path images = dir.resolve(IdxData.imagesFile(split) + ".gz");
        Path labels = dir.resolve(IdxData.labelsFile(split) + ".gz");
        Idx.writeImages(images, set.height(), set.width(), set.pixels());
        Idx.writeLabels(labels, set.labels());
        return List.of(images, labels);
    }

    /** Makes the subset of {@code from} (train and t10k splits) in {@code out}; returns the files written. */
    public static List<Path> make(Path from, Path out, int trainPerClass, int testPerClass) throws IOException {
        List<String> names = IdxData.classNames(from);
        ImageSet train = firstPerClass(IdxData.load(from, IdxData.TRAIN, names), trainPerClass);
        ImageSet test = firstPerClass(IdxData.load(from, IdxData.TEST, names), testPerClass);
        List<Path> written = new java.util.ArrayList<>(write(train, out, IdxData.TRAIN));
        written.addAll(write(test, out, IdxData.TEST));
        return written;
    }
}
