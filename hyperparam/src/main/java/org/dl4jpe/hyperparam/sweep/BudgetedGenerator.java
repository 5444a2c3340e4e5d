package org.dl4jpe.hyperparam.sweep;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.deeplearning4j.arbiter.optimize.api.Candidate;
import org.deeplearning4j.arbiter.optimize.api.CandidateGenerator;
import org.deeplearning4j.arbiter.optimize.api.OptimizationResult;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.deeplearning4j.arbiter.optimize.api.termination.TerminationCondition;
import org.deeplearning4j.arbiter.optimize.runner.IOptimizationRunner;

/**
 * An Arbiter generator that hands out at most {@code budget} candidates of another, none after a stop request or
 * past a deadline. Arbiter's runner keeps asking a random or genetic generator for more and, with parallel tasks,
 * starts candidates beyond a {@code MaxCandidatesCondition} before that condition is checked; issuing no more than
 * the budget keeps a sweep at exactly its size. {@link #endCondition()} ends the runner once nothing more will be
 * issued and nothing is running (also when a grid has fewer points than the budget).
 */
final class BudgetedGenerator implements CandidateGenerator {
    private final CandidateGenerator inner;
    private final int budget;
    private final AtomicBoolean stop;
    private final BooleanSupplier timeUp;
    private int issued;

    /**
     * @param timeUp true once the sweep's time budget is spent
     */
    BudgetedGenerator(CandidateGenerator inner, int budget, AtomicBoolean stop, BooleanSupplier timeUp) {
        this.inner = inner;
        this.budget = budget;
        this.stop = stop;
        this.timeUp = timeUp;
    }

    @Override
    public synchronized boolean hasMoreCandidates() {
        return issued < budget && !stop.get() && !timeUp.getAsBoolean() && inner.hasMoreCandidates();
    }

    @Override
    public synchronized Candidate getCandidate() {
        Candidate c = inner.getCandidate();
        c.setIndex(issued++);
        return c;
    }

    synchronized int issued() {
        return issued;
    }

    @Override
    public void reportResults(OptimizationResult result) {
        inner.reportResults(result);
    }

    @Override
    public ParameterSpace<?> getParameterSpace() {
        return inner.getParameterSpace();
    }

    @Override
    public void setRngSeed(long rngSeed) {
        inner.setRngSeed(rngSeed);
    }

    @Override
    public Class<?> getCandidateType() {
        return inner.getCandidateType();
    }

    /** Ends the runner when no candidate will be issued any more and none is queued or running. */
    TerminationCondition endCondition() {
        return new TerminationCondition() {
            @Override
            public void initialize(IOptimizationRunner runner) {}

            @Override
            public boolean terminate(IOptimizationRunner runner) {
                return !hasMoreCandidates() && runner.numCandidatesQueued() == 0;
            }

            @Override
            public String toString() {
                return "BudgetedGenerator.endCondition(budget " + budget + ")";
            }
        };
    }
}
