package org.dl4jpe.layers;

import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.dl4jpe.layers.samediff.LayerContext;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Layer normalization over the features of each token (or each example), as PyTorch's {@code nn.LayerNorm(D)}:
 * <pre>
 *   y = (x − mean(x)) / √(var(x) + eps) · gamma + beta
 * </pre>
 * with the mean and the biased variance taken over the D features of one token.
 *
 * <p>Shapes (N batch, D {@code dim}, T tokens): input and output {@code [N, D, T]} (DL4J's recurrent format) or
 * {@code [N, D]} (feed-forward). Parameters: {@code gamma [D]} (initialized to 1), {@code beta [D]} (initialized
 * to 0); {@code 2·D} weights. {@code eps} defaults to 1e-6 (timm's ViT). A mask is passed on unchanged: every token
 * is normalized on its own, so padding cannot leak into valid tokens.
 *
 * <p>DL4J 1.0.0-M2.1 has no layer normalization layer; the name avoids ND4J's {@code LayerNorm} op class only by
 * package.
 */
public final class LayerNorm extends EngineLayer {
    public static final String GAMMA = "gamma";
    public static final String BETA = "beta";
    /** timm's ViT value (docs/what-it-computes.md). */
    public static final double DEFAULT_EPS = 1e-6;

    private long dim;
    private double eps = DEFAULT_EPS;

    private LayerNorm() {
        // JSON
    }

    private LayerNorm(Builder b) {
        super(b);
        this.dim = b.dim;
        this.eps = b.eps;
    }

    /** A builder for normalization over {@code dim} features. */
    public static Builder builder(long dim) {
        return new Builder(dim);
    }

    public long getDim() {
        return dim;
    }

    public double getEps() {
        return eps;
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        defineParameters(params, "", dim);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        initializeParameters(params, "", dim);
    }

    @Override
    public SDVariable define(LayerContext ctx, SDVariable input, Map<String, SDVariable> p, SDVariable mask) {
        return normalize(ctx.sd(), input, p.get(GAMMA), p.get(BETA), eps, 1, input.getShape().length, dim);
    }

    @Override
    public void validateInput(INDArray input) {
        Shapes.requireFeatures(describe(), input, dim, "dim");
    }

    @Override
    public void validateConfiguration() {
        Check.positive(describe(), "dim", dim);
        Check.positive(describe(), "eps", eps);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        Shapes.requireInputType(describe(), inputType, dim, "dim");
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        Shapes.requireInputType(describe(), inputType, dim, "dim");
        return inputType;
    }

    // ---- reusable parts ----

    /** Declares {@code gamma} and {@code beta} (names prefixed with {@code prefix}). Neither is a weight matrix. */
    static void defineParameters(SDLayerParams params, String prefix, long dim) {
        params.addBiasParam(ParamNames.prefixed(prefix, GAMMA), dim);
        params.addBiasParam(ParamNames.prefixed(prefix, BETA), dim);
    }

    /** {@code gamma = 1}, {@code beta = 0}. */
    static void initializeParameters(Map<String, INDArray> params, String prefix, long dim) {
        params.get(ParamNames.prefixed(prefix, GAMMA)).assign(1);
        params.get(ParamNames.prefixed(prefix, BETA)).assign(0);
    }

    /**
     * Normalizes {@code x} over {@code axis}: {@code (x − mean) / √(var + eps) · gamma + beta}.
     *
     * @param x     any rank; {@code x.size(axis) == dim}
     * @param gamma {@code [dim]}
     * @param beta  {@code [dim]}
     * @param axis  the feature axis: 1 for {@code [N, D, T]}, {@code [N, D]} and token rows {@code [N·T, D]}
     * @param rank  the rank of {@code x}
     * @return the same shape as {@code x}
     */
    static SDVariable normalize(
            SameDiff sd, SDVariable x, SDVariable gamma, SDVariable beta, double eps, int axis, int rank, long dim) {
        SDVariable centered = x.sub(sd.mean(x, true, axis));
        SDVariable variance = sd.mean(sd.math.square(centered), true, axis);
        SDVariable normalized = centered.mul(sd.math.rsqrt(variance.add(eps)));
        if (axis == rank - 1) {
            return normalized.mul(gamma).add(beta);
        }
        long[] shape = new long[rank];
        java.util.Arrays.fill(shape, 1);
        shape[axis] = dim;
        return normalized.mul(sd.reshape(gamma, shape)).add(sd.reshape(beta, shape));
    }

    /** Builder: {@code dim} is required; {@code eps} defaults to 1e-6. */
    public static final class Builder extends EngineLayer.Builder<Builder> {
        private final long dim;
        private double eps = DEFAULT_EPS;

        private Builder(long dim) {
            this.dim = dim;
        }

        /** Added to the variance before the square root; default 1e-6. */
        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public LayerNorm build() {
            LayerNorm layer = new LayerNorm(this);
            layer.validateConfiguration();
            return layer;
        }
    }
}
