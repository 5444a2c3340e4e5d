package org.dl4jpe.zoo.train;

import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.data.Normalization;

/**
 * What a training run is: the model and its options, the data, and the budget. Stored in every checkpoint's
 * {@code state.json}, so a resumed run continues with the same settings.
 *
 * @param model         registered model name
 * @param options       model options (seed, updater, learning rate, ...); {@code options.seed()} also seeds data
 *                      order, augmentation and dropout
 * @param data          the {@code --data} argument
 * @param epochs        total epochs of the run (positive)
 * @param batchSize     training batch size (positive)
 * @param augment       whether training images are augmented (random crop, horizontal flip)
 * @param normalization pixel normalisation of inputs
 * @param trainLimit    train on the first {@code trainLimit} images only (class-balanced; 0 = all)
 * @param testLimit     evaluate on the first {@code testLimit} test images only (class-balanced; 0 = all)
 * @param schedule      how the learning rate moves over the run ({@link LrSchedule#CONSTANT} when absent, as in
 *                      runs of versions before it existed)
 */
public record RunConfig(
        String model,
        ModelOptions options,
        String data,
        int epochs,
        int batchSize,
        boolean augment,
        Normalization normalization,
        int trainLimit,
        int testLimit,
        LrSchedule schedule) {

    /** The training batch size unless one is given ({@code pe train}, {@code pe compare}, a sweep's candidates). */
    public static final int DEFAULT_BATCH_SIZE = 64;
    /** The epochs of a run unless given ({@code pe train}, {@code pe compare}). */
    public static final int DEFAULT_EPOCHS = 10;

    /** A run at the options' constant learning rate. */
    public RunConfig(
            String model,
            ModelOptions options,
            String data,
            int epochs,
            int batchSize,
            boolean augment,
            Normalization normalization,
            int trainLimit,
            int testLimit) {
        this(
                model,
                options,
                data,
                epochs,
                batchSize,
                augment,
                normalization,
                trainLimit,
                testLimit,
                LrSchedule.CONSTANT);
    }

    public RunConfig {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("model must be named");
        }
        if (options == null) {
            throw new IllegalArgumentException("options must not be null");
        }
        if (epochs <= 0) {
            throw new IllegalArgumentException("epochs = " + epochs + " must be positive");
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize = " + batchSize + " must be positive");
        }
        if (trainLimit < 0 || testLimit < 0) {
            throw new IllegalArgumentException(
                    "trainLimit = " + trainLimit + " and testLimit = " + testLimit + " must be >= 0 (0 = all)");
        }
        if (normalization == null) {
            normalization = Normalization.UNIT;
        }
        if (schedule == null) {
            schedule = LrSchedule.CONSTANT;
        }
    }

    public RunConfig withEpochs(int v) {
        return new RunConfig(
                model, options, data, v, batchSize, augment, normalization, trainLimit, testLimit, schedule);
    }

    public RunConfig withOptions(ModelOptions v) {
        return new RunConfig(
                model, v, data, epochs, batchSize, augment, normalization, trainLimit, testLimit, schedule);
    }

    public RunConfig withData(String v) {
        return new RunConfig(
                model, options, v, epochs, batchSize, augment, normalization, trainLimit, testLimit, schedule);
    }

    public RunConfig withSchedule(LrSchedule v) {
        return new RunConfig(model, options, data, epochs, batchSize, augment, normalization, trainLimit, testLimit, v);
    }
}
