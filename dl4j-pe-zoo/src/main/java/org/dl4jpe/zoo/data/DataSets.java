package org.dl4jpe.zoo.data;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves a {@code --data} argument:
 * <ul>
 *   <li>{@code fashion-mnist}: Debian's Fashion-MNIST in {@link FashionMnist#DEFAULT_DIR} (train and t10k);</li>
 *   <li>{@code fashion-mnist-subset}: the balanced subset shipped in this module (2,000 train, 500 test);</li>
 *   <li>a directory of IDX files ({@code train-images-idx3-ubyte[.gz]} and friends);</li>
 *   <li>an image folder in ImageNet layout: {@code DIR/train/<class>/} and {@code DIR/val/<class>/} (or
 *       {@code test/}), or {@code DIR/<class>/} alone (then an evaluation set only).</li>
 * </ul>
 */
public final class DataSets {
    public static final String FASHION_MNIST = "fashion-mnist";
    public static final String FASHION_MNIST_SUBSET = "fashion-mnist-subset";

    private DataSets() {}

    /** What {@code --data} accepts, for help texts and errors. */
    public static final String ACCEPTED = "fashion-mnist (Debian's /usr/share/datasets/fashion-mnist),"
            + " fashion-mnist-subset (shipped), a directory of IDX files, or an image folder (DIR/train/<class>/ and"
            + " DIR/val/<class>/, or DIR/<class>/)";

    /**
     * Opens {@code spec} for a model taking {@code channels}×{@code height}×{@code width} images; IDX data must
     * have that shape already, image folders are converted and resized to it.
     */
    public static DataSplit open(String spec, int channels, int height, int width) {
        if (spec == null || spec.isBlank()) {
            throw new InvalidDataException("data is empty; it accepts " + ACCEPTED);
        }
        DataSplit split;
        if (FASHION_MNIST.equals(spec)) {
            Path dir = FashionMnist.DEFAULT_DIR;
            if (!Files.isDirectory(dir)) {
                throw new InvalidDataException("data = " + spec + ": " + dir + " does not exist; install Debian's"
                        + " dataset-fashion-mnist package, or use data = " + FASHION_MNIST_SUBSET
                        + " (shipped) or a directory of IDX files");
            }
            split = new DataSplit(
                    spec,
                    new InMemoryImageSource(FashionMnist.train(dir)),
                    new InMemoryImageSource(FashionMnist.test(dir)));
        } else if (FASHION_MNIST_SUBSET.equals(spec)) {
            split = new DataSplit(
                    spec,
                    new InMemoryImageSource(FashionMnist.subsetTrain()),
                    new InMemoryImageSource(FashionMnist.subsetTest()));
        } else {
            Path p = Path.of(spec);
            if (!Files.exists(p)) {
                throw new InvalidDataException(
                        "data = " + spec + ": no such file or directory; data accepts " + ACCEPTED);
            }
            if (!Files.isDirectory(p)) {
                throw new InvalidDataException("data = " + spec + " is a file; data accepts " + ACCEPTED);
            }
            if (IdxData.isIdxDirectory(p)) {
                var names = IdxData.classNames(p);
                split = new DataSplit(
                        spec,
                        new InMemoryImageSource(IdxData.load(p, IdxData.TRAIN, names)),
                        new InMemoryImageSource(IdxData.load(p, IdxData.TEST, names)));
            } else if (Files.isDirectory(p.resolve("train"))) {
                Path val = Files.isDirectory(p.resolve("val")) ? p.resolve("val") : p.resolve("test");
                if (!Files.isDirectory(val)) {
                    throw new InvalidDataException("image folder " + p + " has train/ but no val/ or test/ folder");
                }
                ImageFolderSource train = new ImageFolderSource(p.resolve("train"), channels, height, width);
                ImageFolderSource test = new ImageFolderSource(val, channels, height, width);
                if (!train.classNames().equals(test.classNames())) {
                    throw new InvalidDataException("image folder " + p + ": the class folders of train/ "
                            + train.classNames() + " differ from those of " + val.getFileName() + "/ "
                            + test.classNames());
                }
                split = new DataSplit(spec, train, test);
            } else if (ImageFolderSource.isImageFolder(p)) {
                split = new DataSplit(spec, null, new ImageFolderSource(p, channels, height, width));
            } else {
                throw new InvalidDataException("data = " + spec + " has neither IDX files ("
                        + IdxData.imagesFile(IdxData.TRAIN) + "[.gz]) nor class subfolders; data accepts "
                        + ACCEPTED);
            }
        }
        requireShape(split.train(), spec, channels, height, width);
        requireShape(split.test(), spec, channels, height, width);
        return split;
    }

    private static void requireShape(ImageSource s, String spec, int channels, int height, int width) {
        if (s != null && (s.channels() != channels || s.height() != height || s.width() != width)) {
            throw new InvalidDataException("data = " + spec + " gives " + s.height() + "x" + s.width() + "x"
                    + s.channels() + " images but the model takes " + height + "x" + width + "x" + channels
                    + "; choose a model for " + s.height() + "x" + s.width() + "x" + s.channels()
                    + " inputs or set inputSize = " + s.height() + " and channels = " + s.channels());
        }
    }
}
