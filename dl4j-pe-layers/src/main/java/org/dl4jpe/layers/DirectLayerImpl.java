package org.dl4jpe.layers;

import java.util.Arrays;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.dl4jpe.layers.samediff.PeSameDiffLayer;
import org.dl4jpe.layers.samediff.PeSameDiffLayerImpl;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs {@link TransformerBlock}, {@link TiedSelfAttention}, {@link TiedFeedForward} and {@link LayerNorm} with
 * {@link Engine#DIRECT}: the layer's {@link DirectKernel} on token rows {@code [N·T, D]}, with the training forward
 * pass's activations kept for the backward pass. The output and the input gradient go to DL4J as token rows
 * {@code [N, T, D]} in its workspace viewed as {@code [N, D, T]} (a permuted view): a direct layer (these,
 * {@link PatchEmbedding}, {@link ClassTokenPool}) that receives such a view reads its rows as they are, anything
 * else gets a transpose. Intermediate arrays are native arrays of the network's data type in {@link DirectBuffers}
 * owned by the layer, outside DL4J's workspaces, reused while the input shape stays the same. With
 * {@link Engine#SAMEDIFF} the layers are run by {@link PeSameDiffLayerImpl} instead.
 */
final class DirectLayerImpl extends PeSameDiffLayerImpl {
    private final transient DirectKernel kernel;
    private transient DirectBuffers buffers;
    private transient DirectParams params;
    private transient long[] buffersShape;
    /** The input of the latest training forward pass, whose activations the kernel keeps. */
    private transient INDArray keptInput;

    DirectLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
        this.kernel = kernelFor((PeSameDiffLayer) conf.getLayer());
    }

    static DirectKernel kernelFor(PeSameDiffLayer layer) {
        if (layer instanceof TransformerBlock b) {
            return new TransformerBlockKernel(b);
        }
        if (layer instanceof TiedSelfAttention a) {
            return new AttentionKernel(
                    "attn",
                    "",
                    a.getScheme(),
                    a.getEmbedDim(),
                    a.getNumHeads(),
                    a.getAttnDropout(),
                    a.getProjDropout());
        }
        if (layer instanceof TiedFeedForward f) {
            return new MlpKernel(
                    "mlp", "", f.getTie(), f.getActivation(), f.getDropout(), f.getEmbedDim(), f.getHiddenDim());
        }
        if (layer instanceof LayerNorm l) {
            return new LayerNormKernel("norm", "", l.getDim(), l.getEps());
        }
        throw new IllegalArgumentException(
                "no direct engine for " + layer.getClass().getSimpleName());
    }

    private PeSameDiffLayer pe() {
        return (PeSameDiffLayer) layerConf();
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        pe().validateInput(input, maskArray);
        INDArray result = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, rowsShape(input), 'c');
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            prepare(input.shape());
            int n = (int) input.size(0);
            int t = input.rank() == 3 ? (int) input.size(2) : 1;
            double[] keyMask = maskArray != null && input.rank() == 3 && maskArray.length() == (long) n * t
                    ? buffers.read(maskArray, "keyMask")
                    : null;
            INDArray y = kernel.forward(
                    toRows(input, training ? "input.train" : "input.infer"), n, t, keyMask, training, params);
            result.assign(y.reshape(result.shape()));
            keptInput = training ? input : keptInput;
        }
        return asLayout(result);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        if (keptInput == null || keptInput != input || !Arrays.equals(buffersShape, input.shape())) {
            // DL4J runs a training forward pass on this input first; if it did not, run one now.
            activate(true, workspaceMgr);
        }
        INDArray result = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, rowsShape(input), 'c');
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            params = new DirectParams(paramTable, gradTable, buffers);
            params.beginBackward();
            INDArray g = kernel.backward(toRows(epsilon, "epsilon"), params);
            params.endBackward();
            result.assign(g.reshape(result.shape()));
        }
        Gradient grad = new DefaultGradient();
        for (String p : paramTable.keySet()) {
            grad.gradientForVariable().put(p, gradTable.get(p));
        }
        return new Pair<>(grad, asLayout(result));
    }

    private void prepare(long[] shape) {
        if (buffers == null) {
            buffers = new DirectBuffers(dataType);
        }
        if (params == null || !Arrays.equals(shape, buffersShape)) {
            buffers.forInput(shape);
            buffersShape = shape.clone();
            keptInput = null;
        }
        // DL4J may replace the parameter and gradient views (init, setParams, clone): look them up every pass
        params = new DirectParams(paramTable, gradTable, buffers);
    }

    /** {@code [N, T, D]} for a sequence input {@code [N, D, T]}; {@code [N, D]} as it is. */
    static long[] rowsShape(INDArray a) {
        return a.rank() == 3 ? new long[] {a.size(0), a.size(2), a.size(1)} : a.shape();
    }

    /**
     * The layer's output (or input gradient) {@code [N, T, D]} in token rows as DL4J's {@code [N, D, T]}: a permuted
     * view, so that the next direct layer reads its rows without a transpose ({@link #toRows}); other layers see an
     * ordinary array of that shape.
     */
    static INDArray asLayout(INDArray rows) {
        return rows.rank() == 3 ? rows.permute(0, 2, 1) : rows;
    }

    /** Whether {@code a [N, D, T]} is a permuted view of dense token rows {@code [N, T, D]} ({@link #asLayout}). */
    private static boolean isRowsLayout(INDArray a) {
        long[] st = a.stride();
        long d = a.size(1);
        long t = a.size(2);
        return a.offset() == 0 && a.data().length() == a.length() && st[0] == d * t && st[1] == 1 && st[2] == d;
    }

    private INDArray toRows(INDArray a, String name) {
        return toRows(a, buffers, name);
    }

    /**
     * {@code [N, D, T]} to rows {@code [N·T, D]}, {@code [N, D]} as it is, in a native array {@code name} of
     * {@code buffers} (of their data type).
     */
    static INDArray toRows(INDArray a, DirectBuffers buffers, String name) {
        DataType dataType = buffers.dataType();
        if (a.rank() == 3 && a.dataType() == dataType && isRowsLayout(a)) {
            INDArray rows = buffers.nd(name, a.size(0) * a.size(2), a.size(1));
            rows.assign(Nd4j.create(a.data(), rows.shape()));
            return rows;
        }
        INDArray src = a.dataType() == dataType && NativeRows.isDense(a)
                ? a
                : buffers.nd(name + ".dense", a.shape()).assign(a);
        if (a.rank() == 2) {
            return src == a ? buffers.nd(name, a.shape()).assign(a) : src;
        }
        int n = (int) a.size(0);
        int d = (int) a.size(1);
        int t = (int) a.size(2);
        INDArray rows = buffers.nd(name, (long) n * t, d);
        NativeRows.transposeBlocks(
                src,
                rows,
                n,
                d,
                t,
                buffers.host("transpose.in", (long) d * t),
                buffers.host("transpose.out", (long) d * t));
        return rows;
    }
}
