package org.dl4jpe.zoo.data;

/** Seed derivation: independent streams from one run seed (SplitMix64 finaliser). */
public final class Seeds {
    private Seeds() {}

    /** A well-mixed seed from {@code seed} and {@code salt}. */
    public static long mix(long seed, long salt) {
        long z = seed + 0x9E3779B97F4A7C15L * (salt + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
