package org.dl4jpe.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One piece of a direct engine on token rows: a dense row-major native array {@code [M, width]} of the network's
 * data type, M = N·T tokens of N sequences of T (or N examples with T = 1). A kernel keeps what its latest training
 * forward pass needs for its backward pass.
 */
interface DirectKernel {
    /**
     * @param x        input rows; not modified, and not changed by the caller until the backward pass of a training
     *                 pass (a kernel may keep it)
     * @param n        sequences (examples)
     * @param t        tokens per sequence
     * @param keyMask  {@code [N, T]} 1 for valid and 0 for padded tokens, or null
     * @param training whether to apply dropout and keep activations for {@link #backward}
     * @return output rows, in an array the kernel owns (valid until its next forward pass in the same mode)
     */
    INDArray forward(INDArray x, int n, int t, double[] keyMask, boolean training, DirectParams p);

    /**
     * Back through the latest training forward pass: adds the parameter gradients to {@code p} and returns the
     * gradient at the input rows, in an array the kernel owns.
     */
    INDArray backward(INDArray dy, DirectParams p);
}
