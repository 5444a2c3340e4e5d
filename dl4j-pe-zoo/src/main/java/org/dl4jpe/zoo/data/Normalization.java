package org.dl4jpe.zoo.data;

import java.util.Arrays;

/**
 * How pixel values become model inputs: {@code x / 255}, then per channel {@code (x - mean[c]) / std[c]} when
 * mean and std are given. {@link #UNIT} (the default) stops at {@code [0, 1]}.
 *
 * @param mean per-channel mean of the [0, 1] values, or empty for none
 * @param std  per-channel standard deviation, same length as {@code mean}, positive
 */
public record Normalization(float[] mean, float[] std) {
    /** Scale to [0, 1] only. */
    public static final Normalization UNIT = new Normalization(new float[0], new float[0]);
    /** Fashion-MNIST's training-set mean and standard deviation of [0, 1] pixels. */
    public static final Normalization FASHION_MNIST = new Normalization(new float[] {0.2860f}, new float[] {0.3530f});
    /** ImageNet's, in DataVec's BGR channel order (NativeImageLoader gives BGR). */
    public static final Normalization IMAGENET_BGR =
            new Normalization(new float[] {0.406f, 0.456f, 0.485f}, new float[] {0.225f, 0.224f, 0.229f});

    public Normalization {
        mean = mean.clone();
        std = std.clone();
        if (mean.length != std.length) {
            throw new IllegalArgumentException(
                    "normalization mean has " + mean.length + " values but std has " + std.length);
        }
        for (float s : std) {
            if (!(s > 0) || Float.isInfinite(s)) {
                throw new IllegalArgumentException(
                        "normalization std " + Arrays.toString(std) + " must be positive and finite");
            }
        }
    }

    /** Whether this is {@link #UNIT}. */
    public boolean isUnit() {
        return mean.length == 0;
    }

    /** Per-channel mean and std (one value each for all channels if given once). */
    public static Normalization meanStd(float[] mean, float[] std) {
        return new Normalization(mean, std);
    }

    /** Checks this fits images of {@code channels} channels (one value serves every channel). */
    public void requireChannels(int channels) {
        if (!isUnit() && mean.length != 1 && mean.length != channels) {
            throw new IllegalArgumentException("normalization has " + mean.length
                    + " mean/std values but the images have " + channels + " channels (give 1 or " + channels + ")");
        }
    }

    /** Normalises {@code n} images of {@code channels}×{@code plane} raw 0..255 values in place. */
    public void apply(float[] x, int n, int channels, int plane) {
        if (!isUnit()) {
            requireChannels(channels);
        }
        int i = 0;
        for (int img = 0; img < n; img++) {
            for (int c = 0; c < channels; c++) {
                float m = isUnit() ? 0f : mean[mean.length == 1 ? 0 : c];
                float s = isUnit() ? 1f : std[std.length == 1 ? 0 : c];
                float scale = 1f / (255f * s);
                float shift = m / s;
                for (int p = 0; p < plane; p++, i++) {
                    x[i] = x[i] * scale - shift;
                }
            }
        }
    }

    /** "unit" or "mean=[..] std=[..]", for logs and run records. */
    public String describe() {
        return isUnit() ? "unit" : "mean=" + Arrays.toString(mean) + " std=" + Arrays.toString(std);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return describe();
    }
}
