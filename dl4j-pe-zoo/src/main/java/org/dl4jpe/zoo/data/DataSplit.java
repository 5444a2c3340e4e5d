package org.dl4jpe.zoo.data;

/**
 * The data a {@code --data} argument names: a training part and a test part; either may be absent (an image
 * folder without {@code train/} and {@code val/} is one evaluation set).
 *
 * @param spec  the argument as given
 * @param train training images, or null
 * @param test  test (validation) images, or null
 */
public record DataSplit(String spec, ImageSource train, ImageSource test) {

    /** The training part; the message says what layout would have one. */
    public ImageSource requireTrain() {
        if (train == null) {
            throw new InvalidDataException("data = " + spec + " has no training split: an image folder for training"
                    + " needs " + spec + "/train/<class>/<image> and " + spec + "/val/<class>/<image>");
        }
        return train;
    }

    /** The part to evaluate on: the test split if there is one, else the only one there is. */
    public ImageSource evaluationSet() {
        return test != null ? test : train;
    }

    /**
     * Checks both splits before any training ({@link ImageSource#problems()}); the message names every bad file
     * (the first 50, and how many more).
     */
    public void checkImages() {
        java.util.List<String> all = new java.util.ArrayList<>();
        if (train != null) {
            all.addAll(train.problems());
        }
        if (test != null && test != train) {
            all.addAll(test.problems());
        }
        if (!all.isEmpty()) {
            int shown = Math.min(50, all.size());
            throw new InvalidDataException("data = " + spec + ": " + all.size() + (all.size() == 1 ? " file" : " files")
                    + " cannot be used (checked before training):\n  " + String.join("\n  ", all.subList(0, shown))
                    + (all.size() > shown ? "\n  ... and " + (all.size() - shown) + " more" : ""));
        }
    }

    /** A copy keeping only the first {@code trainLimit} / {@code testLimit} images (0 = all), for quick runs. */
    public DataSplit limit(int trainLimit, int testLimit) {
        return new DataSplit(spec, Limited.of(train, trainLimit), Limited.of(test, testLimit));
    }
}
