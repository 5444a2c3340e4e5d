package org.dl4jpe.zoo.data;

import java.util.List;

/**
 * The first {@code n} images of a source in a class-balanced order: image {@code i} is the
 * {@code (i / K)}-th image of class {@code i mod K}, so any prefix is (nearly) balanced.
 */
final class Limited implements ImageSource {
    private final ImageSource base;
    private final int[] index;

    private Limited(ImageSource base, int[] index) {
        this.base = base;
        this.index = index;
    }

    static ImageSource of(ImageSource base, int n) {
        if (base == null || n <= 0 || n >= base.size()) {
            return base;
        }
        int k = base.numClasses();
        List<List<Integer>> byClass = new java.util.ArrayList<>();
        for (int c = 0; c < k; c++) {
            byClass.add(new java.util.ArrayList<>());
        }
        for (int i = 0; i < base.size(); i++) {
            byClass.get(base.label(i)).add(i);
        }
        int[] idx = new int[n];
        int out = 0;
        for (int round = 0; out < n; round++) {
            for (int c = 0; c < k && out < n; c++) {
                if (round < byClass.get(c).size()) {
                    idx[out++] = byClass.get(c).get(round);
                }
            }
        }
        return new Limited(base, idx);
    }

    @Override
    public String description() {
        return base.description() + " (first " + index.length + " images, class-balanced)";
    }

    @Override
    public List<String> classNames() {
        return base.classNames();
    }

    @Override
    public int size() {
        return index.length;
    }

    @Override
    public int channels() {
        return base.channels();
    }

    @Override
    public int height() {
        return base.height();
    }

    @Override
    public int width() {
        return base.width();
    }

    @Override
    public int label(int i) {
        return base.label(index[i]);
    }

    @Override
    public void load(int[] indices, boolean augment, long augmentSeed, float[] features, int[] labels) {
        int[] mapped = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            mapped[i] = index[indices[i]];
        }
        base.load(mapped, augment, augmentSeed, features, labels);
    }
}
