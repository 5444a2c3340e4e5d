package org.dl4jpe.zoo.data;

import java.util.List;

/**
 * Labelled images of one shape, addressed by position {@code 0..size()-1}. {@link ImageBatchIterator} turns a
 * source into DL4J batches in a seeded order.
 */
public interface ImageSource {

    /** Where the images come from, for messages and run records. */
    String description();

    /** Class names by label index. */
    List<String> classNames();

    default int numClasses() {
        return classNames().size();
    }

    /** Number of images. */
    int size();

    int channels();

    int height();

    int width();

    /**
     * Loads images {@code indices} into {@code features} ({@code indices.length}·C·H·W raw values in 0..255,
     * channel-major, on that scale whatever the file's bit depth) and their labels into {@code labels}. With {@code augment}, each image gets training
     * augmentation (random crop, horizontal flip) drawn from {@code augmentSeed} and the image alone, so the same
     * seed gives the same images whatever the batching.
     */
    void load(int[] indices, boolean augment, long augmentSeed, float[] features, int[] labels);

    /** The label of image {@code index}. */
    int label(int index);

    /**
     * Problems that would make {@link #load} fail, found without decoding (an image folder checks its structure
     * and every file's header): one line each, naming the file; empty when there are none.
     */
    default List<String> problems() {
        return List.of();
    }
}
