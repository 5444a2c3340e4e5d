package org.dl4jpe.zoo.train;

import java.util.Arrays;
import org.apache.commons.math3.distribution.TDistribution;

/**
 * The difference of two means with Welch's 95% confidence interval (unequal variances, Welch–Satterthwaite
 * degrees of freedom), for comparing two models' accuracies over seeds. With fewer than two values on a side the
 * interval is undefined (NaN).
 *
 * @param difference mean(a) − mean(b)
 * @param low        lower end of the 95% interval
 * @param high       upper end of the 95% interval
 * @param df         Welch's degrees of freedom
 */
public record MeanDifference(double difference, double low, double high, double df) {

    public static MeanDifference of(double[] a, double[] b) {
        double d = mean(a) - mean(b);
        if (a.length < 2 || b.length < 2) {
            return new MeanDifference(d, Double.NaN, Double.NaN, Double.NaN);
        }
        double va = variance(a) / a.length;
        double vb = variance(b) / b.length;
        double se = Math.sqrt(va + vb);
        if (se == 0) {
            return new MeanDifference(d, d, d, Double.POSITIVE_INFINITY);
        }
        double df = (va + vb) * (va + vb) / (va * va / (a.length - 1) + vb * vb / (b.length - 1));
        double t = new TDistribution(null, df).inverseCumulativeProbability(0.975);
        return new MeanDifference(d, d - t * se, d + t * se, df);
    }

    /** Whether the interval excludes zero. */
    public boolean excludesZero() {
        return low > 0 || high < 0;
    }

    /** The mean; NaN for no values. */
    public static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }

    /** Sample standard deviation (n − 1); NaN for fewer than two values. */
    public static double sd(double[] v) {
        return v.length < 2 ? Double.NaN : Math.sqrt(variance(v));
    }

    /** Sample variance (n − 1). */
    static double variance(double[] v) {
        double m = mean(v);
        return Arrays.stream(v).map(x -> (x - m) * (x - m)).sum() / (v.length - 1);
    }
}
