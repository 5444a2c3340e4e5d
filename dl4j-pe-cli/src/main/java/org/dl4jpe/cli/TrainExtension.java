package org.dl4jpe.cli;

import java.nio.file.Path;
import org.dl4jpe.zoo.train.RunConfig;
import org.dl4jpe.zoo.train.Trainer;

/**
 * Options and a training engine that a module the zoo must not see adds to {@code pe train} (dl4j-pe-spark adds
 * {@code --spark} and {@code --workers} this way): {@link PeCommand#addTrainExtension}.
 */
public interface TrainExtension {

    /** A picocli-annotated object whose options join {@code pe train} as a mixin. */
    Object options();

    /**
     * Called before {@code pe train} trains or resumes: may give {@code trainer} an
     * {@link Trainer#epochFitter EpochFitter} when its options ask for one, and returns what to close after the run
     * (null: nothing).
     *
     * @param config the run's settings (of the run being resumed, with --resume)
     * @param runDir the run directory
     * @param resume whether the run is resumed
     */
    AutoCloseable configure(Trainer trainer, RunConfig config, Path runDir, boolean resume, PeCommand pe)
            throws Exception;
}
