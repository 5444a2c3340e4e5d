package org.dl4jpe.zoo.train;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Learning rate with linear warm-up and cosine decay, per iteration (training step), as timm's and most ViT/ResNet
 * recipes use it:
 * <pre>
 *   lr(i) = base · (i + 1) / warmup                                             for i &lt; warmup
 *   lr(i) = min + (base − min) · (1 + cos(π · (i − warmup) / (total − warmup))) / 2   for warmup ≤ i &lt; total
 *   lr(i) = min                                                                  for i ≥ total
 * </pre>
 * {@code i} is DL4J's iteration count, which checkpoints keep, so a resumed run continues on the same curve.
 * DL4J applies decoupled weight decay with the scheduled rate ({@code w ← w − lr(i)·wd·w}), as PyTorch's AdamW does.
 */
public final class WarmupCosineSchedule implements ISchedule {
    private final double base;
    private final double min;
    private final int warmup;
    private final int total;

    /**
     * @param base   peak learning rate (positive, finite)
     * @param min    final learning rate ({@code 0 ≤ min ≤ base})
     * @param warmup warm-up iterations ({@code 0 ≤ warmup < total})
     * @param total  iterations of the whole run (positive)
     */
    @JsonCreator
    public WarmupCosineSchedule(
            @JsonProperty("base") double base,
            @JsonProperty("min") double min,
            @JsonProperty("warmup") int warmup,
            @JsonProperty("total") int total) {
        if (!(base > 0) || Double.isInfinite(base)) {
            throw new IllegalArgumentException("learning rate " + base + " must be positive and finite");
        }
        if (!(min >= 0 && min <= base)) {
            throw new IllegalArgumentException("final learning rate " + min + " must be in [0, " + base + "]");
        }
        if (total <= 0) {
            throw new IllegalArgumentException("total iterations " + total + " must be positive");
        }
        if (warmup < 0 || warmup >= total) {
            throw new IllegalArgumentException(
                    "warm-up iterations " + warmup + " must be in [0, " + total + ") (the run's total iterations)");
        }
        this.base = base;
        this.min = min;
        this.warmup = warmup;
        this.total = total;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        if (iteration < warmup) {
            return base * (iteration + 1) / warmup;
        }
        if (iteration >= total) {
            return min;
        }
        double progress = (iteration - warmup) / (double) (total - warmup);
        return min + (base - min) * (1 + Math.cos(Math.PI * progress)) / 2;
    }

    @Override
    public ISchedule clone() {
        return new WarmupCosineSchedule(base, min, warmup, total);
    }

    @JsonProperty("base")
    public double base() {
        return base;
    }

    @JsonProperty("min")
    public double min() {
        return min;
    }

    @JsonProperty("warmup")
    public int warmup() {
        return warmup;
    }

    @JsonProperty("total")
    public int total() {
        return total;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WarmupCosineSchedule s
                && s.base == base
                && s.min == min
                && s.warmup == warmup
                && s.total == total;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(base, min, warmup, total);
    }

    @Override
    public String toString() {
        return "WarmupCosineSchedule(base " + base + ", min " + min + ", warmup " + warmup + ", total " + total + ")";
    }
}
