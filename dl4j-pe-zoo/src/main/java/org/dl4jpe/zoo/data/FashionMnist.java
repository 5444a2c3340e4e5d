package org.dl4jpe.zoo.data;

import java.nio.file.Path;
import java.util.List;

/**
 * Fashion-MNIST (Xiao, Rasul, Vollgraf 2017): 28×28 grey images of 10 clothing classes, 60,000 for training and
 * 10,000 for testing, in IDX format. Debian's {@code dataset-fashion-mnist} package installs it in
 * {@link #DEFAULT_DIR}; a balanced subset ships in this module's resources ({@link #SUBSET_RESOURCE}, made by
 * {@link SubsetMaker}) so that tests and the demo need nothing else.
 */
public final class FashionMnist {
    /** Debian's location. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    /** Class-path folder of the shipped subset. */
    public static final String SUBSET_RESOURCE = "fashion-mnist-subset";
    /** Images per class in the shipped subset's training split. */
    public static final int SUBSET_TRAIN_PER_CLASS = 200;
    /** Images per class in the shipped subset's test split. */
    public static final int SUBSET_TEST_PER_CLASS = 50;

    /** Class names by label, as the dataset's authors give them. */
    public static final List<String> CLASS_NAMES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private FashionMnist() {}

    /** The training split (60,000 images) from {@code dir}. */
    public static ImageSet train(Path dir) {
        return IdxData.load(dir, IdxData.TRAIN, CLASS_NAMES);
    }

    /** The test split (10,000 images) from {@code dir}. */
    public static ImageSet test(Path dir) {
        return IdxData.load(dir, IdxData.TEST, CLASS_NAMES);
    }

    /** The shipped subset's training split: {@link #SUBSET_TRAIN_PER_CLASS} images per class. */
    public static ImageSet subsetTrain() {
        return IdxData.loadResource(SUBSET_RESOURCE, IdxData.TRAIN, CLASS_NAMES);
    }

    /** The shipped subset's test split: {@link #SUBSET_TEST_PER_CLASS} images per class. */
    public static ImageSet subsetTest() {
        return IdxData.loadResource(SUBSET_RESOURCE, IdxData.TEST, CLASS_NAMES);
    }
}
