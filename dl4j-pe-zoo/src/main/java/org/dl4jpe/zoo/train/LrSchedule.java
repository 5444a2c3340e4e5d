package org.dl4jpe.zoo.train;

import java.util.Locale;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * How a run's learning rate moves over its steps: {@link Kind#CONSTANT} (the options' rate throughout, the default)
 * or {@link Kind#COSINE} (linear warm-up over {@code warmupEpochs}, then cosine decay to {@code minLearningRate} at
 * the end of the last epoch; {@link WarmupCosineSchedule}). Part of a run's {@link RunConfig}, so a resumed run
 * continues on the same curve; a resume that changes the epochs or the rate stretches the curve from there.
 *
 * @param kind            the shape
 * @param warmupEpochs    warm-up length in epochs (may be fractional; 0 for none; COSINE only)
 * @param minLearningRate the rate at the end (COSINE only; 0 ≤ it ≤ the options' rate)
 */
public record LrSchedule(Kind kind, double warmupEpochs, double minLearningRate) {
    /** The options' learning rate throughout. */
    public static final LrSchedule CONSTANT = new LrSchedule(Kind.CONSTANT, 0, 0);

    /** The shapes. */
    public enum Kind {
        CONSTANT,
        COSINE
    }

    public LrSchedule {
        if (kind == null) {
            kind = Kind.CONSTANT;
        }
        if (!(warmupEpochs >= 0) || Double.isInfinite(warmupEpochs)) {
            throw new IllegalArgumentException("warmupEpochs = " + warmupEpochs + " must be >= 0 and finite");
        }
        if (!(minLearningRate >= 0) || Double.isInfinite(minLearningRate)) {
            throw new IllegalArgumentException("minLearningRate = " + minLearningRate + " must be >= 0 and finite");
        }
        if (kind == Kind.CONSTANT && (warmupEpochs != 0 || minLearningRate != 0)) {
            throw new IllegalArgumentException("a constant learning rate has no warm-up (" + warmupEpochs
                    + " epochs) and no final rate (" + minLearningRate + "); choose the cosine schedule for those");
        }
    }

    /** Cosine decay to {@code minLearningRate} after {@code warmupEpochs} of linear warm-up. */
    public static LrSchedule cosine(double warmupEpochs, double minLearningRate) {
        return new LrSchedule(Kind.COSINE, warmupEpochs, minLearningRate);
    }

    /**
     * The per-iteration DL4J schedule for a run of {@code epochs} epochs of {@code batchesPerEpoch} steps at peak
     * rate {@code learningRate}, or null for {@link Kind#CONSTANT}; the message names what does not fit.
     */
    public ISchedule perIteration(double learningRate, int batchesPerEpoch, int epochs) {
        if (kind == Kind.CONSTANT) {
            return null;
        }
        if (minLearningRate > learningRate) {
            throw new IllegalArgumentException(
                    "minLearningRate = " + minLearningRate + " is above the learning rate " + learningRate);
        }
        int total = Math.multiplyExact(batchesPerEpoch, epochs);
        int warmup = (int) Math.round(warmupEpochs * batchesPerEpoch);
        if (warmup >= total) {
            throw new IllegalArgumentException("warmupEpochs = " + warmupEpochs + " (" + warmup + " steps) must be"
                    + " shorter than the run's " + epochs + " epochs (" + total + " steps)");
        }
        return new WarmupCosineSchedule(learningRate, minLearningRate, warmup, total);
    }

    /** For reports: {@code constant}, or {@code cosine (warm-up 1 epoch, to 1e-05)}. */
    public String describe() {
        if (kind == Kind.CONSTANT) {
            return "constant";
        }
        return String.format(
                Locale.ROOT,
                "cosine (warm-up %s epoch%s, to %s)",
                trim(warmupEpochs),
                warmupEpochs == 1 ? "" : "s",
                trim(minLearningRate));
    }

    private static String trim(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e6 ? Long.toString((long) v) : Double.toString(v);
    }
}
