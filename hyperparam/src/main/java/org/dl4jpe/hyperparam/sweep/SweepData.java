package org.dl4jpe.hyperparam.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.deeplearning4j.arbiter.optimize.api.data.DataProvider;
import org.dl4jpe.zoo.data.DataSets;
import org.dl4jpe.zoo.data.DataSplit;
import org.dl4jpe.zoo.data.ImageFolderSource;
import org.dl4jpe.zoo.data.ImageSource;
import org.dl4jpe.zoo.data.IndexedSource;
import org.dl4jpe.zoo.data.InvalidDataException;
import org.dl4jpe.zoo.data.Seeds;

/**
 * The data of a sweep, loaded once and shared by every candidate: the training images split (seeded, class by
 * class) into the part each candidate trains on and a validation part that scores it, and the test split, on which
 * only the best candidate is evaluated at the end (so that the number reported for it was not used to choose it).
 *
 * <p>As Arbiter's {@link DataProvider}: {@link #trainData} gives the training part and {@link #testData} the
 * validation part, both as {@link ImageSource}s.
 */
public final class SweepData implements DataProvider {
    private final String spec;
    private final transient ImageSource train;
    private final transient ImageSource validation;
    private final transient ImageSource test;
    private final boolean augment;

    private SweepData(String spec, ImageSource train, ImageSource validation, ImageSource test, boolean augment) {
        this.spec = spec;
        this.train = train;
        this.validation = validation;
        this.test = test;
        this.augment = augment;
    }

    /**
     * Opens {@code spec} (what {@code --data} accepts) for {@code channels×height×width} inputs and splits it.
     *
     * @param limitTrain    use the first N training images, class-balanced, before the split (0 = all)
     * @param limitTest     evaluate the best model on the first N test images, class-balanced (0 = all)
     * @param valFraction   fraction of the (limited) training images held out for validation, in (0, 1)
     * @param seed          seed of the split
     */
    public static SweepData open(
            String spec,
            int channels,
            int height,
            int width,
            int limitTrain,
            int limitTest,
            double valFraction,
            long seed) {
        if (!(valFraction > 0 && valFraction < 1)) {
            throw new IllegalArgumentException("valFraction = " + valFraction + " must be in (0, 1)");
        }
        if (limitTrain < 0 || limitTest < 0) {
            throw new IllegalArgumentException(
                    "limitTrain = " + limitTrain + " and limitTest = " + limitTest + " must be >= 0 (0 = all)");
        }
        DataSplit split = DataSets.open(spec, channels, height, width).limit(limitTrain, limitTest);
        ImageSource all = split.requireTrain();
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < all.numClasses(); c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i = 0; i < all.size(); i++) {
            byClass.get(all.label(i)).add(i);
        }
        SplittableRandom rng = new SplittableRandom(Seeds.mix(seed, 0x5EEDL));
        List<Integer> trainIdx = new ArrayList<>();
        List<Integer> valIdx = new ArrayList<>();
        for (List<Integer> members : byClass) {
            for (int i = members.size() - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                Integer t = members.get(i);
                members.set(i, members.get(j));
                members.set(j, t);
            }
            int nVal = (int) Math.round(members.size() * valFraction);
            if (members.size() >= 2) {
                nVal = Math.max(1, Math.min(members.size() - 1, nVal));
            }
            valIdx.addAll(members.subList(0, nVal));
            trainIdx.addAll(members.subList(nVal, members.size()));
        }
        trainIdx.sort(null);
        valIdx.sort(null);
        if (trainIdx.isEmpty() || valIdx.isEmpty()) {
            throw new InvalidDataException("data = " + spec + ": " + all.size() + " training images are too few to"
                    + " hold out a validation split (valFraction = " + valFraction + ")");
        }
        String what = all.description();
        ImageSource train =
                new IndexedSource(all, toArray(trainIdx), what + " (training part: " + trainIdx.size() + " images)");
        ImageSource val = new IndexedSource(
                all, toArray(valIdx), what + " (validation part: " + valIdx.size() + " images, held out of training)");
        return new SweepData(spec, train, val, split.test(), all instanceof ImageFolderSource);
    }

    private static int[] toArray(List<Integer> list) {
        return list.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The {@code --data} argument. */
    public String spec() {
        return spec;
    }

    /** What candidates train on. */
    public ImageSource train() {
        return train;
    }

    /** What scores candidates. */
    public ImageSource validation() {
        return validation;
    }

    /** The test split (null if the data has none): the best candidate's final evaluation. */
    public ImageSource test() {
        return test;
    }

    /** Whether training images are augmented: as {@code pe train} does, for image folders only. */
    public boolean augment() {
        return augment;
    }

    /** The split a candidate's trainer sees: train and validation (reported by the trainer as its "test" set). */
    public DataSplit trainerSplit() {
        return new DataSplit(spec, train, validation);
    }

    @Override
    public Object trainData(Map<String, Object> dataParameters) {
        return train;
    }

    @Override
    public Object testData(Map<String, Object> dataParameters) {
        return validation;
    }

    @Override
    public Class<?> getDataType() {
        return ImageSource.class;
    }
}
