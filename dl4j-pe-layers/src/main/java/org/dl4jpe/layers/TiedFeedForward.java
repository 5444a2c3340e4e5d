package org.dl4jpe.layers;

import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.dl4jpe.layers.samediff.LayerContext;
import org.dl4jpe.layers.samediff.PeSameDiffLayer;
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
public final class TiedFeedForward extends PeSameDiffLayer {
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

    private long embedDim;
    private long hiddenDim;
    private Tie tie = Tie.TRANSPOSE;
    private MlpActivation activation = MlpActivation.GELU;
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
        params.addWeightParam(W, hiddenDim, embedDim);
        if (tie == Tie.NONE) {
            params.addWeightParam(W2, embedDim, hiddenDim);
        }
        params.addBiasParam(B1, hiddenDim);
        params.addBiasParam(B2, embedDim);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        initWeight(params, W, embedDim, hiddenDim);
        if (tie == Tie.NONE) {
            initWeight(params, W2, hiddenDim, embedDim);
        }
        params.get(B1).assign(0);
        params.get(B2).assign(0);
    }

    @Override
    public SDVariable define(LayerContext ctx, SDVariable input, Map<String, SDVariable> p, SDVariable mask) {
        SameDiff sd = ctx.sd();
        boolean sequence = input.getShape().length == 3;
        SDVariable ntd = sequence ? Rows.tokensLast(sd, input) : input;
        SDVariable x = Rows.rows(sd, ntd, embedDim);
        SDVariable h = activation.apply(sd, sd.mmul(x, p.get(W), false, true, false).add(p.get(B1)));
        h = ctx.dropout(h, dropout, in -> new long[] {rowsOf(in), hiddenDim});
        SDVariable y = tie == Tie.TRANSPOSE
                ? sd.mmul(h, p.get(W))
                : sd.mmul(h, p.get(W2), false, true, false);
        y = ctx.dropout(y.add(p.get(B2)), dropout, in -> new long[] {rowsOf(in), embedDim});
        return sequence ? Rows.toNcw(sd, y, ntd) : y;
    }

    private static long rowsOf(long[] inputShape) {
        return inputShape.length == 3 ? inputShape[0] * inputShape[2] : inputShape[0];
    }

    @Override
    public void validateInput(INDArray input) {
        Shapes.requireFeatures(describe(), input, embedDim, "embedDim");
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
    public static final class Builder extends SameDiffLayer.Builder<Builder> {
        private final long embedDim;
        private long hiddenDim;
        private double mlpRatio = 4.0;
        private Tie tie = Tie.TRANSPOSE;
        private MlpActivation activation = MlpActivation.GELU;
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
            Check.notNull(who, "tie", tie);
            Check.notNull(who, "activation", activation);
            Check.probability(who, "dropout", dropout);
            return new TiedFeedForward(this);
        }
    }
}
