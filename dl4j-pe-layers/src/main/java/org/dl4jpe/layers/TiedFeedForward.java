package org.dl4jpe.layers;

import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.dl4jpe.layers.samediff.LayerContext;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Transformer MLP whose output projection is the transpose of its input projection:
 * {@code y = Wᵀ act(W x + b1) + b2} (arXiv 2401.16438).
 *
 * <p>Shapes (N batch, D {@code embedDim}, T tokens, R {@code hiddenDim} = {@code mlpRatio}·D): input and output
 * {@code [N, D, T]} (DL4J's recurrent format) or {@code [N, D]} (feed-forward). Parameters: {@code W [R, D]},
 * {@code b1 [R]}, {@code b2 [D]}; {@link Tie#NONE} adds its own {@code W2 [D, R]} and computes
 * {@code y = W2 act(W x + b1) + b2}. Weights: tied {@code R·D + R + D}, untied {@code 2·R·D + R + D}.
 *
 * <p>Dropout (optional, training only) follows the activation and the output projection, as in timm's
 * {@code Mlp}.
 */
public final class TiedFeedForward extends EngineLayer implements MatmulFlops {
    /** Whether the output projection is the input projection's transpose. */
    public enum Tie {
        /** {@code y = Wᵀ act(W x + b1) + b2}: one matrix. The default. */
        TRANSPOSE,
        /** {@code y = W2 act(W x + b1) + b2}: two independent matrices (the baseline). */
        NONE
    }

    public static final String W = "W";
    public static final String W2 = "W2";
    public static final String B1 = "b1";
    public static final String B2 = "b2";
    /** The hidden width as a multiple of the token width unless set: 4, as in ViT. */
    public static final double DEFAULT_MLP_RATIO = 4.0;
    /** The tie unless set. */
    public static final Tie DEFAULT_TIE = Tie.TRANSPOSE;
    /** The activation unless set: the exact GELU. */
    public static final MlpActivation DEFAULT_ACTIVATION = MlpActivation.GELU;

    private long embedDim;
    private long hiddenDim;
    private Tie tie = DEFAULT_TIE;
    private MlpActivation activation = DEFAULT_ACTIVATION;
    private double dropout;

    private TiedFeedForward() {
        // JSON
    }

    private TiedFeedForward(Builder b) {
        super(b);
        this.embedDim = b.embedDim;
        this.hiddenDim = b.hiddenDim > 0 ? b.hiddenDim : Math.round(b.mlpRatio * b.embedDim);
        this.tie = b.tie;
        this.activation = b.activation;
        this.dropout = b.dropout;
    }

    /** A builder for an MLP over {@code embedDim} features (hidden width {@code 4·embedDim} unless set). */
    public static Builder builder(long embedDim) {
        return new Builder(embedDim);
    }

    public long getEmbedDim() {
        return embedDim;
    }

    public long getHiddenDim() {
        return hiddenDim;
    }

    public Tie getTie() {
        return tie;
    }

    public MlpActivation getActivation() {
        return activation;
    }

    public double getDropout() {
        return dropout;
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        defineParameters(params, "", tie, embedDim, hiddenDim);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        initializeParameters(this::initWeight, params, "", tie, embedDim, hiddenDim);
    }

    @Override
    public SDVariable define(LayerContext ctx, SDVariable input, Map<String, SDVariable> p, SDVariable mask) {
        SameDiff sd = ctx.sd();
        boolean sequence = input.getShape().length == 3;
        SDVariable ntd = sequence ? Rows.tokensLast(sd, input) : input;
        SDVariable y = mlp(ctx, Rows.rows(sd, ntd, embedDim), p, "", tie, activation, dropout, embedDim, hiddenDim);
        return sequence ? Rows.toNcw(sd, y, ntd) : y;
    }

    // ---- reusable parts (a transformer block uses them with a name prefix) ----

    /** Declares {@code W}, {@code b1}, {@code b2} (and {@code W2} when untied), names prefixed with {@code prefix}. */
    static void defineParameters(SDLayerParams params, String prefix, Tie tie, long embedDim, long hiddenDim) {
        params.addWeightParam(ParamNames.prefixed(prefix, W), hiddenDim, embedDim);
        if (tie == Tie.NONE) {
            params.addWeightParam(ParamNames.prefixed(prefix, W2), embedDim, hiddenDim);
        }
        params.addBiasParam(ParamNames.prefixed(prefix, B1), hiddenDim);
        params.addBiasParam(ParamNames.prefixed(prefix, B2), embedDim);
    }

    /** Weights with the layer's weight init, biases 0. */
    static void initializeParameters(
            WeightInitializer init,
            Map<String, INDArray> params,
            String prefix,
            Tie tie,
            long embedDim,
            long hiddenDim) {
        init.init(params, ParamNames.prefixed(prefix, W), embedDim, hiddenDim);
        if (tie == Tie.NONE) {
            init.init(params, ParamNames.prefixed(prefix, W2), hiddenDim, embedDim);
        }
        params.get(ParamNames.prefixed(prefix, B1)).assign(0);
        params.get(ParamNames.prefixed(prefix, B2)).assign(0);
    }

    /**
     * The MLP on token rows: {@code y = drop(drop(act(x Wᵀ + b1)) W + b2)} (untied: {@code W2ᵀ} for {@code W}).
     *
     * @param x       rows {@code [M, D]} (M = N·T for sequences, N for feed-forward input)
     * @param p       parameters, named with {@code prefix}
     * @param dropout drop probability after the activation and after the output projection (training only)
     * @return rows {@code [M, D]}
     */
    static SDVariable mlp(
            LayerContext ctx,
            SDVariable x,
            Map<String, SDVariable> p,
            String prefix,
            Tie tie,
            MlpActivation activation,
            double dropout,
            long embedDim,
            long hiddenDim) {
        SameDiff sd = ctx.sd();
        SDVariable w = p.get(ParamNames.prefixed(prefix, W));
        SDVariable b1 = p.get(ParamNames.prefixed(prefix, B1));
        SDVariable b2 = p.get(ParamNames.prefixed(prefix, B2));
        // act(z) = s · u(z) with a constant s; dropout and the projection are linear, so s is applied to y [M, D]
        SDVariable h =
                activation.applyUnscaled(sd, sd.mmul(x, w, false, true, false).add(b1));
        h = ctx.dropout(h, dropout, in -> new long[] {rowsOf(in), hiddenDim});
        SDVariable y = tie == Tie.TRANSPOSE
                ? sd.mmul(h, w)
                : sd.mmul(h, p.get(ParamNames.prefixed(prefix, W2)), false, true, false);
        if (activation.outputScale() != 1.0) {
            y = y.mul(activation.outputScale());
        }
        return ctx.dropout(y.add(b2), dropout, in -> new long[] {rowsOf(in), embedDim});
    }

    /** Token rows of a layer input: {@code N·T} for {@code [N, D, T]}, N for {@code [N, D]}. */
    static long rowsOf(long[] inputShape) {
        return inputShape.length == 3 ? inputShape[0] * inputShape[2] : inputShape[0];
    }

    @Override
    public void validateInput(INDArray input) {
        Shapes.requireFeatures(describe(), input, embedDim, "embedDim");
    }

    @Override
    public void validateConfiguration() {
        String who = describe();
        Check.positive(who, "embedDim", embedDim);
        Check.positive(who, "hiddenDim", hiddenDim);
        Check.notNull(who, "tie", tie);
        Check.notNull(who, "activation", activation);
        Check.probability(who, "dropout", dropout);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        Shapes.requireInputType(describe(), inputType, embedDim, "embedDim");
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        Shapes.requireInputType(describe(), inputType, embedDim, "embedDim");
        return inputType;
    }

    /** Builder: {@code embedDim} is required; everything else has the default given on its method. */
    public static final class Builder extends EngineLayer.Builder<Builder> {
        private final long embedDim;
        private long hiddenDim;
        private double mlpRatio = DEFAULT_MLP_RATIO;
        private Tie tie = DEFAULT_TIE;
        private MlpActivation activation = DEFAULT_ACTIVATION;
        private double dropout;

        private Builder(long embedDim) {
            this.embedDim = embedDim;
        }

        /** Hidden width as a multiple of {@code embedDim}; default 4. */
        public Builder mlpRatio(double mlpRatio) {
            this.mlpRatio = mlpRatio;
            return this;
        }

        /** Hidden width R; overrides {@link #mlpRatio}. */
        public Builder hiddenDim(long hiddenDim) {
            this.hiddenDim = hiddenDim;
            return this;
        }

        /** Default {@link Tie#TRANSPOSE}. */
        public Builder tie(Tie tie) {
            this.tie = tie;
            return this;
        }

        /** Default {@link MlpActivation#GELU} (exact). */
        public Builder activation(MlpActivation activation) {
            this.activation = activation;
            return this;
        }

        /** Drop probability after the activation and after the output projection; default 0. */
        public Builder dropout(double dropout) {
            this.dropout = dropout;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public TiedFeedForward build() {
            String who = "TiedFeedForward" + (layerName == null ? "" : " '" + layerName + "'");
            Check.positive(who, "embedDim", embedDim);
            if (hiddenDim < 0) {
                throw new IllegalArgumentException(who + ": hiddenDim " + hiddenDim + " must be positive");
            }
            if (hiddenDim == 0 && !(mlpRatio > 0 && Math.round(mlpRatio * embedDim) >= 1)) {
                throw new IllegalArgumentException(who + ": mlpRatio " + mlpRatio
                        + " must be positive and give a hidden width of at least 1 (embedDim " + embedDim + ")");
            }
            TiedFeedForward layer = new TiedFeedForward(this);
            layer.validateConfiguration();
            return layer;
        }
    }

    @Override
    public double forwardFlops(InputType inputType) {
        return MatmulFlops.feedForward(MatmulFlops.tokens(inputType, describe()), embedDim, hiddenDim);
    }
}
