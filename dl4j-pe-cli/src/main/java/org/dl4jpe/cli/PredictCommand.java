package org.dl4jpe.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.datavec.image.loader.NativeImageLoader;
import org.dl4jpe.zoo.data.InvalidDataException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code pe predict CHECKPOINT IMAGE...}: the top-k classes of each image. */
@Command(
        name = "predict",
        mixinStandardHelpOptions = true,
        description = "Classify image files with a trained model and print the top-k classes with their"
                + " probabilities. Images are converted and resized to the model's input as in evaluation.")
final class PredictCommand implements Runnable {
    @ParentCommand
    PeCommand pe;

    @Parameters(index = "0", paramLabel = "CHECKPOINT", description = "A run directory or a checkpoint .zip.")
    Path checkpoint;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "IMAGE", description = "Image files (png, jpg, ...).")
    List<Path> images;

    @Option(names = "--top", paramLabel = "K", description = "Classes to show per image (default: 3).")
    int top = 3;

    @Override
    public void run() {
        if (top <= 0) {
            throw new IllegalArgumentException("--top " + top + " must be positive");
        }
        for (Path p : images) {
            if (!Files.isRegularFile(p)) {
                throw new InvalidDataException("IMAGE " + p + " does not exist or is not a file");
            }
        }
        LoadedRun run = LoadedRun.open(checkpoint, pe.registry());
        NativeImageLoader loader = new NativeImageLoader(run.height(), run.width(), run.channels());
        int k = Math.min(top, run.classNames().size());
        for (Path p : images) {
            INDArray x;
            try {
                x = loader.asMatrix(p.toFile()).castTo(DataType.FLOAT);
            } catch (IOException | RuntimeException e) {
                throw new InvalidDataException("cannot read image " + p + ": " + e.getMessage(), e);
            }
            float[] px = x.data().asFloat();
            run.normalization().apply(px, 1, run.channels(), run.height() * run.width());
            INDArray in = org.nd4j.linalg.factory.Nd4j.create(
                    px, new long[] {1, run.channels(), run.height(), run.width()}, 'c');
            float[] prob = run.net()
                    .outputSingle(false, in)
                    .castTo(DataType.FLOAT)
                    .data()
                    .asFloat();
            Integer[] order = new Integer[prob.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, (a, b) -> Float.compare(prob[b], prob[a]));
            pe.out.println(p);
            for (int i = 0; i < k; i++) {
                int c = order[i];
                pe.out.println(String.format(
                        Locale.ROOT, "  %d. %-20s %.4f", i + 1, run.classNames().get(c), prob[c]));
            }
        }
        pe.out.flush();
    }
}
