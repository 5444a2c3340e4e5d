package org.dl4jpe.layers;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * Moves between DL4J's sequence layout {@code [N, D, T]} and the 2-D row layout {@code [N*T, D]} that matrix
 * multiplication wants ({@code sd.tensorMmul} has a broken backward pass on M2.1, so layers use 2-D
 * {@code sd.mmul}).
 */
final class Rows {
    private Rows() {}

    /** {@code [N, D, T]} to {@code [N, T, D]}. */
    static SDVariable tokensLast(SameDiff sd, SDVariable ncw) {
        return sd.permute(ncw, 0, 2, 1);
    }

    /** {@code [N, T, D]} (or {@code [N, D]}) to {@code [N*T, D]}. */
    static SDVariable rows(SameDiff sd, SDVariable ntd, long width) {
        return sd.reshape(ntd, -1, width);
    }

    /** {@code [N*T, D]} back to {@code [N, D, T]}, taking N and T from {@code ntdLike}, which is {@code [N, T, D]}. */
    static SDVariable toNcw(SameDiff sd, SDVariable rows, SDVariable ntdLike) {
        return sd.permute(sd.reshape(rows, ntdLike.shape()), 0, 2, 1);
    }
}
