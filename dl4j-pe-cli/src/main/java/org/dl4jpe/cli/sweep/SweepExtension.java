package org.dl4jpe.cli.sweep;

import org.dl4jpe.hyperparam.sweep.Sweep;
import org.dl4jpe.cli.PeCommand;

/**
 * Options and a candidate engine that a module hyperparam must not see adds to {@code pe sweep} (dl4j-pe-spark
 * adds {@code --spark} this way): {@link PeMain#addSweepExtension}.
 */
public interface SweepExtension {

    /** A picocli-annotated object whose options join {@code pe sweep} as a mixin. */
    Object options();

    /**
     * Called before the sweep runs: may give it a {@link Sweep#candidateTrainer CandidateTrainer} when its options
     * ask for one; returns what to close after the sweep (null: nothing).
     */
    AutoCloseable configure(Sweep sweep, PeCommand pe) throws Exception;
}
