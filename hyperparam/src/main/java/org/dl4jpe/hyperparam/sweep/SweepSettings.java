package org.dl4jpe.hyperparam.sweep;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.data.DataSets;
import org.dl4jpe.zoo.train.Json;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonValue;
import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * How a sweep runs, apart from its space, in named parts: where the space came from ({@link SpaceSource}), how it
 * is searched ({@link Search}), the {@link Budget}, the {@link Data} and the run values the command line fixes
 * ({@link Overrides}). Stored in the sweep directory's {@code sweep.json}, so that {@code --resume} continues with
 * the same settings; only the budget may change on resume.
 *
 * <p>On disk the settings are one flat object, as format 1 has always written them ({@code preset, spaceJson,
 * generator, candidates, gridPoints, maxTimeSeconds, parallel, score, seed, data, limitTrain, limitTest,
 * valFraction, epochs, batchSize}), so that earlier sweeps resume and their settings hash still matches.
 *
 * @param space     the space's source
 * @param search    generator, grid points, score and seed
 * @param budget    candidates, wall time and parallelism
 * @param data      the data and how it is split
 * @param overrides epochs and batch size fixed for every candidate, or null
 */
public record SweepSettings(SpaceSource space, Search search, Budget budget, Data data, Overrides overrides) {

    public static final int DEFAULT_CANDIDATES = 6;
    public static final int DEFAULT_GRID_POINTS = 3;
    public static final long DEFAULT_SEED = ModelOptions.DEFAULT_SEED;
    public static final double DEFAULT_VAL_FRACTION = 0.1;

    /**
     * Where the space came from.
     *
     * @param preset    the preset the space came from, or null
     * @param spaceJson the space file's text (a preset's or the user's), or null for a space built in Java
     */
    public record SpaceSource(String preset, String spaceJson) {
        public static final SpaceSource JAVA = new SpaceSource(null, null);
    }

    /**
     * How the space is searched and scored.
     *
     * @param generator  random, grid or genetic search
     * @param gridPoints grid search: values per continuous or integer range (at least 2)
     * @param score      what is optimised: validation accuracy or loss
     * @param seed       seed of the generator, the validation split, and every candidate's initialisation and data
     *                   order (unless {@code seed} is an axis)
     */
    public record Search(GeneratorKind generator, int gridPoints, ScoreMetric score, long seed) {
        public Search {
            if (generator == null) {
                throw new IllegalArgumentException("generator must be one of random, grid, genetic");
            }
            if (score == null) {
                throw new IllegalArgumentException("score must be one of accuracy, loss");
            }
            if (gridPoints < 2) {
                throw new IllegalArgumentException("gridPoints = " + gridPoints + " must be at least 2");
            }
        }
    }

    /**
     * What a sweep may spend; the one part {@code --resume} may change.
     *
     * @param candidates     candidates to run (positive; a grid stops earlier when it has fewer points)
     * @param maxTimeSeconds wall-time budget in seconds, 0 for none: no candidate starts after it, and running ones
     *                       stop after their current batch with a checkpoint that {@code --resume} continues
     * @param parallel       candidates trained at once, each in its own thread (positive)
     */
    public record Budget(int candidates, long maxTimeSeconds, int parallel) {
        public Budget {
            if (candidates <= 0) {
                throw new IllegalArgumentException("candidates = " + candidates + " must be positive");
            }
            if (maxTimeSeconds < 0) {
                throw new IllegalArgumentException("maxTimeSeconds = " + maxTimeSeconds + " must not be negative");
            }
            if (parallel <= 0) {
                throw new IllegalArgumentException("parallel = " + parallel + " must be positive");
            }
        }
    }

    /**
     * The data candidates train on.
     *
     * @param spec        the {@code --data} argument
     * @param limitTrain  use only the first N training images (class-balanced) before the validation split; 0 = all
     * @param limitTest   evaluate the best model on the first N test images only; 0 = all
     * @param valFraction fraction of the training images held out to score candidates, in (0, 1)
     */
    public record Data(String spec, int limitTrain, int limitTest, double valFraction) {
        public Data {
            if (spec == null || spec.isBlank()) {
                throw new IllegalArgumentException("data is empty; it accepts " + DataSets.ACCEPTED);
            }
            if (limitTrain < 0 || limitTest < 0) {
                throw new IllegalArgumentException(
                        "limitTrain = " + limitTrain + " and limitTest = " + limitTest + " must be >= 0 (0 = all)");
            }
            if (!(valFraction > 0 && valFraction < 1)) {
                throw new IllegalArgumentException("valFraction = " + valFraction + " must be in (0, 1)");
            }
        }
    }

    /**
     * Run values fixed for every candidate, overriding the space.
     *
     * @param epochs    {@code --epochs}: fixes the epochs axis, or null
     * @param batchSize {@code --batch}: fixes the batch size axis, or null
     */
    public record Overrides(Integer epochs, Integer batchSize) {
        public static final Overrides NONE = new Overrides(null, null);

        public Overrides {
            if (epochs != null && epochs <= 0) {
                throw new IllegalArgumentException("epochs = " + epochs + " must be positive");
            }
            if (batchSize != null && batchSize <= 0) {
                throw new IllegalArgumentException("batchSize = " + batchSize + " must be positive");
            }
        }
    }

    /** Every part is present (an absent space source or overrides is the empty one). */
    public SweepSettings {
        space = space == null ? SpaceSource.JAVA : space;
        overrides = overrides == null ? Overrides.NONE : overrides;
        if (search == null || budget == null || data == null) {
            throw new IllegalArgumentException("search, budget and data must not be null");
        }
    }

    /** Defaults for everything but the space: random search, 6 candidates, the shipped subset, seed 42. */
    public static SweepSettings defaults() {
        return new SweepSettings(
                SpaceSource.JAVA,
                new Search(GeneratorKind.RANDOM, DEFAULT_GRID_POINTS, ScoreMetric.ACCURACY, DEFAULT_SEED),
                new Budget(DEFAULT_CANDIDATES, 0, 1),
                new Data(DataSets.FASHION_MNIST_SUBSET, 0, 0, DEFAULT_VAL_FRACTION),
                Overrides.NONE);
    }

    /** Shortcut: {@code budget().candidates()}. */
    public int candidates() {
        return budget.candidates();
    }

    public SweepSettings withSpace(String preset, String spaceJson) {
        return new SweepSettings(new SpaceSource(preset, spaceJson), search, budget, data, overrides);
    }

    public SweepSettings withSearch(Search v) {
        return new SweepSettings(space, v, budget, data, overrides);
    }

    public SweepSettings withGenerator(GeneratorKind v) {
        return withSearch(new Search(v, search.gridPoints(), search.score(), search.seed()));
    }

    public SweepSettings withGridPoints(int v) {
        return withSearch(new Search(search.generator(), v, search.score(), search.seed()));
    }

    public SweepSettings withScore(ScoreMetric v) {
        return withSearch(new Search(search.generator(), search.gridPoints(), v, search.seed()));
    }

    public SweepSettings withSeed(long v) {
        return withSearch(new Search(search.generator(), search.gridPoints(), search.score(), v));
    }

    public SweepSettings withBudget(Budget v) {
        return new SweepSettings(space, search, v, data, overrides);
    }

    public SweepSettings withCandidates(int v) {
        return withBudget(new Budget(v, budget.maxTimeSeconds(), budget.parallel()));
    }

    public SweepSettings withMaxTimeSeconds(long v) {
        return withBudget(new Budget(budget.candidates(), v, budget.parallel()));
    }

    public SweepSettings withParallel(int v) {
        return withBudget(new Budget(budget.candidates(), budget.maxTimeSeconds(), v));
    }

    public SweepSettings withData(Data v) {
        return new SweepSettings(space, search, budget, v, overrides);
    }

    public SweepSettings withData(String v) {
        return withData(new Data(v, data.limitTrain(), data.limitTest(), data.valFraction()));
    }

    public SweepSettings withLimits(int train, int test) {
        return withData(new Data(data.spec(), train, test, data.valFraction()));
    }

    public SweepSettings withValFraction(double v) {
        return withData(new Data(data.spec(), data.limitTrain(), data.limitTest(), v));
    }

    public SweepSettings withEpochs(Integer v) {
        return new SweepSettings(space, search, budget, data, new Overrides(v, overrides.batchSize()));
    }

    public SweepSettings withBatchSize(Integer v) {
        return new SweepSettings(space, search, budget, data, new Overrides(overrides.epochs(), v));
    }

    /** The file form: one flat object, keys in the order format 1 writes them. */
    @JsonValue
    Map<String, Object> file() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("preset", space.preset());
        m.put("spaceJson", space.spaceJson());
        m.put("generator", search.generator());
        m.put("candidates", budget.candidates());
        m.put("gridPoints", search.gridPoints());
        m.put("maxTimeSeconds", budget.maxTimeSeconds());
        m.put("parallel", budget.parallel());
        m.put("score", search.score());
        m.put("seed", search.seed());
        m.put("data", data.spec());
        m.put("limitTrain", data.limitTrain());
        m.put("limitTest", data.limitTest());
        m.put("valFraction", data.valFraction());
        m.put("epochs", overrides.epochs());
        m.put("batchSize", overrides.batchSize());
        return m;
    }

    /** The settings a file holds; a missing number reads as 0 (and is then refused by the part that needs it). */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static SweepSettings fromFile(JsonNode file) throws IOException {
        if (file == null || !file.isObject()) {
            throw new IllegalArgumentException("the sweep settings are not a JSON object");
        }
        SpaceSource space =
                new SpaceSource(Json.field(file, "preset", String.class), Json.field(file, "spaceJson", String.class));
        Search search = new Search(
                Json.field(file, "generator", GeneratorKind.class),
                (int) Json.wholeNumber(file, "gridPoints"),
                Json.field(file, "score", ScoreMetric.class),
                Json.wholeNumber(file, "seed"));
        Budget budget =
                new Budget((int) Json.wholeNumber(file, "candidates"), Json.wholeNumber(file, "maxTimeSeconds"), (int)
                        Json.wholeNumber(file, "parallel"));
        Double valFraction = Json.field(file, "valFraction", Double.class);
        Data data = new Data(
                Json.field(file, "data", String.class),
                (int) Json.wholeNumber(file, "limitTrain"),
                (int) Json.wholeNumber(file, "limitTest"),
                valFraction == null ? 0 : valFraction);
        return new SweepSettings(
                space,
                search,
                budget,
                data,
                new Overrides(Json.field(file, "epochs", Integer.class), Json.field(file, "batchSize", Integer.class)));
    }
}
