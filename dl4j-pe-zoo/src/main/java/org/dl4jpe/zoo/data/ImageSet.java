package org.dl4jpe.zoo.data;

import java.util.List;

/**
 * Labelled images held in memory as unsigned bytes: image {@code i} is
 * {@code pixels[i·C·H·W .. (i+1)·C·H·W)} in channel, row, column order; its class is {@code labels[i]}.
 *
 * @param source     where the images came from, for messages and provenance
 * @param channels   C
 * @param height     H
 * @param width      W
 * @param pixels     N·C·H·W unsigned bytes
 * @param labels     N class indices in [0, classNames.size())
 * @param classNames the class names, by index
 */
public record ImageSet(
        String source, int channels, int height, int width, byte[] pixels, int[] labels, List<String> classNames) {

    /** Checks sizes and label range; {@code labelSource} names the labels file in messages. */
    public ImageSet {
        classNames = List.copyOf(classNames);
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException(
                    source + ": image shape " + channels + "x" + height + "x" + width + " must be positive");
        }
        long per = (long) channels * height * width;
        if (pixels.length != per * labels.length) {
            throw new InvalidDataException(
                    source + ": " + (pixels.length / per) + " images but " + labels.length + " labels");
        }
        if (classNames.isEmpty()) {
            throw new IllegalArgumentException(source + ": no class names");
        }
    }

    public int size() {
        return labels.length;
    }

    public int numClasses() {
        return classNames.size();
    }

    public int imageBytes() {
        return channels * height * width;
    }

    /** Images per class, by class index. */
    public int[] classCounts() {
        int[] counts = new int[classNames.size()];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    /**
     * Pairs IDX images with IDX labels and checks them: equal counts, labels in {@code [0, classNames.size())}.
     * Messages name the files.
     */
    public static ImageSet of(Idx.Images images, int[] labels, String labelSource, List<String> classNames) {
        if (images.count() != labels.length) {
            throw new InvalidDataException("IDX images file " + images.source() + " has " + images.count()
                    + " images but labels file " + labelSource + " has " + labels.length + " labels");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] >= classNames.size()) {
                throw new InvalidDataException("IDX labels file " + labelSource + ": label " + labels[i] + " at index "
                        + i + " is out of range 0.." + (classNames.size() - 1) + " (" + classNames.size()
                        + " classes)");
            }
        }
        return new ImageSet(images.source(), 1, images.rows(), images.cols(), images.pixels(), labels, classNames);
    }
}
