package org.dl4jpe.zoo.golden;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.dl4jpe.zoo.Zoo;
import org.dl4jpe.zoo.data.DataSets;
import org.dl4jpe.zoo.data.DataSplit;
import org.dl4jpe.zoo.data.Normalization;
import org.dl4jpe.zoo.train.Progress;
import org.dl4jpe.zoo.train.RunConfig;
import org.dl4jpe.zoo.train.Trainer;

/**
 * Writes the golden run directory of {@code GoldenRunTest}: one epoch of the test-only {@code tiny_cnn_28} on 100
 * images of the shipped subset (state.json, metrics.csv and the checkpoint; the curves are left out). It was run
 * once, by the code of the revision that added it; every later version must read that directory, evaluate and
 * resume it. Do not regenerate it to make a test pass.
 */
public final class GoldenRun {
    static final int EPOCHS = 1;

    private GoldenRun() {}

    static RunConfig config(int epochs) {
        return new RunConfig(
                "tiny_cnn_28",
                Zoo.get("tiny_cnn_28").defaultOptions(),
                DataSets.FASHION_MNIST_SUBSET,
                epochs,
                50,
                false,
                Normalization.UNIT,
                100,
                50);
    }

    static DataSplit data() {
        return DataSets.open(DataSets.FASHION_MNIST_SUBSET, 1, 28, 28).limit(100, 50);
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "dl4j-pe-zoo/src/test/resources/golden/run");
        new Trainer(Zoo.registry(), new PrintStream(System.err), Progress.Style.LINES)
                .train(config(EPOCHS), data(), dir);
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p :
                    s.filter(p -> p.getFileName().toString().endsWith(".png")).toList()) {
                Files.delete(p);
            }
        }
    }
}
