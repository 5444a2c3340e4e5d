package org.dl4jpe.cli;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.ModelRegistry;
import org.dl4jpe.zoo.RegisteredModel;
import org.dl4jpe.zoo.data.DataSets;
import org.dl4jpe.zoo.data.DataSplit;
import org.dl4jpe.zoo.data.ImageBatchIterator;
import org.dl4jpe.zoo.data.ImageFolderSource;
import org.dl4jpe.zoo.train.LrSchedule;
import org.dl4jpe.zoo.train.RunConfig;

/** Turns command-line options into a {@link RunConfig} and the data it trains on. */
final class RunSetup {
    /** The default of {@code --data}: works from a fresh clone. */
    static final String DEFAULT_DATA = DataSets.FASHION_MNIST_SUBSET;

    private RunSetup() {}

    record Prepared(RunConfig config, DataSplit data) {}

    static Prepared prepare(
            ModelRegistry registry, String model, ModelOptionsMixin mo, DataOptionsMixin dopt, int epochs, int batch) {
        RegisteredModel m = registry.get(model);
        ModelOptions o = mo.apply(m.defaultOptions());
        String spec = dopt.dataOr(DEFAULT_DATA);
        DataSplit split = DataSets.open(spec, o.inputChannels(), o.inputHeight(), o.inputWidth())
                .limit(dopt.limitTrain, dopt.limitTest);
        if (mo.numClasses == null) {
            o = o.withNumClasses(split.requireTrain().numClasses());
        }
        boolean augment = dopt.augment != null ? dopt.augment : split.requireTrain() instanceof ImageFolderSource;
        LrSchedule schedule = mo.schedule(epochs);
        // fits this run, or says why not (in fields: warmupEpochs = ..., which PeCommand reports as flags)
        schedule.perIteration(
                o.learningRate(),
                ImageBatchIterator.batchesPerEpoch(split.requireTrain().size(), Math.max(1, batch)),
                epochs);
        RunConfig config = new RunConfig(
                m.name(),
                o,
                spec,
                epochs,
                batch,
                augment,
                dopt.normalization(),
                dopt.limitTrain,
                dopt.limitTest,
                schedule);
        return new Prepared(config, split);
    }

    /** {@code runs/<name>-<yyyyMMdd-HHmmss>}. */
    static Path defaultOut(String name) {
        return Path.of("runs", name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }
}
