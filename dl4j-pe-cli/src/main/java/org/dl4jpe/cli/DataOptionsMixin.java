package org.dl4jpe.cli;

import org.dl4jpe.zoo.data.DataSets;
import org.dl4jpe.zoo.data.Normalization;
import picocli.CommandLine.Option;

/** Where the images come from and how they are prepared. */
final class DataOptionsMixin {
    @Option(
            names = "--data",
            paramLabel = "DATA",
            description = "Default: fashion-mnist-subset. Accepts " + DataSets.ACCEPTED + ".")
    String data;

    @Option(
            names = "--mean",
            split = ",",
            paramLabel = "M",
            description = "Per-channel mean of [0,1] pixels to subtract (with --std).")
    float[] mean;

    @Option(
            names = "--std",
            split = ",",
            paramLabel = "S",
            description = "Per-channel standard deviation to divide by (with --mean).")
    float[] std;

    @Option(
            names = "--augment",
            negatable = true,
            description = "Random crop and horizontal flip of training images "
                    + "(default: on for image folders, off for IDX data).")
    Boolean augment;

    @Option(
            names = "--limit-train",
            paramLabel = "N",
            description = "Use only the first N training images, class-balanced (default: all).")
    int limitTrain;

    @Option(
            names = "--limit-test",
            paramLabel = "N",
            description = "Use only the first N test images, class-balanced (default: all).")
    int limitTest;

    String dataOr(String fallback) {
        return data != null ? data : fallback;
    }

    Normalization normalization() {
        if (mean == null && std == null) {
            return Normalization.UNIT;
        }
        if (mean == null || std == null) {
            throw new IllegalArgumentException("--mean and --std go together: give both or neither");
        }
        return Normalization.meanStd(mean, std);
    }
}
