package org.dl4jpe.zoo.data;

import static org.bytedeco.opencv.global.opencv_core.flip;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import java.util.Random;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;
import org.datavec.image.data.ImageWritable;
import org.datavec.image.transform.BaseImageTransform;

/**
 * DataVec training augmentation: resize to {@code (H + 2p)×(W + 2p)}, take a random H×W window, flip
 * horizontally with probability 1/2 ({@code p = max(1, round(min(H, W) / 8))}, so 224 → 256 → 224 and 28 → 36 → 28,
 * the scale-and-crop of the usual ImageNet recipe). The random draws come from {@link #reseed}: the reader
 * reseeds it per image, so an image's augmentation depends on the run seed, the epoch and the image only.
 */
public final class RandomCropFlip extends BaseImageTransform<Mat> {
    private final int height;
    private final int width;
    private final int pad;

    public RandomCropFlip(int height, int width) {
        super(new Random(0));
        this.height = height;
        this.width = width;
        this.pad = InMemoryImageSource.padding(height, width);
        this.converter = new OpenCVFrameConverter.ToMat();
    }

    /** Sets the seed of the next image's draws. */
    public void reseed(long seed) {
        random.setSeed(seed);
    }

    @Override
    protected ImageWritable doTransform(ImageWritable image, Random rnd) {
        if (image == null) {
            return null;
        }
        Random r = rnd != null ? rnd : random;
        Mat mat = converter.convert(image.getFrame());
        int bigH = height + 2 * pad;
        int bigW = width + 2 * pad;
        Mat scaled = new Mat();
        int interpolation = mat.rows() > bigH && mat.cols() > bigW ? INTER_AREA : INTER_LINEAR;
        resize(mat, scaled, new Size(bigW, bigH), 0, 0, interpolation);
        int y = r.nextInt(2 * pad + 1);
        int x = r.nextInt(2 * pad + 1);
        Mat crop = new Mat(scaled, new Rect(x, y, width, height)).clone();
        if (r.nextBoolean()) {
            Mat flipped = new Mat();
            flip(crop, flipped, 1);
            crop = flipped;
        }
        return new ImageWritable(converter.convert(crop));
    }

    @Override
    public float[] query(float... coordinates) {
        throw new UnsupportedOperationException("RandomCropFlip does not map coordinates");
    }
}
