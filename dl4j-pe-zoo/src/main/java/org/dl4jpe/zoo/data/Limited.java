package org.dl4jpe.zoo.data;

import java.util.List;

/**
 * The first {@code n} images of a source in a class-balanced order: image {@code i} is the
 * {@code (i / K)}-th image of class {@code i mod K}, so any prefix is (nearly) balanced.
 */
final class Limited {
    private Limited() {}

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
        return new IndexedSource(base, idx, base.description() + " (first " + n + " images, class-balanced)");
    }
}
