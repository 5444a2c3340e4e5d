package org.dl4jpe.layers;

import java.util.Map;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;
import org.dl4jpe.layers.samediff.LayerContext;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One pre-norm transformer block (timm's ViT {@code Block}) as a single layer, with the attention and the MLP tied
 * as arXiv 2401.16438 proposes:
 * <pre>
 *   x ← x + dropPath(Attn(LN1(x)))        Attn: {@link TiedSelfAttention} with the chosen {@link Scheme}
 *   x ← x + dropPath(MLP(LN2(x)))         MLP:  {@link TiedFeedForward} with the chosen {@link Tie}
 * </pre>
 * It computes exactly what {@link LayerNorm}, {@link TiedSelfAttention} and {@link TiedFeedForward} joined by two
 * residual additions compute, from the same functions, in one SameDiff graph.
 *
 * <p>Shapes (N batch, D {@code embedDim}, T tokens, H {@code numHeads}, R {@code hiddenDim} = {@code mlpRatio}·D):
 * input and output {@code [N, D, T]}; any N and T. Parameters, named by sub-part (camelCase: DL4J splits parameter
 * keys at {@code '_'}, see {@link ParamNames}): {@code norm1Gamma, norm1Beta [D]}; {@code attnWq, attnWkv [D, D]}
 * ({@link Scheme#NONE}: {@code attnWq, attnWk, attnWv, attnWo}), {@code attnBq, attnBk, attnBv, attnBo [D]};
 * {@code norm2Gamma, norm2Beta [D]}; {@code mlpW [R, D]} ({@link Tie#NONE} adds {@code mlpW2 [D, R]}),
 * {@code mlpB1 [R]}, {@code mlpB2 [D]}. Weights:
 * {@code 4D} (norms) + {@code 2D² + 4D} (attention; untied {@code 4D² + 4D}) + {@code R·D + R + D} (MLP; untied
 * {@code 2·R·D + R + D}).
 *
 * <p>Masks {@code [N, T]} hide padded keys from the attention and are passed on unchanged. Dropout (all optional,
 * training only): {@code attnDropout} on the attention probabilities, {@code projDropout} after the attention's
 * output projection, {@code mlpDropout} after the MLP's activation and its output projection, and {@code dropPath}
 * (stochastic depth) dropping each residual branch for whole examples (mask {@code [N, 1, 1]}, kept branches scaled
 * by {@code 1/(1 − dropPath)}, as timm's {@code DropPath}).
 */
public final class TransformerBlock extends EngineLayer implements MatmulFlops {
    /** Parameter name prefixes of the four sub-parts ({@code attn} + {@code Wq} = {@code attnWq}). */
    public static final String NORM1 = "norm1";

    public static final String ATTN = "attn";
    public static final String NORM2 = "norm2";
    public static final String MLP = "mlp";

    private long embedDim;
    private int numHeads;
    private long hiddenDim;
    private Scheme scheme = TiedSelfAttention.DEFAULT_SCHEME;
    private Tie tie = TiedFeedForward.DEFAULT_TIE;
    private MlpActivation activation = TiedFeedForward.DEFAULT_ACTIVATION;
    private double attnDropout;
    private double projDropout;
    private double mlpDropout;
    private double dropPath;
    private double eps = LayerNorm.DEFAULT_EPS;

    private TransformerBlock() {
        // JSON
    }

    private TransformerBlock(Builder b) {
        super(b);
        this.embedDim = b.embedDim;
        this.numHeads = b.numHeads;
        this.hiddenDim = b.hiddenDim > 0 ? b.hiddenDim : Math.round(b.mlpRatio * b.embedDim);
        this.scheme = b.scheme;
        this.tie = b.tie;
        this.activation = b.activation;
        this.attnDropout = b.attnDropout;
        this.projDropout = b.projDropout;
        this.mlpDropout = b.mlpDropout;
        this.dropPath = b.dropPath;
        this.eps = b.eps;
    }

    /** A builder for a block over {@code embedDim} features with {@code numHeads} heads (MLP width 4·embedDim). */
    public static Builder builder(long embedDim, int numHeads) {
        return new Builder(embedDim, numHeads);
    }

    public long getEmbedDim() {
        return embedDim;
    }

    public int getNumHeads() {
        return numHeads;
    }

    public long getHiddenDim() {
        return hiddenDim;
    }

    public Scheme getScheme() {
        return scheme;
    }

    public Tie getTie() {
        return tie;
    }

    public MlpActivation getActivation() {
        return activation;
    }

    public double getAttnDropout() {
        return attnDropout;
    }

    public double getProjDropout() {
        return projDropout;
    }

    public double getMlpDropout() {
        return mlpDropout;
    }

    public double getDropPath() {
        return dropPath;
    }

    public double getEps() {
        return eps;
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        LayerNorm.defineParameters(params, NORM1, embedDim);
        TiedSelfAttention.defineParameters(params, ATTN, scheme, embedDim);
        LayerNorm.defineParameters(params, NORM2, embedDim);
        TiedFeedForward.defineParameters(params, MLP, tie, embedDim, hiddenDim);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        LayerNorm.initializeParameters(params, NORM1, embedDim);
        TiedSelfAttention.initializeParameters(this::initWeight, params, ATTN, scheme, embedDim);
        LayerNorm.initializeParameters(params, NORM2, embedDim);
        TiedFeedForward.initializeParameters(this::initWeight, params, MLP, tie, embedDim, hiddenDim);
    }

    @Override
    public SDVariable define(LayerContext ctx, SDVariable input, Map<String, SDVariable> p, SDVariable mask) {
        SameDiff sd = ctx.sd();
        SDVariable ntd = Rows.tokensLast(sd, input);
        SDVariable x = Rows.rows(sd, ntd, embedDim);

        SDVariable h = LayerNorm.normalize(
                sd,
                x,
                p.get(ParamNames.prefixed(NORM1, LayerNorm.GAMMA)),
                p.get(ParamNames.prefixed(NORM1, LayerNorm.BETA)),
                eps,
                1,
                2,
                embedDim);
        h = TiedSelfAttention.attention(
                ctx,
                h,
                ntd,
                mask,
                TiedSelfAttention.projections(scheme, p, ATTN),
                embedDim,
                numHeads,
                attnDropout,
                projDropout);
        x = x.add(dropPath(ctx, h, ntd));

        h = LayerNorm.normalize(
                sd,
                x,
                p.get(ParamNames.prefixed(NORM2, LayerNorm.GAMMA)),
                p.get(ParamNames.prefixed(NORM2, LayerNorm.BETA)),
                eps,
                1,
                2,
                embedDim);
        h = TiedFeedForward.mlp(ctx, h, p, MLP, tie, activation, mlpDropout, embedDim, hiddenDim);
        x = x.add(dropPath(ctx, h, ntd));
        return Rows.toNcw(sd, x, ntd);
    }

    /** Stochastic depth on a residual branch given as rows {@code [N·T, D]}: one keep/drop draw per example. */
    private SDVariable dropPath(LayerContext ctx, SDVariable branch, SDVariable ntd) {
        if (dropPath == 0.0) {
            return branch;
        }
        SameDiff sd = ctx.sd();
        SDVariable perExample = ctx.dropout(sd.reshape(branch, ntd.shape()), dropPath, in -> new long[] {in[0], 1, 1});
        return sd.reshape(perExample, -1, embedDim);
    }

    @Override
    public void validateInput(INDArray input) {
        Shapes.requireSequence(describe(), input, embedDim, "embedDim");
    }

    @Override
    public void validateConfiguration() {
        String who = describe();
        TiedSelfAttention.checkHeads(who, embedDim, numHeads);
        Check.positive(who, "hiddenDim", hiddenDim);
        Check.notNull(who, "scheme", scheme);
        Check.notNull(who, "tie", tie);
        Check.notNull(who, "activation", activation);
        Check.probability(who, "attnDropout", attnDropout);
        Check.probability(who, "projDropout", projDropout);
        Check.probability(who, "mlpDropout", mlpDropout);
        Check.probability(who, "dropPath", dropPath);
        Check.positive(who, "eps", eps);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        TiedSelfAttention.requireRecurrent(describe(), inputType, embedDim);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        TiedSelfAttention.requireRecurrent(describe(), inputType, embedDim);
        return inputType;
    }

    /** DL4J's recurrent-layer preprocessor for feed-forward input (e.g. after a {@code DenseLayer}). */
    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return Shapes.sequencePreProcessor(describe(), inputType, embedDim, "embedDim");
    }

    /**
     * Builder: {@code embedDim} and {@code numHeads} are required; everything else has the default given on its
     * method.
     */
    public static final class Builder extends EngineLayer.Builder<Builder> {
        private final long embedDim;
        private final int numHeads;
        private double mlpRatio = TiedFeedForward.DEFAULT_MLP_RATIO;
        private long hiddenDim;
        private Scheme scheme = TiedSelfAttention.DEFAULT_SCHEME;
        private Tie tie = TiedFeedForward.DEFAULT_TIE;
        private MlpActivation activation = TiedFeedForward.DEFAULT_ACTIVATION;
        private double attnDropout;
        private double projDropout;
        private double mlpDropout;
        private double dropPath;
        private double eps = LayerNorm.DEFAULT_EPS;

        private Builder(long embedDim, int numHeads) {
            this.embedDim = embedDim;
            this.numHeads = numHeads;
        }

        /** MLP hidden width as a multiple of {@code embedDim}; default 4. */
        public Builder mlpRatio(double mlpRatio) {
            this.mlpRatio = mlpRatio;
            return this;
        }

        /** MLP hidden width R; overrides {@link #mlpRatio}. */
        public Builder hiddenDim(long hiddenDim) {
            this.hiddenDim = hiddenDim;
            return this;
        }

        /** Attention sharing; default {@link Scheme#QO_KV}. */
        public Builder scheme(Scheme scheme) {
            this.scheme = scheme;
            return this;
        }

        /** MLP sharing; default {@link Tie#TRANSPOSE}. */
        public Builder tie(Tie tie) {
            this.tie = tie;
            return this;
        }

        /** MLP activation; default {@link MlpActivation#GELU} (exact). */
        public Builder activation(MlpActivation activation) {
            this.activation = activation;
            return this;
        }

        /** Drop probability on the attention probabilities; default 0. */
        public Builder attnDropout(double attnDropout) {
            this.attnDropout = attnDropout;
            return this;
        }

        /** Drop probability after the attention output projection; default 0. */
        public Builder projDropout(double projDropout) {
            this.projDropout = projDropout;
            return this;
        }

        /** Drop probability after the MLP activation and after its output projection; default 0. */
        public Builder mlpDropout(double mlpDropout) {
            this.mlpDropout = mlpDropout;
            return this;
        }

        /** Stochastic depth: probability of dropping a residual branch for an example; default 0. */
        public Builder dropPath(double dropPath) {
            this.dropPath = dropPath;
            return this;
        }

        /** Layer norm epsilon; default 1e-6. */
        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public TransformerBlock build() {
            String who = "TransformerBlock" + (layerName == null ? "" : " '" + layerName + "'");
            if (hiddenDim < 0) {
                throw new IllegalArgumentException(who + ": hiddenDim " + hiddenDim + " must be positive");
            }
            if (hiddenDim == 0 && !(mlpRatio > 0 && Math.round(mlpRatio * embedDim) >= 1)) {
                throw new IllegalArgumentException(who + ": mlpRatio " + mlpRatio
                        + " must be positive and give a hidden width of at least 1 (embedDim " + embedDim + ")");
            }
            TransformerBlock layer = new TransformerBlock(this);
            layer.validateConfiguration();
            return layer;
        }
    }

    @Override
    public double forwardFlops(InputType inputType) {
        long tokens = MatmulFlops.tokens(inputType, describe());
        return MatmulFlops.attention(tokens, embedDim) + MatmulFlops.feedForward(tokens, embedDim, hiddenDim);
    }
}
