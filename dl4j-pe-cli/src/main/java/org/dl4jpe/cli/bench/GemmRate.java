package org.dl4jpe.cli.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The machine's matrix-multiply rate, the yardstick of achieved FLOP/s: ND4J's {@code gemm} of an {@code [M, K]} by
 * a {@code [K, N]} matrix, timed as the median of five products (with ND4J's current thread count).
 */
public final class GemmRate {
    private final INDArray a;
    private final INDArray b;
    private final INDArray c;
    private final double flops;

    public GemmRate(long m, long k, long n, DataType dt) {
        a = Nd4j.rand(dt, m, k);
        b = Nd4j.rand(dt, k, n);
        c = Nd4j.create(dt, new long[] {m, n}, 'f');
        flops = 2.0 * m * k * n;
    }

    /** A square float32 product of side {@code n}. */
    public static GemmRate square(long n) {
        return new GemmRate(n, n, n, DataType.FLOAT);
    }

    /** FLOPs of one product, {@code 2·M·K·N}. */
    public double flops() {
        return flops;
    }

    /** Median milliseconds of five products. */
    public double time() {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            long t0 = System.nanoTime();
            Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
            ms.add((System.nanoTime() - t0) / 1e6);
        }
        Collections.sort(ms);
        return ms.get(ms.size() / 2);
    }

    /** GFLOP/s of the median product. */
    public double gflops() {
        return flops / time() / 1e6;
    }
}
