package org.dl4jpe.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.zoo.ModelRegistry;
import org.dl4jpe.zoo.ParameterCounts;
import org.dl4jpe.zoo.data.InvalidDataException;
import org.dl4jpe.zoo.data.Normalization;
import org.dl4jpe.zoo.train.RunDirectory;
import org.dl4jpe.zoo.train.RunState;

/**
 * A trained model named on the command line: a run directory (its last checkpoint) or a checkpoint zip inside
 * one. The run's {@code state.json} gives class names, input shape and normalisation.
 */
record LoadedRun(ComputationGraph net, RunState state, Path checkpoint) {

    /**
     * Opens a run directory or a checkpoint in one, verified against the run's state: the checkpoint's architecture
     * and parameter count, and (when {@code registry} has the run's model) the count of the model the run's options
     * configure.
     */
    static LoadedRun open(Path checkpoint, ModelRegistry registry) {
        if (!Files.exists(checkpoint)) {
            throw new InvalidDataException("CHECKPOINT " + checkpoint + " does not exist (give a run directory or a"
                    + " checkpoint .zip in one)");
        }
        boolean dir = Files.isDirectory(checkpoint);
        RunDirectory rd =
                new RunDirectory(dir ? checkpoint : checkpoint.toAbsolutePath().getParent());
        if (!rd.hasState()) {
            throw new InvalidDataException("CHECKPOINT " + checkpoint + ": " + rd.stateFile() + " is missing; eval and"
                    + " predict need the run directory's " + RunDirectory.STATE
                    + " (class names, input shape, normalisation)");
        }
        RunState state = rd.readState();
        Path file = dir ? rd.checkpointFile(state) : checkpoint;
        ComputationGraph net = RunDirectory.load(file);
        RunDirectory.verify(state, net, file);
        if (registry != null && registry.contains(state.config().model())) {
            long configured =
                    ParameterCounts.trainable(registry.get(state.config().model())
                            .configure(state.config().options()));
            if (configured != state.trainableParameters()) {
                throw new InvalidDataException(
                        rd.stateFile() + ": model " + state.config().model() + " with the"
                                + " run's options has " + configured + " trainable parameters, but the run recorded "
                                + state.trainableParameters() + "; the state does not describe this run");
            }
        }
        return new LoadedRun(net, state, file);
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
