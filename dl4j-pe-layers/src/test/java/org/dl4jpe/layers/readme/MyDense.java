package org.dl4jpe.layers.readme;

import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.dl4jpe.layers.samediff.LayerContext;
import org.dl4jpe.layers.samediff.PeSameDiffLayer;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The README's example of a user's own layer on {@link PeSameDiffLayer}, verbatim. */
public final class MyDense extends PeSameDiffLayer {
    private long nIn, nOut; // configuration: plain fields, JSON-serialized
    private double dropout;

    private MyDense() {} // for JSON

    public MyDense(long nIn, long nOut, double dropout) {
        this.nIn = nIn;
        this.nOut = nOut;
        this.dropout = dropout;
    }

    @Override
    public void defineParameters(SDLayerParams p) {
        p.addWeightParam("W", nIn, nOut);
        p.addBiasParam("b", nOut);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> p) {
        initWeight(p, "W", nIn, nOut);
        p.get("b").assign(0);
    }

    @Override
    public InputType getOutputType(int i, InputType in) {
        return InputType.feedForward(nOut);
    }

    @Override
    public SDVariable define(LayerContext ctx, SDVariable x, Map<String, SDVariable> p, SDVariable mask) {
        SDVariable y = ctx.sd().nn.relu(x.mmul(p.get("W")).add(p.get("b")), 0);
        return ctx.dropout(y, dropout, inShape -> new long[] {inShape[0], nOut}); // training only
    }
}
