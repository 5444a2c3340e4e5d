package org.dl4jpe.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MeanDifferenceTest {

    @Test
    void welchIntervalMatchesTheTTableWhereItsDegreesOfFreedomAreWhole() {
        // equal sizes and variances: df = 2(n - 1) = 4, t(0.975, 4) = 2.776445 (printed t tables)
        MeanDifference d = MeanDifference.of(new double[] {1, 2, 3}, new double[] {5, 6, 7});
        assertEquals(-4, d.difference(), 1e-12);
        assertEquals(4, d.df(), 1e-12);
        double half = 2.776445 * Math.sqrt(2.0 / 3);
        assertEquals(-4 - half, d.low(), 1e-5);
        assertEquals(-4 + half, d.high(), 1e-5);
        assertTrue(d.excludesZero());
        // two seeds a side: df 2, t = 4.302653
        MeanDifference two = MeanDifference.of(new double[] {0.80, 0.82}, new double[] {0.79, 0.81});
        assertEquals(0.01, two.difference(), 1e-12);
        assertEquals(0.01 + 4.302653 * Math.sqrt(0.0002 / 2 + 0.0002 / 2), two.high(), 1e-6);
        assertFalse(two.excludesZero());
    }

    @Test
    void oneValueASideHasNoInterval() {
        MeanDifference d = MeanDifference.of(new double[] {0.9}, new double[] {0.8, 0.7});
        assertEquals(0.15, d.difference(), 1e-12);
        assertTrue(Double.isNaN(d.low()) && Double.isNaN(d.high()));
        assertEquals(Math.sqrt(0.005), MeanDifference.sd(new double[] {0.8, 0.7}), 1e-12);
        assertTrue(Double.isNaN(MeanDifference.sd(new double[] {0.9})));
    }
}
