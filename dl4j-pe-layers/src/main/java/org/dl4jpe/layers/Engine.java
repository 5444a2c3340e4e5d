package org.dl4jpe.layers;

/**
 * How DL4J runs a transformer layer ({@link TransformerBlock}, {@link TiedSelfAttention}, {@link TiedFeedForward},
 * {@link LayerNorm}) or a {@link BatchNorm}; both compute the same function and gradients (the tests hold them equal in double precision).
 */
public enum Engine {
    /**
     * A hand-written forward and backward pass: matrix products on ND4J (BLAS), the element-wise and per-row work
     * (layer norm, softmax, GELU, bias, dropout, residuals, layout changes) in Java loops the JIT vectorizes, with
     * the forward pass's activations kept for the backward pass. The default.
     */
    DIRECT,
    /**
     * SameDiff's automatic differentiation of the layer's {@code define}: the reference formulation, several times
     * slower (about 1,500 SameDiff ops per training step of a six-block ViT, and the backward pass recomputes the
     * forward pass).
     */
    SAMEDIFF
}
