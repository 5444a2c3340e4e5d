package org.dl4jpe.layers;

import java.util.Map;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.dl4jpe.layers.samediff.LayerContext;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Multi-head self-attention whose four projections are two matrices and their transposes (arXiv 2401.16438).
 * With the tokens of one sequence as the rows of {@code X [T, D]} and the default {@link Scheme#QO_KV}:
 * <pre>
 *   Q = X Wq + bq,   K = X Wkv + bk,   V = X Wkvᵀ + bv
 *   A_h = softmax(Q_h K_hᵀ / √d)        (over the key axis; masked keys get no weight)
 *   y = concat_h(A_h V_h) Wqᵀ + bo
 * </pre>
 * {@link Scheme#QK_VO} uses {@code K = X Wqᵀ + bk}, {@code V = X Wkv + bv}, output {@code Wkvᵀ};
 * {@link Scheme#NONE} is standard attention with four matrices {@code Wq, Wk, Wv, Wo}.
 *
 * <p>Shapes (N batch, D {@code embedDim}, T tokens, H {@code numHeads}, d = D/H): input and output {@code [N, D, T]}
 * (DL4J's recurrent format); any N and T. Head h uses the columns {@code h·d … (h+1)·d} of Q, K and V. Parameters:
 * {@code Wq [D, D]}, {@code Wkv [D, D]} ({@link Scheme#NONE}: {@code Wq, Wk, Wv, Wo}, each {@code [D, D]}), biases
 * {@code bq, bk, bv, bo [D]}. Weights: tied {@code 2·D² + 4·D}, untied {@code 4·D² + 4·D}.
 *
 * <p>Masks: a DL4J mask {@code [N, T]} (1 valid, 0 padding) removes the padded positions from every query's keys;
 * outputs at padded positions are computed but carry no information into valid positions, and the mask is passed
 * on unchanged so that layers downstream keep ignoring them. Dropout (optional, training only): on the attention
 * probabilities ({@code attnDropout}) and after the output projection ({@code projDropout}), as timm's
 * {@code Attention}.
 */
public final class TiedSelfAttention extends EngineLayer implements MatmulFlops {
    /** Which projections share a matrix (docs/what-it-computes.md). */
    public enum Scheme {
        /**
         * Query and output share {@code Wq} (output {@code Wqᵀ}); key and value share {@code Wkv} (value
         * {@code Wkvᵀ}). The default.
         */
        QO_KV,
        /**
         * Query and key share {@code Wq} (key {@code Wqᵀ}); value and output share {@code Wkv} (output
         * {@code Wkvᵀ}).
         */
        QK_VO,
        /** Four independent matrices {@code Wq, Wk, Wv, Wo} (the baseline). */
        NONE
    }

    public static final String WQ = "Wq";
    public static final String WKV = "Wkv";
    public static final String WK = "Wk";
    public static final String WV = "Wv";
    public static final String WO = "Wo";
    public static final String BQ = "bq";
    public static final String BK = "bk";
    public static final String BV = "bv";
    public static final String BO = "bo";
    /** The scheme unless set. */
    public static final Scheme DEFAULT_SCHEME = Scheme.QO_KV;

    private long embedDim;
    private int numHeads;
    private Scheme scheme = DEFAULT_SCHEME;
    private double attnDropout;
    private double projDropout;

    private TiedSelfAttention() {
        // JSON
    }

    private TiedSelfAttention(Builder b) {
        super(b);
        this.embedDim = b.embedDim;
        this.numHeads = b.numHeads;
        this.scheme = b.scheme;
        this.attnDropout = b.attnDropout;
        this.projDropout = b.projDropout;
    }

    /** A builder for attention over {@code embedDim} features split into {@code numHeads} heads. */
    public static Builder builder(long embedDim, int numHeads) {
        return new Builder(embedDim, numHeads);
    }

    public long getEmbedDim() {
        return embedDim;
    }

    public int getNumHeads() {
        return numHeads;
    }

    public Scheme getScheme() {
        return scheme;
    }

    public double getAttnDropout() {
        return attnDropout;
    }

    public double getProjDropout() {
        return projDropout;
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        defineParameters(params, "", scheme, embedDim);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        initializeParameters(this::initWeight, params, "", scheme, embedDim);
    }

    @Override
    public SDVariable define(LayerContext ctx, SDVariable input, Map<String, SDVariable> p, SDVariable mask) {
        SameDiff sd = ctx.sd();
        SDVariable ntd = Rows.tokensLast(sd, input);
        SDVariable x = Rows.rows(sd, ntd, embedDim);
        SDVariable y =
                attention(ctx, x, ntd, mask, projections(scheme, p, ""), embedDim, numHeads, attnDropout, projDropout);
        return Rows.toNcw(sd, y, ntd);
    }

    @Override
    public void validateInput(INDArray input) {
        Shapes.requireSequence(describe(), input, embedDim, "embedDim");
    }

    @Override
    public void validateConfiguration() {
        String who = describe();
        checkHeads(who, embedDim, numHeads);
        Check.notNull(who, "scheme", scheme);
        Check.probability(who, "attnDropout", attnDropout);
        Check.probability(who, "projDropout", projDropout);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        requireRecurrent(describe(), inputType, embedDim);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        requireRecurrent(describe(), inputType, embedDim);
        return inputType;
    }

    static void requireRecurrent(String who, InputType inputType, long embedDim) {
        Shapes.requireSequenceType(who, inputType, embedDim, "embedDim");
    }

    /** DL4J's recurrent-layer preprocessor for feed-forward input (e.g. after a {@code DenseLayer}). */
    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return Shapes.sequencePreProcessor(describe(), inputType, embedDim, "embedDim");
    }

    // ---- reusable parts (a transformer block uses them with a name prefix) ----

    /** Declares the attention parameters, each name prefixed with {@code prefix}. */
    static void defineParameters(SDLayerParams params, String prefix, Scheme scheme, long embedDim) {
        for (String w : weightNames(scheme)) {
            params.addWeightParam(ParamNames.prefixed(prefix, w), embedDim, embedDim);
        }
        for (String b : new String[] {BQ, BK, BV, BO}) {
            params.addBiasParam(ParamNames.prefixed(prefix, b), embedDim);
        }
    }

    /** Weights with the layer's weight init (fan in = fan out = D), biases 0. */
    static void initializeParameters(
            WeightInitializer init, Map<String, INDArray> params, String prefix, Scheme scheme, long embedDim) {
        for (String w : weightNames(scheme)) {
            init.init(params, ParamNames.prefixed(prefix, w), embedDim, embedDim);
        }
        for (String b : new String[] {BQ, BK, BV, BO}) {
            params.get(ParamNames.prefixed(prefix, b)).assign(0);
        }
    }

    static String[] weightNames(Scheme scheme) {
        return scheme == Scheme.NONE ? new String[] {WQ, WK, WV, WO} : new String[] {WQ, WKV};
    }

    /**
     * The four projections as used: {@code Q = X·q} (or {@code X·qᵀ} when {@code tq}), and so on. The scheme only
     * decides which parameter serves each role and whether it is transposed.
     */
    record Projections(
            SDVariable q,
            boolean tq,
            SDVariable k,
            boolean tk,
            SDVariable v,
            boolean tv,
            SDVariable o,
            boolean to,
            SDVariable bq,
            SDVariable bk,
            SDVariable bv,
            SDVariable bo) {}

    /** Maps the scheme's parameters (named with {@code prefix}) onto the four roles docs/what-it-computes.md names. */
    static Projections projections(Scheme scheme, Map<String, SDVariable> p, String prefix) {
        SDVariable wq = p.get(ParamNames.prefixed(prefix, WQ));
        SDVariable bq = p.get(ParamNames.prefixed(prefix, BQ));
        SDVariable bk = p.get(ParamNames.prefixed(prefix, BK));
        SDVariable bv = p.get(ParamNames.prefixed(prefix, BV));
        SDVariable bo = p.get(ParamNames.prefixed(prefix, BO));
        switch (scheme) {
            case QO_KV: {
                SDVariable wkv = p.get(ParamNames.prefixed(prefix, WKV));
                return new Projections(wq, false, wkv, false, wkv, true, wq, true, bq, bk, bv, bo);
            }
            case QK_VO: {
                SDVariable wkv = p.get(ParamNames.prefixed(prefix, WKV));
                return new Projections(wq, false, wq, true, wkv, false, wkv, true, bq, bk, bv, bo);
            }
            case NONE:
                return new Projections(
                        wq,
                        false,
                        p.get(ParamNames.prefixed(prefix, WK)),
                        false,
                        p.get(ParamNames.prefixed(prefix, WV)),
                        false,
                        p.get(ParamNames.prefixed(prefix, WO)),
                        false,
                        bq,
                        bk,
                        bv,
                        bo);
            default:
                throw new AssertionError(scheme);
        }
    }

    /**
     * Multi-head self-attention on token rows.
     *
     * @param x           token rows {@code [N·T, D]}, sequence-major (row {@code n·T + t})
     * @param ntd         any variable shaped {@code [N, T, ·]}: N and T are read from it at run time
     * @param mask        DL4J mask {@code [N, T]}, 1 for valid tokens, 0 for padding
     * @param w           the projections
     * @param attnDropout drop probability on the attention probabilities (training only)
     * @param projDropout drop probability after the output projection (training only)
     * @return output rows {@code [N·T, D]}
     */
    static SDVariable attention(
            LayerContext ctx,
            SDVariable x,
            SDVariable ntd,
            SDVariable mask,
            Projections w,
            long embedDim,
            int numHeads,
            double attnDropout,
            double projDropout) {
        SameDiff sd = ctx.sd();
        long headDim = embedDim / numHeads;
        SDVariable q = sd.mmul(x, w.q(), false, w.tq(), false).add(w.bq()).mul(1.0 / Math.sqrt(headDim));
        SDVariable k = sd.mmul(x, w.k(), false, w.tk(), false).add(w.bk());
        SDVariable v = sd.mmul(x, w.v(), false, w.tv(), false).add(w.bv());

        // [N·T, D] -> [N, T, H, d] -> [N, H, T, d]
        SDVariable headShape =
                sd.concat(0, sd.shape(ntd).get(SDIndex.interval(0, 2)), sd.constant(Nd4j.createFromArray(new long[] {
                    numHeads, headDim
                })));
        SDVariable qh = sd.permute(sd.reshape(q, headShape), 0, 2, 1, 3);
        SDVariable kh = sd.permute(sd.reshape(k, headShape), 0, 2, 1, 3);
        SDVariable vh = sd.permute(sd.reshape(v, headShape), 0, 2, 1, 3);

        // scores [N, H, T, T]; masked keys: add -big, which the softmax turns into an exact 0
        SDVariable scores = sd.mmul(qh, kh, false, true, false);
        SDVariable keyBias = mask.sub(1.0).mul(maskPenalty(ctx.dataType()));
        scores = scores.add(sd.expandDims(sd.expandDims(keyBias, 1), 1));
        SDVariable probs = sd.nn.softmax(scores, 3);
        probs = ctx.dropout(probs, attnDropout, in -> new long[] {in[0], numHeads, in[2], in[2]});

        // [N, H, T, d] -> [N, T, H, d] -> [N·T, D]
        SDVariable heads = sd.reshape(sd.permute(sd.mmul(probs, vh), 0, 2, 1, 3), -1, embedDim);
        SDVariable y = sd.mmul(heads, w.o(), false, w.to(), false).add(w.bo());
        return ctx.dropout(y, projDropout, in -> new long[] {in[0] * in[2], embedDim});
    }

    /**
     * How far below the other scores a masked key is pushed: far enough that {@code exp} of the difference is 0,
     * small enough to stay finite in the data type (so {@code 0 · penalty} is an exact 0 for valid keys).
     */
    static double maskPenalty(DataType dataType) {
        return dataType == DataType.HALF ? 3.0e4 : 1.0e9;
    }

    /** Builder: {@code embedDim} and {@code numHeads} are required; everything else has the default on its method. */
    public static final class Builder extends EngineLayer.Builder<Builder> {
        private final long embedDim;
        private final int numHeads;
        private Scheme scheme = DEFAULT_SCHEME;
        private double attnDropout;
        private double projDropout;

        private Builder(long embedDim, int numHeads) {
            this.embedDim = embedDim;
            this.numHeads = numHeads;
        }

        /** Which projections share a matrix; default {@link Scheme#QO_KV}. */
        public Builder scheme(Scheme scheme) {
            this.scheme = scheme;
            return this;
        }

        /** Drop probability on the attention probabilities; default 0. */
        public Builder attnDropout(double attnDropout) {
            this.attnDropout = attnDropout;
            return this;
        }

        /** Drop probability after the output projection; default 0. */
        public Builder projDropout(double projDropout) {
            this.projDropout = projDropout;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public TiedSelfAttention build() {
            TiedSelfAttention layer = new TiedSelfAttention(this);
            layer.validateConfiguration();
            return layer;
        }
    }

    static void checkHeads(String who, long embedDim, int numHeads) {
        Check.positive(who, "embedDim", embedDim);
        Check.positive(who, "numHeads", numHeads);
        if (embedDim % numHeads != 0) {
            throw new IllegalArgumentException(
                    who + ": numHeads " + numHeads + " does not divide embedDim " + embedDim);
        }
    }

    @Override
    public double forwardFlops(InputType inputType) {
        return MatmulFlops.attention(MatmulFlops.tokens(inputType, describe()), embedDim);
    }
}
