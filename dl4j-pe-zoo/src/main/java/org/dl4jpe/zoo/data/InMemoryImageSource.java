package org.dl4jpe.zoo.data;

import java.util.List;
import java.util.SplittableRandom;

/**
 * An {@link ImageSet} as an {@link ImageSource}. Augmentation is pad-and-crop (zero padding of
 * {@code max(1, round(min(H, W) / 8))} pixels, a random H×W window) and a horizontal flip with probability 1/2.
 */
public final class InMemoryImageSource implements ImageSource {
    private final ImageSet set;

    public InMemoryImageSource(ImageSet set) {
        this.set = set;
    }

    public ImageSet imageSet() {
        return set;
    }

    @Override
    public String description() {
        return set.source();
    }

    @Override
    public List<String> classNames() {
        return set.classNames();
    }

    @Override
    public int size() {
        return set.size();
    }

    @Override
    public int channels() {
        return set.channels();
    }

    @Override
    public int height() {
        return set.height();
    }

    @Override
    public int width() {
        return set.width();
    }

    @Override
    public int label(int index) {
        return set.labels()[index];
    }

    /** Padding of the pad-and-crop augmentation. */
    public static int padding(int height, int width) {
        return Math.max(1, Math.round(Math.min(height, width) / 8f));
    }

    @Override
    public void load(int[] indices, boolean augment, long augmentSeed, float[] features, int[] labels) {
        int c = set.channels();
        int h = set.height();
        int w = set.width();
        int per = c * h * w;
        byte[] px = set.pixels();
        int pad = padding(h, w);
        for (int b = 0; b < indices.length; b++) {
            int idx = indices[b];
            labels[b] = set.labels()[idx];
            int src = idx * per;
            int dst = b * per;
            if (!augment) {
                for (int i = 0; i < per; i++) {
                    features[dst + i] = px[src + i] & 0xFF;
                }
                continue;
            }
            SplittableRandom rnd = new SplittableRandom(Seeds.mix(augmentSeed, idx));
            int dy = rnd.nextInt(2 * pad + 1) - pad;
            int dx = rnd.nextInt(2 * pad + 1) - pad;
            boolean flip = rnd.nextBoolean();
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    int sy = y + dy;
                    for (int x = 0; x < w; x++) {
                        int sx = (flip ? w - 1 - x : x) + dx;
                        float v = 0f;
                        if (sy >= 0 && sy < h && sx >= 0 && sx < w) {
                            v = px[src + (ch * h + sy) * w + sx] & 0xFF;
                        }
                        features[dst + (ch * h + y) * w + x] = v;
                    }
                }
            }
        }
    }
}
