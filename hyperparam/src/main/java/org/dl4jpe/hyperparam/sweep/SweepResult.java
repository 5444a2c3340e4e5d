package org.dl4jpe.hyperparam.sweep;

import java.nio.file.Path;
import java.util.List;
import org.dl4jpe.zoo.train.EvalResult;

/**
 * The outcome of {@link Sweep#run()}.
 *
 * @param dir        the sweep directory
 * @param records    every recorded candidate, by number
 * @param axes       the searched axes (the columns that tell candidates apart)
 * @param best       the best finished candidate, or null
 * @param bestTest   the best model evaluated on the test split (null without test split, best, or when stopped)
 * @param planned    candidates the sweep plans (the budget, or a smaller grid)
 * @param complete   whether every planned candidate has a record
 * @param endReason  why the run ended: "complete", "stopped", "time budget reached", "search space exhausted"
 */
public record SweepResult(
        Path dir,
        List<CandidateRecord> records,
        List<String> axes,
        CandidateRecord best,
        EvalResult bestTest,
        int planned,
        boolean complete,
        String endReason) {

    public long finishedCount() {
        return records.stream().filter(CandidateRecord::finished).count();
    }

    public long failedCount() {
        return records.size() - finishedCount();
    }
}
