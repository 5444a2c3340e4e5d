package org.dl4jpe.zoo.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.zoo.data.InvalidDataException;
import org.dl4jpe.zoo.data.Normalization;
import org.dl4jpe.zoo.train.RunDirectory;
import org.dl4jpe.zoo.train.RunState;

/**
 * A trained model named on the command line: a run directory (its last checkpoint) or a checkpoint zip inside
 * one. The run's {@code state.json} gives class names, input shape and normalisation.
 */
record LoadedRun(ComputationGraph net, RunState state, Path checkpoint) {

    static LoadedRun open(Path checkpoint) {
        if (!Files.exists(checkpoint)) {
            throw new InvalidDataException("CHECKPOINT " + checkpoint + " does not exist (give a run directory or a"
                    + " checkpoint .zip in one)");
        }
        boolean dir = Files.isDirectory(checkpoint);
        RunDirectory rd = new RunDirectory(dir ? checkpoint : checkpoint.toAbsolutePath().getParent());
        if (!rd.hasState()) {
            throw new InvalidDataException("CHECKPOINT " + checkpoint + ": " + rd.stateFile() + " is missing; eval and"
                    + " predict need the run directory's " + RunDirectory.STATE
                    + " (class names, input shape, normalisation)");
        }
        RunState state = rd.readState();
        Path file = dir ? rd.checkpointFile(state) : checkpoint;
        return new LoadedRun(RunDirectory.load(file), state, file);
    }

    String model() {
        return state.config().model();
    }

    List<String> classNames() {
        return state.classNames();
    }

    Normalization normalization() {
        return state.config().normalization();
    }

    int channels() {
        return state.inputShape()[0];
    }

    int height() {
        return state.inputShape()[1];
    }

    int width() {
        return state.inputShape()[2];
    }
}
