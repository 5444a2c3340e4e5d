package org.dl4jpe.zoo.data;

import java.util.List;

/** The images of {@code base} at {@code indices}, in that order: a subset or a reordering, loaded lazily. */
public final class IndexedSource implements ImageSource {
    private final ImageSource base;
    private final int[] indices;
    private final String description;

    public IndexedSource(ImageSource base, int[] indices, String description) {
        this.base = base;
        this.indices = indices.clone();
        this.description = description;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public List<String> classNames() {
        return base.classNames();
    }

    @Override
    public int size() {
        return indices.length;
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
    public int label(int index) {
        return base.label(indices[index]);
    }

    /** The base's problems: a subset is as sound as the images it is drawn from. */
    @Override
    public List<String> problems() {
        return base.problems();
    }

    @Override
    public void load(int[] which, boolean augment, long augmentSeed, float[] features, int[] labels) {
        int[] mapped = new int[which.length];
        for (int i = 0; i < which.length; i++) {
            mapped[i] = indices[which[i]];
        }
        base.load(mapped, augment, augmentSeed, features, labels);
    }
}
