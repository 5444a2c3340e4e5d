package org.dl4jpe.hyperparam.sweep;

import java.util.Locale;
import org.apache.commons.math3.random.JDKRandomGenerator;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.SynchronizedRandomGenerator;
import org.deeplearning4j.arbiter.optimize.api.CandidateGenerator;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.deeplearning4j.arbiter.optimize.api.score.ScoreFunction;
import org.deeplearning4j.arbiter.optimize.generator.GeneticSearchCandidateGenerator;
import org.deeplearning4j.arbiter.optimize.generator.GridSearchCandidateGenerator;
import org.deeplearning4j.arbiter.optimize.generator.RandomSearchGenerator;
import org.deeplearning4j.arbiter.optimize.generator.genetic.crossover.SinglePointCrossover;
import org.deeplearning4j.arbiter.optimize.generator.genetic.crossover.parentselection.RandomTwoParentSelection;
import org.deeplearning4j.arbiter.optimize.generator.genetic.mutation.RandomMutationOperator;
import org.deeplearning4j.arbiter.optimize.generator.genetic.population.PopulationModel;
import org.deeplearning4j.arbiter.optimize.generator.genetic.selection.GeneticSelectionOperator;
import org.dl4jpe.zoo.data.Seeds;

/**
 * Arbiter's candidate generators, seeded so that a sweep draws the same candidates again when it is resumed.
 *
 * <ul>
 *   <li>{@link #RANDOM}: {@code RandomSearchGenerator}; every axis drawn independently.</li>
 *   <li>{@link #GRID}: {@code GridSearchCandidateGenerator} in sequential order; discrete axes take each value,
 *       continuous and integer ranges {@code gridPoints} values from min to max (a log-uniform range on a log
 *       grid).</li>
 *   <li>{@link #GENETIC}: {@code GeneticSearchCandidateGenerator}; random candidates until the population (half
 *       the budget, 4 to 30) is culled to its breeding size, then crossover and mutation of the fittest. Every
 *       operator draws from the sweep seed. With {@code --parallel} above 1 the order in which results arrive, and
 *       so the offspring, can differ between runs.</li>
 * </ul>
 */
public enum GeneratorKind {
    RANDOM,
    GRID,
    GENETIC;

    /** The generator over {@code space} for a budget of {@code candidates}. */
    public CandidateGenerator create(
            ParameterSpace<?> space, ScoreFunction score, int candidates, int gridPoints, long seed) {
        return switch (this) {
            case RANDOM -> {
                RandomSearchGenerator g = new RandomSearchGenerator(space, null);
                g.setRngSeed(seed);
                yield g;
            }
            case GRID ->
                new GridSearchCandidateGenerator(space, gridPoints, GridSearchCandidateGenerator.Mode.Sequential, null);
            case GENETIC -> {
                RandomGenerator rng = new SynchronizedRandomGenerator(new JDKRandomGenerator());
                rng.setSeed(Seeds.mix(seed, 0x6E7EL));
                int population = Math.max(4, Math.min(30, candidates / 2));
                GeneticSearchCandidateGenerator g = new GeneticSearchCandidateGenerator.Builder(space, score)
                        .populationModel(new PopulationModel.Builder()
                                .populationSize(population)
                                .build())
                        .selectionOperator(new GeneticSelectionOperator.Builder()
                                .crossoverOperator(new SinglePointCrossover.Builder()
                                        .randomGenerator(rng)
                                        .parentSelection(new RandomTwoParentSelection(rng))
                                        .build())
                                .mutationOperator(new RandomMutationOperator.Builder()
                                        .randomGenerator(rng)
                                        .build())
                                .randomGenerator(rng)
                                .build())
                        .build();
                g.setRngSeed(seed);
                yield g;
            }
        };
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code random}, {@code grid} or {@code genetic}; the message lists them. */
    public static GeneratorKind parse(String s) {
        for (GeneratorKind k : values()) {
            if (k.name().equalsIgnoreCase(s.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException("generator = '" + s + "' is not one of random, grid, genetic");
    }
}
