package org.dl4jpe.layers;

import java.util.Arrays;
import org.apache.commons.math3.special.Erf;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Truncated normal weight initialization exactly as timm's {@code trunc_normal_(tensor, mean, std, a, b)}: values
 * drawn from {@code N(mean, std²)} conditioned on lying in {@code [a, b]}.
 *
 * <p><b>The bounds are absolute</b>, as in timm (and PyTorch's {@code nn.init.trunc_normal_}), with timm's defaults
 * {@code a = -2}, {@code b = 2}: they are <i>not</i> {@code mean ± 2·std}. For the ViT/DeiT initialization
 * {@code trunc_normal_(w, std=.02)} the bounds therefore sit 100 standard deviations out and the distribution is, to
 * double precision, an untruncated {@code N(0, 0.02²)}. (DL4J's own {@code TruncatedNormalDistribution} and
 * TensorFlow's {@code truncated_normal} cut at {@code mean ± 2·std} instead; use {@link #of(double, double, double,
 * double)} with those bounds to get that.)
 *
 * <p>Sampling follows timm's {@code _trunc_normal_} step by step (inverse CDF): with
 * {@code l = Φ((a - mean)/std)}, {@code u = Φ((b - mean)/std)}, draw {@code v ~ U(2l - 1, 2u - 1)}, take
 * {@code mean + std·√2·erfinv(v)} and clamp to {@code [a, b]} (the clamp only guards {@code erfinv(±1) = ±∞}).
 * Uniforms come from ND4J's random generator ({@code Nd4j.getRandom()}, so network seeds apply), computed in double
 * precision. Fan-in and fan-out are ignored.
 *
 * <p>Serializes to JSON through DL4J's polymorphic {@link IWeightInit} handling (class name plus the four fields).
 */
public final class TruncatedNormalInit implements IWeightInit {
    private static final long serialVersionUID = 1L;
    private static final double SQRT2 = Math.sqrt(2.0);

    private double mean;
    private double std = 1.0;
    private double a = -2.0;
    private double b = 2.0;

    private TruncatedNormalInit() {
        // JSON
    }

    private TruncatedNormalInit(double mean, double std, double a, double b) {
        if (!Double.isFinite(mean)) {
            throw new IllegalArgumentException("TruncatedNormalInit: mean " + mean + " must be finite");
        }
        if (!(std > 0.0) || Double.isInfinite(std)) {
            throw new IllegalArgumentException("TruncatedNormalInit: std " + std + " must be positive and finite");
        }
        if (Double.isNaN(a) || Double.isNaN(b) || !(a < b)) {
            throw new IllegalArgumentException(
                    "TruncatedNormalInit: lower bound a " + a + " must be less than upper bound b " + b);
        }
        if (!(cdf((a - mean) / std) < cdf((b - mean) / std))) {
            throw new IllegalArgumentException("TruncatedNormalInit: [a, b] = [" + a + ", " + b
                    + "] holds no probability mass of N(" + mean + ", " + std + "²) in double precision");
        }
        this.mean = mean;
        this.std = std;
        this.a = a;
        this.b = b;
    }

    /** timm's {@code trunc_normal_(w, std=std)}: mean 0, absolute bounds [-2, 2]. ViT uses {@code of(0.02)}. */
    public static TruncatedNormalInit of(double std) {
        return new TruncatedNormalInit(0.0, std, -2.0, 2.0);
    }

    /** timm's {@code trunc_normal_(w, mean, std, a, b)}, with absolute bounds {@code a < b}. */
    public static TruncatedNormalInit of(double mean, double std, double a, double b) {
        return new TruncatedNormalInit(mean, std, a, b);
    }

    public double getMean() {
        return mean;
    }

    public double getStd() {
        return std;
    }

    /** The absolute lower bound. */
    public double getA() {
        return a;
    }

    /** The absolute upper bound. */
    public double getB() {
        return b;
    }

    @Override
    public INDArray init(double fanIn, double fanOut, long[] shape, char order, INDArray paramView) {
        double lo = 2.0 * cdf((a - mean) / std) - 1.0;
        double hi = 2.0 * cdf((b - mean) / std) - 1.0;
        double[] v = Nd4j.rand(DataType.DOUBLE, paramView.length()).toDoubleVector();
        for (int i = 0; i < v.length; i++) {
            double x = mean + std * SQRT2 * Erf.erfInv(lo + (hi - lo) * v[i]);
            v[i] = Math.min(b, Math.max(a, x));
        }
        paramView.assign(Nd4j.createFromArray(v).castTo(paramView.dataType()).reshape(paramView.shape()));
        return paramView.reshape(order, shape);
    }

    /** The standard normal CDF, {@code Φ(x) = (1 + erf(x/√2))/2}, as timm's {@code norm_cdf}. */
    private static double cdf(double x) {
        return (1.0 + Erf.erf(x / SQRT2)) / 2.0;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TruncatedNormalInit t)) {
            return false;
        }
        return Double.compare(mean, t.mean) == 0
                && Double.compare(std, t.std) == 0
                && Double.compare(a, t.a) == 0
                && Double.compare(b, t.b) == 0;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new double[] {mean, std, a, b});
    }

    @Override
    public String toString() {
        return "TruncatedNormalInit(mean=" + mean + ", std=" + std + ", a=" + a + ", b=" + b + ")";
    }
}
