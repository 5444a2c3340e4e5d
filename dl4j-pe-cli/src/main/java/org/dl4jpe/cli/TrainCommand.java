package org.dl4jpe.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dl4jpe.cli.spark.ScaleOutTrain;
import org.dl4jpe.spark.SparkRuntime;
import org.dl4jpe.zoo.data.DataSplit;
import org.dl4jpe.zoo.train.Progress;
import org.dl4jpe.zoo.train.RunConfig;
import org.dl4jpe.zoo.train.RunDirectory;
import org.dl4jpe.zoo.train.RunState;
import org.dl4jpe.zoo.train.TextTable;
import org.dl4jpe.zoo.train.TrainResult;
import org.dl4jpe.zoo.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code pe train}: trains a model with a checkpoint every epoch; {@code --resume} continues a run. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = {
            "Train a model. Progress goes to standard error; a checkpoint, metrics.csv and curves.png"
                    + " are written to --out after every epoch, and a mid-epoch checkpoint every --checkpoint-every"
                    + " (5m). Ctrl-C or SIGTERM saves a checkpoint after the current batch; --resume DIR continues from"
                    + " the last checkpoint exactly (also after a crash). --out is locked while the run writes there.",
            "Examples:",
            "  pe train vit_pe_micro_patch4_28 --data fashion-mnist-subset --epochs 5",
            "  pe train resnet_pe_mini_28 --data fashion-mnist --epochs 10 --batch 128 --lr 1e-3 --out runs/r",
            "  pe train --resume runs/r --epochs 20"
        })
final class TrainCommand implements Runnable {
    @ParentCommand
    PeCommand pe;

    @Spec
    CommandSpec spec;

    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "MODEL",
            description = "A registered model name (see 'pe models'); optional with --resume.")
    String model;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue the run in DIR from its last checkpoint.")
    Path resume;

    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: runs/MODEL-TIME).")
    Path out;

    @Option(
            names = "--epochs",
            paramLabel = "N",
            description = "Total epochs (default: " + RunConfig.DEFAULT_EPOCHS + "; with --resume: the run's).")
    Integer epochs;

    @Option(
            names = "--batch",
            paramLabel = "B",
            description = "Training batch size (default: " + RunConfig.DEFAULT_BATCH_SIZE + ").")
    Integer batch;

    @Option(
            names = "--checkpoint-every",
            paramLabel = "TIME",
            description = "Also save a mid-epoch checkpoint"
                    + " whenever this much time has passed since the last one, such as 90s, 5m, 1h (default: 5m; 0: at epoch"
                    + " ends only). A kill loses at most this much training.",
            converter = Durations.SecondsOrZero.class)
    Long checkpointEverySeconds;

    @Mixin
    DataOptionsMixin dataOptions;

    @Mixin
    ModelOptionsMixin modelOptions;

    @Mixin
    ScaleOutTrain scaleOut;

    @Override
    public void run() {
        // a signal waits for this command to end: the interrupted run's one line and its table get printed
        org.dl4jpe.zoo.train.Interrupts.Guard guard =
                pe.handleInterrupts ? org.dl4jpe.zoo.train.Interrupts.enter(() -> {}) : null;
        try {
            train();
        } finally {
            if (guard != null) {
                guard.close();
            }
        }
    }

    private void train() {
        Trainer trainer = new Trainer(pe.registry(), pe.libraryErr(), Progress.Style.detect())
                .handleInterrupts(pe.handleInterrupts);
        if (checkpointEverySeconds != null) {
            trainer.checkpointEvery(checkpointEverySeconds, java.util.concurrent.TimeUnit.SECONDS);
        }
        TrainResult r;
        if (resume != null) {
            new RunDirectory(resume).check(true);
            RunState state = new RunDirectory(resume).readState();
            RunConfig config = state.config();
            rejectChangesOnResume(config);
            if (model != null && !model.equals(config.model())) {
                throw new IllegalArgumentException("MODEL " + model + " differs from the model of the run in " + resume
                        + " (" + config.model() + "); leave MODEL out when resuming");
            }
            RunConfig dataConfig = dataOptions.data != null ? config.withData(dataOptions.data) : config;
            DataSplit data = Trainer.openData(dataConfig);
            try (SparkRuntime spark = scaleOut.configure(trainer, dataConfig, resume, true, pe)) {
                r = trainer.resume(
                        resume,
                        data,
                        epochs == null ? 0 : epochs,
                        modelOptions.learningRate == null ? Double.NaN : modelOptions.learningRate);
            }
        } else {
            if (model == null) {
                throw new IllegalArgumentException(
                        "MODEL is missing: name a model (see 'pe models') or give --resume DIR");
            }
            Path dir = out != null ? out : RunSetup.defaultOut(model);
            new RunDirectory(dir).check(false);
            RunSetup.Prepared p = RunSetup.prepare(
                    pe.registry(),
                    model,
                    modelOptions,
                    dataOptions,
                    epochs == null ? RunConfig.DEFAULT_EPOCHS : epochs,
                    batch == null ? RunConfig.DEFAULT_BATCH_SIZE : batch);
            pe.err.println("training " + model + " on " + p.config().data() + " ("
                    + p.data().requireTrain().size()
                    + " training images"
                    + (p.data().test() != null ? ", " + p.data().test().size() + " test" : "")
                    + ") into " + dir);
            try (SparkRuntime spark = scaleOut.configure(trainer, p.config(), dir, false, pe)) {
                r = trainer.train(p.config(), p.data(), dir);
            }
        }
        print(r);
    }

    private void rejectChangesOnResume(RunConfig config) {
        List<String> fixed = new ArrayList<>(PeCommand.given(
                spec,
                "--num-classes",
                "--input-size",
                "--channels",
                "--seed",
                "--updater",
                "--weight-decay",
                "--dropout",
                "--drop-path",
                "--workspace",
                "--cache"));
        if (batch != null && batch != config.batchSize()) {
            fixed.add("--batch");
        }
        if (out != null) {
            fixed.add("--out");
        }
        if (dataOptions.augment != null
                || dataOptions.mean != null
                || dataOptions.std != null
                || dataOptions.limitTrain != 0
                || dataOptions.limitTest != 0) {
            fixed.add("data preparation options");
        }
        if (!fixed.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", fixed) + " cannot change when resuming (the run"
                    + " keeps its settings); with --resume only --epochs, --lr and --data (the same data moved) apply");
        }
    }

    private void print(TrainResult r) {
        RunConfig c = r.state().config();
        TextTable t = new TextTable("", "");
        t.row("model", c.model());
        t.row("parameters", TextTable.count(r.trainableParameters()));
        t.row("data", c.data());
        t.row("epochs", r.state().epochsDone() + " of " + c.epochs() + (r.interrupted() ? " (interrupted)" : ""));
        t.row("test accuracy", TextTable.percent(r.testAccuracy()));
        t.row("train time", TextTable.seconds(r.trainSeconds()));
        t.row("images/s", TextTable.rate(r.imagesPerSecond()));
        t.row("run directory", r.runDir());
        if (r.state().checkpoint() != null) {
            t.row(
                    "files",
                    RunDirectory.STATE + ", " + r.state().checkpoint() + ", " + RunDirectory.METRICS + ", "
                            + RunDirectory.CURVES);
        }
        String text = t.text();
        pe.out.print(text.substring(text.indexOf('\n', text.indexOf('\n') + 1) + 1));
        pe.out.flush();
    }
}
