package org.dl4jpe.zoo.data;

import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batches of an {@link ImageSource} for DL4J: features {@code [B, C, H, W]} float, normalised by a
 * {@link Normalization} (default [0, 1]), labels one-hot {@code [B, K]}. The last batch may be smaller.
 *
 * <p>Order: with shuffling, epoch {@code e} visits the images in a permutation drawn from {@code (seed, e)}; so
 * does augmentation. {@link #reset()} moves to the next epoch (once a batch has been read), so DL4J's
 * {@code fit(iterator, epochs)} reshuffles every epoch; {@link #setEpoch} and {@link #skipBatches} place the
 * iterator anywhere, which is how a resumed run continues exactly where it stopped.
 */
public final class ImageBatchIterator implements DataSetIterator {
    private static final long serialVersionUID = 1L;

    private final transient ImageSource source;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean augment;
    private final long seed;
    private final Normalization normalization;
    private DataSetPreProcessor preProcessor;
    private int epoch;
    private int position;
    private int[] order;

    /**
     * @param source        the images
     * @param batchSize     images per batch (positive)
     * @param shuffle       whether each epoch has its own seeded order (else the source order)
     * @param augment       whether to apply the source's training augmentation
     * @param seed          seed of order and augmentation
     * @param normalization pixel normalisation
     */
    public ImageBatchIterator(
            ImageSource source,
            int batchSize,
            boolean shuffle,
            boolean augment,
            long seed,
            Normalization normalization) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize " + batchSize + " must be positive");
        }
        if (source.size() == 0) {
            throw new InvalidDataException(source.description() + " has no images");
        }
        normalization.requireChannels(source.channels());
        this.source = source;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.augment = augment;
        this.seed = seed;
        this.normalization = normalization;
        setEpoch(0);
    }

    /** Training batches: shuffled and augmented. */
    public static ImageBatchIterator training(
            ImageSource source, int batchSize, long seed, boolean augment, Normalization normalization) {
        return new ImageBatchIterator(source, batchSize, true, augment, seed, normalization);
    }

    /** Evaluation batches: source order, no augmentation. */
    public static ImageBatchIterator evaluation(ImageSource source, int batchSize, Normalization normalization) {
        return new ImageBatchIterator(source, batchSize, false, false, 0L, normalization);
    }

    public ImageSource source() {
        return source;
    }

    public int epoch() {
        return epoch;
    }

    /** Batches read so far in this epoch. */
    public int position() {
        return position;
    }

    /** Batches per epoch. */
    public int batchesPerEpoch() {
        return batchesPerEpoch(source.size(), batchSize);
    }

    /** Batches of an epoch over {@code images} images at {@code batchSize}: the last one may be smaller. */
    public static int batchesPerEpoch(int images, int batchSize) {
        return (images + batchSize - 1) / batchSize;
    }

    /** Moves to the start of epoch {@code epoch} (0-based). */
    public void setEpoch(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch " + epoch + " must be >= 0");
        }
        this.epoch = epoch;
        this.position = 0;
        int n = source.size();
        order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (shuffle) {
            Random r = new Random(Seeds.mix(seed, epoch));
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
    }

    /** Skips the next {@code batches} batches of this epoch without loading them. */
    public void skipBatches(int batches) {
        if (batches < 0 || position + batches > batchesPerEpoch()) {
            throw new IllegalArgumentException(
                    "cannot skip " + batches + " batches at batch " + position + " of " + batchesPerEpoch());
        }
        position += batches;
    }

    /** The image indices of this epoch, in visiting order (a copy). */
    public int[] order() {
        return order.clone();
    }

    @Override
    public boolean hasNext() {
        return position * (long) batchSize < source.size();
    }

    @Override
    public DataSet next() {
        return next(batchSize);
    }

    @Override
    public DataSet next(int num) {
        if (!hasNext()) {
            throw new NoSuchElementException("epoch " + epoch + " of " + source.description() + " is finished");
        }
        if (num != batchSize) {
            throw new IllegalArgumentException("this iterator reads batches of " + batchSize + ", not " + num);
        }
        int from = position * batchSize;
        int n = Math.min(batchSize, source.size() - from);
        int[] idx = new int[n];
        System.arraycopy(order, from, idx, 0, n);
        position++;
        int c = source.channels();
        int plane = source.height() * source.width();
        float[] x = new float[n * c * plane];
        int[] y = new int[n];
        source.load(idx, augment, Seeds.mix(seed ^ 0x5DEECE66DL, epoch), x, y);
        normalization.apply(x, n, c, plane);
        INDArray features = Nd4j.create(x, new long[] {n, c, source.height(), source.width()}, 'c');
        INDArray labels = Nd4j.zeros(DataType.FLOAT, n, source.numClasses());
        for (int i = 0; i < n; i++) {
            labels.putScalar(i, y[i], 1.0f);
        }
        DataSet ds = new DataSet(features, labels);
        if (preProcessor != null) {
            preProcessor.preProcess(ds);
        }
        return ds;
    }

    @Override
    public int inputColumns() {
        return source.channels() * source.height() * source.width();
    }

    @Override
    public int totalOutcomes() {
        return source.numClasses();
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    /** Prefetching threads would read ahead of {@link #position()}; batches are made on the caller's thread. */
    @Override
    public boolean asyncSupported() {
        return false;
    }

    /** Starts the next epoch if any batch of this one was read, else restarts this one. */
    @Override
    public void reset() {
        setEpoch(position > 0 ? epoch + 1 : epoch);
    }

    @Override
    public int batch() {
        return batchSize;
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        this.preProcessor = preProcessor;
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return preProcessor;
    }

    @Override
    public List<String> getLabels() {
        return source.classNames();
    }
}
