package org.dl4jpe.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.api.Test;

/**
 * The float32 GELU and exp of {@link VectorMath} against exact double-precision references (commons-math's
 * {@code erfc}, {@link Math#exp}).
 */
class VectorMathTest {
    private static double exactGelu(double x) {
        return x * 0.5 * Erf.erfc(-x / Math.sqrt(2.0));
    }

    private static double exactGeluDerivative(double x) {
        return 0.5 * Erf.erfc(-x / Math.sqrt(2.0)) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2.0 * Math.PI);
    }

    /**
     * Every float32 input on a grid of step 2⁻¹² over [−20, 20] (163,841 values, the clamp at ±14.5 included):
     * rounded to float32, the GELU is within one ulp of the exactly rounded value, and its derivative within
     * 2·10⁻⁹ of the exact one.
     */
    @Test
    void geluIsWithinOneUlpOfExact() {
        int n = 40 * 4096 + 1;
        double[] z = new double[n];
        for (int i = 0; i < n; i++) {
            z[i] = (float) (-20.0 + i / 4096.0);
        }
        double[] out = new double[n];
        double[] deriv = new double[n];
        VectorMath.gelu(z, n, out, deriv, new VectorMath.Scratch());
        double[] plain = new double[n];
        VectorMath.gelu(z, n, plain, null, new VectorMath.Scratch());
        double worstUlps = 0;
        double worstDeriv = 0;
        for (int i = 0; i < n; i++) {
            float expected = (float) exactGelu(z[i]);
            float actual = (float) out[i];
            double ulps = Math.abs((double) actual - expected) / Math.ulp(expected);
            worstUlps = Math.max(worstUlps, ulps);
            assertTrue(ulps <= 1.0, "GELU(" + z[i] + ") = " + actual + ", exact " + expected + ": " + ulps + " ulps");
            assertEquals(out[i], plain[i], 0.0, "with and without the derivative");
            worstDeriv = Math.max(worstDeriv, Math.abs(deriv[i] - exactGeluDerivative(z[i])));
        }
        assertTrue(worstDeriv <= 2e-9, "largest derivative error " + worstDeriv);
        // the tail is right relatively, not only absolutely: GELU(−8) ≈ −5·10⁻¹⁵
        assertEquals(exactGelu(-8.0), out[12 * 4096], 1e-9 * Math.abs(exactGelu(-8.0)));
    }

    /** {@code e^w} for w in [−104, 0] within 10⁻¹⁰ relative; below −104 the argument is clamped. */
    @Test
    void expIsFloatAccurate() {
        int n = 104 * 1000 + 1;
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = -i / 1000.0;
        }
        double[] e = w.clone();
        VectorMath.expInPlace(e, 0, n);
        for (int i = 0; i < n; i++) {
            double exact = Math.exp(w[i]);
            assertTrue(Math.abs(e[i] - exact) <= 1e-10 * exact, "exp(" + w[i] + ") = " + e[i] + ", exact " + exact);
        }
        double[] far = {-1e9, -300};
        VectorMath.expInPlace(far, 0, 2);
        assertEquals(Math.exp(VectorMath.EXP_FLOOR), far[0], 1e-10 * far[0]);
        assertTrue(far[1] < 1e-45, "negligible in float32");
    }

    @Test
    void upperTailMatchesTheNormalDistribution() {
        for (double x = 0; x <= 14; x += 0.25) {
            double exact = 0.5 * Erf.erfc(x / Math.sqrt(2.0));
            assertEquals(exact, VectorMath.upperTail(x), 1e-10 * exact, "Φ(−" + x + ")");
        }
    }
}
