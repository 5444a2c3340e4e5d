package org.dl4jpe.hyperparam.sweep;

import java.util.ArrayList;
import java.util.List;
import org.dl4jpe.zoo.train.Json;
import org.dl4jpe.zoo.train.Provenance;

/**
 * The content of a sweep directory's {@code sweep.json}: written when the sweep starts, read by {@code --resume}.
 *
 * @param format       file format version ({@link #FORMAT})
 * @param settings     the settings (with the space file's text when the space came from a file or preset)
 * @param space        the space as text ({@code ModelSpace.toString()}): a resumed sweep must search the same space
 * @param created      provenance of the start
 * @param settingsHash {@link Json#hash} of {@code settings}: an edited seed or budget is noticed (null in older
 *                     sweeps)
 */
public record SweepDefinition(
        int format, SweepSettings settings, String space, Provenance created, String settingsHash) {
    public static final int FORMAT = 1;

    /** A definition with its settings hash. */
    public static SweepDefinition of(SweepSettings settings, String space) {
        return new SweepDefinition(FORMAT, settings, space, Provenance.current(), Json.hash(settings));
    }

    /** What is wrong with a definition read back from a file. */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (format != FORMAT) {
            p.add("format is " + format + "; this version reads " + FORMAT);
            return p;
        }
        if (settings == null) {
            p.add("settings are missing");
        }
        if (space == null || space.isBlank()) {
            p.add("space is missing");
        }
        if (p.isEmpty() && settingsHash != null && !settingsHash.equals(Json.hash(settings))) {
            p.add("settings were changed after the sweep started (their settingsHash no longer matches); a sweep"
                    + " keeps its settings: a resumed sweep accepts new candidates, maxTimeSeconds and parallel");
        }
        return p;
    }
}
