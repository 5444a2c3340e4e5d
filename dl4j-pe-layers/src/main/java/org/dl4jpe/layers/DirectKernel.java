package org.dl4jpe.layers;

/**
 * One piece of a direct engine on token rows: {@code [M, width]} row-major in a Java array, M = N·T tokens of N
 * sequences of T (or N examples with T = 1). A kernel keeps what its latest training forward pass needs for its
 * backward pass.
 */
interface DirectKernel {
    /**
     * @param x        input rows; not modified
     * @param n        sequences (examples)
     * @param t        tokens per sequence
     * @param keyMask  {@code [N, T]} 1 for valid and 0 for padded tokens, or null
     * @param training whether to apply dropout and keep activations for {@link #backward}
     * @return output rows, in an array the kernel owns (valid until its next forward pass)
     */
    double[] forward(double[] x, int n, int t, double[] keyMask, boolean training, DirectParams p);

    /**
     * Back through the latest training forward pass: adds the parameter gradients to {@code p} and returns the
     * gradient at the input rows, in an array the kernel owns.
     */
    double[] backward(double[] dy, DirectParams p);
}
