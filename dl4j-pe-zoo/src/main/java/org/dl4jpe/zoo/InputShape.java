package org.dl4jpe.zoo;

/**
 * The image a model takes: height and width in pixels, and channels.
 *
 * @param height   image height in pixels (positive)
 * @param width    image width in pixels (positive)
 * @param channels image channels (positive)
 */
public record InputShape(int height, int width, int channels) {
    /** ImageNet's 224×224 RGB. */
    public static final InputShape IMAGENET = new InputShape(224, 224, 3);
    /** Fashion-MNIST's (and MNIST's) 28×28 grey scale. */
    public static final InputShape FASHION_MNIST = new InputShape(28, 28, 1);

    /** Validates every field; the message names the field, its value and what is valid. */
    public InputShape {
        positive("inputHeight", height);
        positive("inputWidth", width);
        positive("inputChannels", channels);
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " " + value + " must be positive");
        }
    }

    /** {@code HxWxC}, as {@code pe models} prints it. */
    @Override
    public String toString() {
        return height + "x" + width + "x" + channels;
    }
}
