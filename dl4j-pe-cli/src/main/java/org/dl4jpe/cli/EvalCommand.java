package org.dl4jpe.cli;

import java.nio.file.Path;
import org.dl4jpe.zoo.data.DataSets;
import org.dl4jpe.zoo.data.DataSplit;
import org.dl4jpe.zoo.data.ImageSource;
import org.dl4jpe.zoo.data.InvalidDataException;
import org.dl4jpe.zoo.train.EvalResult;
import org.dl4jpe.zoo.train.Evaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code pe eval CHECKPOINT}: accuracy, per-class accuracy and confusion matrix. */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description = "Evaluate a trained model: accuracy, per-class accuracy and the confusion matrix, on the test"
                + " split of --data (default: the data the run was trained on).")
final class EvalCommand implements Runnable {
    @ParentCommand
    PeCommand pe;

    @Parameters(index = "0", paramLabel = "CHECKPOINT", description = "A run directory or a checkpoint .zip.")
    Path checkpoint;

    @Option(
            names = "--data",
            paramLabel = "DATA",
            description = "Data to evaluate on (default: the run's): " + DataSets.ACCEPTED + ".")
    String data;

    @Option(names = "--batch", paramLabel = "B", description = "Evaluation batch size (default: 256).")
    int batch = 256;

    @Option(names = "--limit-test", paramLabel = "N", description = "Evaluate only the first N images, class-balanced.")
    int limitTest;

    @Override
    public void run() {
        if (batch <= 0) {
            throw new IllegalArgumentException("--batch " + batch + " must be positive");
        }
        if (limitTest < 0) {
            throw new IllegalArgumentException("--limit-test " + limitTest + " must be >= 0 (0 = all)");
        }
        LoadedRun run = LoadedRun.open(checkpoint, pe.registry());
        String spec =
                data != null ? data : run.state() != null ? run.state().config().data() : null;
        if (spec == null) {
            throw new IllegalArgumentException(
                    "--data is required: " + checkpoint + " has no state.json naming its data");
        }
        DataSplit split =
                DataSets.open(spec, run.channels(), run.height(), run.width()).limit(0, limitTest);
        ImageSource set = split.evaluationSet();
        if (!set.classNames().equals(run.classNames())) {
            throw new InvalidDataException("--data " + spec + " has classes " + set.classNames() + " but the model was"
                    + " trained on " + run.classNames());
        }
        pe.err.println("evaluating " + run.checkpoint() + " on " + set.description() + " (" + set.size() + " images)");
        EvalResult r = Evaluator.evaluate(run.net(), set, batch, run.normalization());
        pe.out.println("model     " + run.model());
        pe.out.println("data      " + set.description());
        pe.out.print(r.report());
        pe.out.flush();
    }
}
