package org.dl4jpe.cli;

import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.UpdaterKind;
import org.dl4jpe.zoo.train.LrSchedule;
import picocli.CommandLine.Option;

/** Model options on the command line; each one left out keeps the model's default. */
final class ModelOptionsMixin {
    @Option(names = "--num-classes", paramLabel = "K", description = "Classes of the head (default: the data's).")
    Integer numClasses;

    @Option(
            names = "--input-size",
            paramLabel = "PX",
            description = "Square input size in pixels (default: the model's).")
    Integer inputSize;

    @Option(
            names = "--channels",
            paramLabel = "C",
            description = "Input channels: 1 grey, 3 colour (default: the model's).")
    Integer channels;

    @Option(
            names = "--seed",
            paramLabel = "N",
            description = "Seed of initialisation, data order, augmentation and dropout (default: "
                    + ModelOptions.DEFAULT_SEED + ").")
    Long seed;

    @Option(
            names = "--updater",
            paramLabel = "NAME",
            description = "adamw, adam, nesterovs or sgd (default: the model's).")
    UpdaterKind updater;

    @Option(names = "--lr", paramLabel = "RATE", description = "Learning rate (default: the model's).")
    Double learningRate;

    @Option(names = "--weight-decay", paramLabel = "W", description = "Weight decay (default: the model's).")
    Double weightDecay;

    @Option(
            names = "--schedule",
            paramLabel = "KIND",
            description = "Learning rate over the run: ${COMPLETION-CANDIDATES}"
                    + " (default: constant). cosine warms up linearly over --warmup-epochs, then decays along a cosine to"
                    + " --min-lr at the end of the last epoch.")
    LrSchedule.Kind schedule;

    @Option(
            names = "--warmup-epochs",
            paramLabel = "E",
            description = "Warm-up of the cosine schedule in epochs, may be"
                    + " fractional (default: 1, or 0 when the run has a single epoch).")
    Double warmupEpochs;

    @Option(
            names = "--min-lr",
            paramLabel = "RATE",
            description = "Final learning rate of the cosine schedule" + " (default: 0).")
    Double minLearningRate;

    @Option(
            names = "--dropout",
            paramLabel = "P",
            description = "Dropout probability in [0, 1) (default: the model's).")
    Double dropout;

    @Option(
            names = "--drop-path",
            paramLabel = "P",
            description = "Stochastic depth of the last block, in [0, 1) (default: the model's).")
    Double dropPath;

    @Option(
            names = "--workspace",
            paramLabel = "MODE",
            description = "DL4J workspace mode: ENABLED or NONE (default: ENABLED).")
    WorkspaceMode workspace;

    @Option(
            names = "--cache",
            paramLabel = "MODE",
            description = "DL4J cache mode: NONE, HOST or DEVICE (default: NONE).")
    CacheMode cache;

    /** The learning-rate schedule the options ask for, for a run of {@code epochs} epochs. */
    LrSchedule schedule(int epochs) {
        if (schedule == null || schedule == LrSchedule.Kind.CONSTANT) {
            if (warmupEpochs != null || minLearningRate != null) {
                throw new IllegalArgumentException("--warmup-epochs and --min-lr shape the cosine schedule; give"
                        + " --schedule cosine with them");
            }
            return LrSchedule.CONSTANT;
        }
        double warmup = warmupEpochs != null ? warmupEpochs : epochs > 1 ? 1 : 0;
        // the schedule's messages name its fields (warmupEpochs = ...); PeCommand reports them in flags (Flags)
        return LrSchedule.cosine(warmup, minLearningRate != null ? minLearningRate : 0);
    }

    /** {@code defaults} with every given option applied. */
    ModelOptions apply(ModelOptions defaults) {
        ModelOptions o = defaults;
        if (numClasses != null) {
            o = o.withNumClasses(numClasses);
        }
        if (inputSize != null) {
            o = o.withInputShape(inputSize, inputSize, o.inputChannels());
        }
        if (channels != null) {
            o = o.withInputChannels(channels);
        }
        if (seed != null) {
            o = o.withSeed(seed);
        }
        if (updater != null) {
            o = o.withUpdater(updater);
        }
        if (learningRate != null) {
            o = o.withLearningRate(learningRate);
        }
        if (weightDecay != null) {
            o = o.withWeightDecay(weightDecay);
        }
        if (dropout != null) {
            o = o.withDropout(dropout);
        }
        if (dropPath != null) {
            o = o.withDropPath(dropPath);
        }
        if (workspace != null) {
            o = o.withWorkspaceMode(workspace);
        }
        if (cache != null) {
            o = o.withCacheMode(cache);
        }
        return o;
    }
}
