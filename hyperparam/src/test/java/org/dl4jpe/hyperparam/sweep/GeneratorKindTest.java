package org.dl4jpe.hyperparam.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.deeplearning4j.arbiter.optimize.api.Candidate;
import org.deeplearning4j.arbiter.optimize.api.CandidateGenerator;
import org.deeplearning4j.arbiter.optimize.api.OptimizationResult;
import org.deeplearning4j.arbiter.optimize.distribution.LogUniformDistribution;
import org.deeplearning4j.arbiter.optimize.parameter.continuous.ContinuousParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.deeplearning4j.arbiter.optimize.runner.CandidateInfo;
import org.deeplearning4j.arbiter.optimize.runner.CandidateStatus;
import org.dl4jpe.hyperparam.Tiny;
import org.dl4jpe.hyperparam.model.ModelCandidate;
import org.dl4jpe.hyperparam.model.ModelSpace;
import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;
import org.junit.jupiter.api.Test;

/** The generators are seeded (what resume relies on) and the budget wrapper issues exactly what it should. */
class GeneratorKindTest {

    private static ModelSpace space() {
        return Tiny.vit()
                .axis("attention", new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.QK_VO, Scheme.NONE))
                .axis("mlpTie", new DiscreteParameterSpace<>(Tie.TRANSPOSE, Tie.NONE))
                .learningRate(new ContinuousParameterSpace(new LogUniformDistribution(1e-4, 1e-2)))
                .build();
    }

    /** Draws {@code n} candidates, reporting a made-up score for each (the genetic search breeds on scores). */
    private static List<String> draw(GeneratorKind kind, long seed, int n) {
        CandidateGenerator g = kind.create(space(), ScoreMetric.ACCURACY.scoreFunction(), n, 3, seed);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < n && g.hasMoreCandidates(); i++) {
            Candidate<?> c = g.getCandidate();
            ModelCandidate mc = (ModelCandidate) c.getValue();
            keys.add(mc.key());
            double score = ((Double) mc.choices().get("learningRate")) * 100
                    + (mc.choices().get("attention") == Scheme.NONE ? 0.5 : 0);
            g.reportResults(new OptimizationResult(
                    c,
                    score,
                    c.getIndex(),
                    null,
                    new CandidateInfo(
                            c.getIndex(), CandidateStatus.Complete, score, 0, 0L, 0L, c.getFlatParameters(), null),
                    null));
        }
        return keys;
    }

    @Test
    void everyGeneratorDrawsTheSameCandidatesForTheSameSeed() {
        for (GeneratorKind kind : GeneratorKind.values()) {
            List<String> a = draw(kind, 42, 12);
            assertEquals(a, draw(kind, 42, 12), kind + " repeats its sequence");
            assertEquals(12, a.size());
            if (kind != GeneratorKind.GRID) {
                assertNotEquals(a, draw(kind, 43, 12), kind + " depends on the seed");
            }
        }
        List<String> grid = draw(GeneratorKind.GRID, 1, 100);
        assertEquals(18, grid.size(), "3 schemes x 2 ties x 3 learning rates");
        assertEquals(18, new java.util.HashSet<>(grid).size());
    }

    @Test
    void theBudgetedGeneratorStopsAtItsBudgetAtAStopRequestAndWhenTheGridEnds() {
        AtomicBoolean stop = new AtomicBoolean();
        CandidateGenerator grid = GeneratorKind.GRID.create(
                Tiny.vit()
                        .axis("attention", new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.NONE))
                        .build(),
                ScoreMetric.ACCURACY.scoreFunction(),
                5,
                3,
                1);
        BudgetedGenerator g = new BudgetedGenerator(grid, 5, stop, () -> false);
        List<Integer> indices = new ArrayList<>();
        while (g.hasMoreCandidates()) {
            indices.add(g.getCandidate().getIndex());
        }
        assertEquals(List.of(0, 1), indices, "the grid has 2 points, fewer than the budget");

        BudgetedGenerator budget = new BudgetedGenerator(
                GeneratorKind.RANDOM.create(space(), ScoreMetric.ACCURACY.scoreFunction(), 3, 3, 1),
                3,
                stop,
                () -> false);
        int n = 0;
        while (budget.hasMoreCandidates()) {
            budget.getCandidate();
            n++;
        }
        assertEquals(3, n);

        BudgetedGenerator stopped = new BudgetedGenerator(
                GeneratorKind.RANDOM.create(space(), ScoreMetric.ACCURACY.scoreFunction(), 3, 3, 1),
                3,
                stop,
                () -> false);
        assertTrue(stopped.hasMoreCandidates());
        stop.set(true);
        assertFalse(stopped.hasMoreCandidates());
        assertFalse(
                new BudgetedGenerator(
                                GeneratorKind.RANDOM.create(space(), ScoreMetric.ACCURACY.scoreFunction(), 3, 3, 1),
                                3,
                                new AtomicBoolean(),
                                () -> true)
                        .hasMoreCandidates(),
                "no candidate after the time is up");
    }
}
