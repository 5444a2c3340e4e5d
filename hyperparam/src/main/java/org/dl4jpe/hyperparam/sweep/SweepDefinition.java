package org.dl4jpe.hyperparam.sweep;

import org.dl4jpe.zoo.train.Provenance;

/**
 * The content of a sweep directory's {@code sweep.json}: written when the sweep starts, read by {@code --resume}.
 *
 * @param format  file format version ({@link #FORMAT})
 * @param settings the settings (with the space file's text when the space came from a file or preset)
 * @param space    the space as text ({@code ModelSpace.toString()}): a resumed sweep must search the same space
 * @param created  provenance of the start
 */
public record SweepDefinition(int format, SweepSettings settings, String space, Provenance created) {
    public static final int FORMAT = 1;
}
