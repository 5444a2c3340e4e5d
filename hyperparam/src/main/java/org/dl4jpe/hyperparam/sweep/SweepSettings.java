package org.dl4jpe.hyperparam.sweep;

import org.dl4jpe.zoo.data.DataSets;

/**
 * How a sweep runs, apart from its space. Stored in the sweep directory's {@code sweep.json}, so that
 * {@code --resume} continues with the same settings; only {@code candidates}, {@code maxTimeSeconds} and
 * {@code parallel} may change on resume.
 *
 * @param preset         the preset the space came from, or null
 * @param spaceJson      the space file's text (a preset's or the user's), or null for a space built in Java
 * @param generator      random, grid or genetic search
 * @param candidates     the budget: candidates to run (positive; a grid stops earlier when it has fewer points)
 * @param gridPoints     grid search: values per continuous or integer range (at least 2)
 * @param maxTimeSeconds wall-time budget in seconds, 0 for none: no candidate starts after it, and running ones
 *                       stop after their current batch with a checkpoint that {@code --resume} continues
 * @param parallel       candidates trained at once, each in its own thread (positive)
 * @param score          what is optimised: validation accuracy or loss
 * @param seed           seed of the generator, the validation split, and every candidate's initialisation and data
 *                       order (unless {@code seed} is an axis)
 * @param data           the {@code --data} argument
 * @param limitTrain     use only the first N training images (class-balanced) before the validation split; 0 = all
 * @param limitTest      evaluate the best model on the first N test images only; 0 = all
 * @param valFraction    fraction of the training images held out to score candidates, in (0, 1)
 * @param epochs         {@code --epochs}: fixes the epochs axis, or null
 * @param batchSize      {@code --batch}: fixes the batch size axis, or null
 */
public record SweepSettings(String preset, String spaceJson, GeneratorKind generator, int candidates,
                            int gridPoints, long maxTimeSeconds, int parallel, ScoreMetric score, long seed,
                            String data, int limitTrain, int limitTest, double valFraction, Integer epochs,
                            Integer batchSize) {

    public static final int DEFAULT_CANDIDATES = 6;
    public static final int DEFAULT_GRID_POINTS = 3;
    public static final long DEFAULT_SEED = 42L;
    public static final double DEFAULT_VAL_FRACTION = 0.1;

    /** Validates every field; the message names the option, its value and what is valid. */
    public SweepSettings {
        if (generator == null) {
            throw new IllegalArgumentException("generator must be one of random, grid, genetic");
        }
        if (score == null) {
            throw new IllegalArgumentException("score must be one of accuracy, loss");
        }
        if (candidates <= 0) {
            throw new IllegalArgumentException("candidates = " + candidates + " must be positive");
        }
        if (gridPoints < 2) {
            throw new IllegalArgumentException("gridPoints = " + gridPoints + " must be at least 2");
        }
        if (maxTimeSeconds < 0) {
            throw new IllegalArgumentException("maxTimeSeconds = " + maxTimeSeconds + " must not be negative");
        }
        if (parallel <= 0) {
            throw new IllegalArgumentException("parallel = " + parallel + " must be positive");
        }
        if (data == null || data.isBlank()) {
            throw new IllegalArgumentException("data is empty; it accepts " + DataSets.ACCEPTED);
        }
        if (limitTrain < 0 || limitTest < 0) {
            throw new IllegalArgumentException("limitTrain = " + limitTrain + " and limitTest = " + limitTest
                    + " must be >= 0 (0 = all)");
        }
        if (!(valFraction > 0 && valFraction < 1)) {
            throw new IllegalArgumentException("valFraction = " + valFraction + " must be in (0, 1)");
        }
        if (epochs != null && epochs <= 0) {
            throw new IllegalArgumentException("epochs = " + epochs + " must be positive");
        }
        if (batchSize != null && batchSize <= 0) {
            throw new IllegalArgumentException("batchSize = " + batchSize + " must be positive");
        }
    }

    /** Defaults for everything but the space: random search, 6 candidates, the shipped subset, seed 42. */
    public static SweepSettings defaults() {
        return new SweepSettings(null, null, GeneratorKind.RANDOM, DEFAULT_CANDIDATES, DEFAULT_GRID_POINTS, 0, 1,
                ScoreMetric.ACCURACY, DEFAULT_SEED, DataSets.FASHION_MNIST_SUBSET, 0, 0, DEFAULT_VAL_FRACTION, null,
                null);
    }

    public SweepSettings withSpace(String preset, String spaceJson) {
        return new SweepSettings(preset, spaceJson, generator, candidates, gridPoints, maxTimeSeconds, parallel,
                score, seed, data, limitTrain, limitTest, valFraction, epochs, batchSize);
    }

    public SweepSettings withGenerator(GeneratorKind v) {
        return new SweepSettings(preset, spaceJson, v, candidates, gridPoints, maxTimeSeconds, parallel, score, seed,
                data, limitTrain, limitTest, valFraction, epochs, batchSize);
    }

    public SweepSettings withCandidates(int v) {
        return new SweepSettings(preset, spaceJson, generator, v, gridPoints, maxTimeSeconds, parallel, score, seed,
                data, limitTrain, limitTest, valFraction, epochs, batchSize);
    }

    public SweepSettings withGridPoints(int v) {
        return new SweepSettings(preset, spaceJson, generator, candidates, v, maxTimeSeconds, parallel, score, seed,
                data, limitTrain, limitTest, valFraction, epochs, batchSize);
    }

    public SweepSettings withMaxTimeSeconds(long v) {
        return new SweepSettings(preset, spaceJson, generator, candidates, gridPoints, v, parallel, score, seed, data,
                limitTrain, limitTest, valFraction, epochs, batchSize);
    }

    public SweepSettings withParallel(int v) {
        return new SweepSettings(preset, spaceJson, generator, candidates, gridPoints, maxTimeSeconds, v, score, seed,
                data, limitTrain, limitTest, valFraction, epochs, batchSize);
    }

    public SweepSettings withScore(ScoreMetric v) {
        return new SweepSettings(preset, spaceJson, generator, candidates, gridPoints, maxTimeSeconds, parallel, v,
                seed, data, limitTrain, limitTest, valFraction, epochs, batchSize);
    }

    public SweepSettings withSeed(long v) {
        return new SweepSettings(preset, spaceJson, generator, candidates, gridPoints, maxTimeSeconds, parallel,
                score, v, data, limitTrain, limitTest, valFraction, epochs, batchSize);
    }

    public SweepSettings withData(String v) {
        return new SweepSettings(preset, spaceJson, generator, candidates, gridPoints, maxTimeSeconds, parallel,
                score, seed, v, limitTrain, limitTest, valFraction, epochs, batchSize);
    }

    public SweepSettings withLimits(int train, int test) {
        return new SweepSettings(preset, spaceJson, generator, candidates, gridPoints, maxTimeSeconds, parallel,
                score, seed, data, train, test, valFraction, epochs, batchSize);
    }

    public SweepSettings withValFraction(double v) {
        return new SweepSettings(preset, spaceJson, generator, candidates, gridPoints, maxTimeSeconds, parallel,
                score, seed, data, limitTrain, limitTest, v, epochs, batchSize);
    }

    public SweepSettings withEpochs(Integer v) {
        return new SweepSettings(preset, spaceJson, generator, candidates, gridPoints, maxTimeSeconds, parallel,
                score, seed, data, limitTrain, limitTest, valFraction, v, batchSize);
    }

    public SweepSettings withBatchSize(Integer v) {
        return new SweepSettings(preset, spaceJson, generator, candidates, gridPoints, maxTimeSeconds, parallel,
                score, seed, data, limitTrain, limitTest, valFraction, epochs, v);
    }
}
