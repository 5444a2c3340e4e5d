package org.dl4jpe.layers;

/**
 * Float32-accurate {@code exp} of non-positive arguments and the exact GELU {@code x·Φ(x)} with its derivative, on
 * double arrays, in loops that the JIT compiles to vector instructions (no calls, no branches, one element type per
 * loop): ND4J's {@code erf}/{@code erfc} are scalar loops at about 15 ns per value and {@code exp} at about 3 ns,
 * {@link Math#exp} about 20 ns here; these take 1–4 ns. Results are accurate to about 10⁻¹⁰ relative, far below
 * float32 rounding (6·10⁻⁸), not to double rounding: double-precision networks use ND4J's {@code erfc} and
 * {@link Math#exp} instead (see {@link MlpKernel}, {@link AttentionKernel}).
 *
 * <p>{@code e^{w}} for {@code −104 ≤ w ≤ 0} is {@code (e^{w/1024})^{1024}}: a degree-8 Taylor polynomial of
 * {@code w/1024 ∈ [−0.102, 0]} squared ten times (relative error below 10⁻¹¹). Below −104 the argument is clamped
 * (e^{−104} is below half the smallest float32 subnormal relative to the row's maximum 1 of a softmax).
 *
 * <p>GELU: with {@code a = min(|x|, 14.5)}, {@code Φ(−a) = e^{−a²/2}·M(a)}, where the ratio
 * {@code M(a) = Φ(−a)/e^{−a²/2}} is a degree-12 polynomial in {@code u = S·t + S0}, {@code t = 1/(1 + a/4)}, times
 * {@code t} (fitted for relative error, at most 2·10⁻¹¹ on [0, 14.5]). Then {@code GELU(x) = max(x, 0) − |x|·Φ(−a)},
 * exact in both signs; rounded to float32 it is within one ulp of the exact value (the tests check every float over
 * [−10, 10] at a fine step). Beyond |x| = 14.5, {@code |x|·Φ(−|x|)} is below half the smallest float32 subnormal, so
 * the clamp changes no float32 result.
 */
final class VectorMath {
    /** Beyond this |x|, {@code x·Φ(−|x|)} rounds to 0 in float32. */
    static final double GELU_CLAMP = 14.5;
    /** {@link #expInPlace} clamps its arguments here. */
    static final double EXP_FLOOR = -104.0;

    private static final double C = 4.0;
    /** {@code u = S·t + S0} maps {@code t ∈ [1/(1 + 14.5/4), 1]} onto [−1, 1]. */
    private static final double S = 2.5517241379310347;

    private static final double S0 = -1.5517241379310345;
    private static final double M0 = 0.22671030859043326;
    private static final double M1 = 0.157536649574103;
    private static final double M2 = 0.08073631673881222;
    private static final double M3 = 0.029065129120032517;
    private static final double M4 = 0.006185808178455272;
    private static final double M5 = 0.00011551633638720606;
    private static final double M6 = -0.000323700414864956;
    private static final double M7 = -4.711367754137684e-05;
    private static final double M8 = 1.861095574966521e-05;
    private static final double M9 = 4.041459599352278e-06;
    private static final double M10 = -1.4222181499515881e-06;
    private static final double M11 = -2.435736357384381e-07;
    private static final double M12 = 9.892127098227064e-08;
    static final double INV_SQRT_2PI = 0.3989422804014327;
    /** Values per chunk: the scratch arrays of one chunk stay in the L1 cache. */
    private static final int CHUNK = 512;

    private VectorMath() {}

    /**
     * Scratch space for one thread. The GELU runs in short passes over a chunk of values, each pass a loop small
     * enough for the JIT to unroll and vectorize: one loop doing everything is compiled to scalar code (measured
     * 13–17 ns per value instead of 3–5).
     */
    static final class Scratch {
        final double[] a = new double[CHUNK];
        final double[] e = new double[CHUNK];
        final double[] t = new double[CHUNK];
        final double[] q = new double[CHUNK];
    }

    /**
     * {@code Σ a[i]} for {@code i < n}, in four interleaved partial sums: a single running sum is a chain of
     * dependent additions (the JIT keeps their order and does not vectorize it), four chains run about four times as
     * fast. The order of the additions differs from a left-to-right sum, within double rounding.
     */
    static double sum(double[] a, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[i];
            s1 += a[i + 1];
            s2 += a[i + 2];
            s3 += a[i + 3];
        }
        for (; i < n; i++) {
            s0 += a[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** {@code Σ a[i]·b[i]} for {@code i < n}, in four partial sums as {@link #sum}. */
    static double dot(double[] a, double[] b, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
        }
        for (; i < n; i++) {
            s0 += a[i] * b[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** {@code max a[i]} for {@code i < n} (−∞ for none), in four partial maxima as {@link #sum}. */
    static double max(double[] a, int n) {
        double m0 = Double.NEGATIVE_INFINITY;
        double m1 = m0;
        double m2 = m0;
        double m3 = m0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            m0 = Math.max(m0, a[i]);
            m1 = Math.max(m1, a[i + 1]);
            m2 = Math.max(m2, a[i + 2]);
            m3 = Math.max(m3, a[i + 3]);
        }
        for (; i < n; i++) {
            m0 = Math.max(m0, a[i]);
        }
        return Math.max(Math.max(m0, m1), Math.max(m2, m3));
    }

    /** {@code w[i] = e^{max(w[i], −104)}} for {@code from ≤ i < to}; the arguments must be ≤ 0. */
    static void expInPlace(double[] w, int from, int to) {
        for (int i = from; i < to; i++) {
            w[i] = Math.max(w[i], EXP_FLOOR) * (1.0 / 1024.0);
        }
        taylorExp(w, from, to);
        tenSquarings(w, from, to);
    }

    /** {@code y[i] ← e^{y[i]}} to degree 8, for {@code |y| ≤ 0.103}. */
    private static void taylorExp(double[] w, int from, int to) {
        for (int i = from; i < to; i++) {
            double y = w[i];
            double p = 1.0 + y * (1.0 / 8.0);
            p = 1.0 + y * p * (1.0 / 7.0);
            p = 1.0 + y * p * (1.0 / 6.0);
            p = 1.0 + y * p * (1.0 / 5.0);
            p = 1.0 + y * p * (1.0 / 4.0);
            p = 1.0 + y * p * (1.0 / 3.0);
            p = 1.0 + y * p * (1.0 / 2.0);
            w[i] = 1.0 + y * p;
        }
    }

    private static void tenSquarings(double[] w, int from, int to) {
        for (int i = from; i < to; i++) {
            double p = w[i];
            p *= p;
            p *= p;
            p *= p;
            p *= p;
            p *= p;
            p *= p;
            p *= p;
            p *= p;
            p *= p;
            w[i] = p * p;
        }
    }

    /** {@code Φ(−|x|)} (relative error about 3·10⁻¹¹), for tests. */
    static double upperTail(double x) {
        Scratch s = new Scratch();
        tail(new double[] {x}, 0, 1, s);
        return s.q[0];
    }

    /**
     * For {@code x[from … from + len)}: {@code s.a = min(|x|, 14.5)}, {@code s.e = e^{−a²/2}} and
     * {@code s.q = Φ(−a)}, indexed from 0.
     */
    private static void tail(double[] x, int from, int len, Scratch s) {
        double[] a = s.a;
        double[] e = s.e;
        double[] t = s.t;
        double[] q = s.q;
        for (int i = 0; i < len; i++) {
            a[i] = Math.min(Math.abs(x[from + i]), GELU_CLAMP);
        }
        for (int i = 0; i < len; i++) {
            e[i] = a[i] * a[i] * (-1.0 / 2048.0);
        }
        taylorExp(e, 0, len);
        tenSquarings(e, 0, len);
        for (int i = 0; i < len; i++) {
            t[i] = 1.0 / (1.0 + a[i] * (1.0 / C));
        }
        for (int i = 0; i < len; i++) {
            double u = S * t[i] + S0;
            double p = M12;
            p = p * u + M11;
            p = p * u + M10;
            p = p * u + M9;
            p = p * u + M8;
            p = p * u + M7;
            p = p * u + M6;
            p = p * u + M5;
            p = p * u + M4;
            p = p * u + M3;
            p = p * u + M2;
            p = p * u + M1;
            p = p * u + M0;
            q[i] = p * t[i] * e[i];
        }
    }

    /**
     * {@code out[i] = GELU(z[i])} and, unless {@code deriv} is null, {@code deriv[i] = GELU'(z[i]) = Φ(z) + z·φ(z)},
     * for {@code i < n}; {@code out} may be {@code z}.
     */
    static void gelu(double[] z, int n, double[] out, double[] deriv, Scratch s) {
        double[] a = s.a;
        double[] e = s.e;
        double[] t = s.t;
        double[] q = s.q;
        for (int from = 0; from < n; from += CHUNK) {
            int len = Math.min(CHUNK, n - from);
            tail(z, from, len, s);
            if (deriv != null) {
                // Φ(x) = q + H·(1 − 2q), H = 1 for x > 0, 0 for x ≤ 0 (Φ(0) = q = ½); x·φ(x) with x clamped as a is
                for (int i = 0; i < len; i++) {
                    double x = z[from + i];
                    // H: 1 for x > 1e-300, 0 for x ≤ 0 (in between, 1 − 2q ≈ 0.8·x makes its value immaterial)
                    double h = Math.min(Math.max(x * 1e300, 0.0), 1.0);
                    double phi = q[i] + h * (1.0 - 2.0 * q[i]);
                    t[i] = phi + Math.max(Math.min(x, GELU_CLAMP), -GELU_CLAMP) * e[i] * INV_SQRT_2PI;
                }
                System.arraycopy(t, 0, deriv, from, len);
            }
            // x·Φ(x) = max(x, 0) − |x|·Φ(−|x|)
            for (int i = 0; i < len; i++) {
                double x = z[from + i];
                out[from + i] = Math.max(x, 0.0) - Math.abs(x) * q[i];
            }
        }
    }
}
