package org.dl4jpe.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.dl4jpe.zoo.data.FashionMnist;
import org.dl4jpe.zoo.data.SubsetMaker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code pe make-subset}: the tool that made the shipped Fashion-MNIST subset. */
@Command(
        name = "make-subset",
        mixinStandardHelpOptions = true,
        description = "Write a balanced subset of an IDX dataset: the first N images of every class, in file order"
                + " (deterministic, no seed), as gzip IDX files. The shipped subset was made with:"
                + " pe make-subset --from /usr/share/datasets/fashion-mnist --train-per-class 200"
                + " --test-per-class 50 --out dl4j-pe-zoo/src/main/resources/fashion-mnist-subset")
final class MakeSubsetCommand implements Runnable {
    @ParentCommand
    PeCommand pe;

    @Option(
            names = "--from",
            paramLabel = "DIR",
            description = "Directory of IDX files (default: Debian's Fashion-MNIST).")
    Path from = FashionMnist.DEFAULT_DIR;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where to write the subset.")
    Path out;

    @Option(names = "--train-per-class", paramLabel = "N", description = "Training images per class (default: 200).")
    int trainPerClass = FashionMnist.SUBSET_TRAIN_PER_CLASS;

    @Option(names = "--test-per-class", paramLabel = "N", description = "Test images per class (default: 50).")
    int testPerClass = FashionMnist.SUBSET_TEST_PER_CLASS;

    @Override
    public void run() {
        try {
            for (Path p : SubsetMaker.make(from, out, trainPerClass, testPerClass)) {
                pe.out.println(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the subset to " + out + ": " + e.getMessage(), e);
        }
    }
}
