package org.dl4jpe.layers;

import org.dl4jpe.layers.samediff.LayerContext;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link TransformerBlock#define} on token rows, composed of the kernels of the standalone layers:
 * {@code x₁ = x + dropPath(Attn(LN1(x)))}, {@code y = x₁ + dropPath(MLP(LN2(x₁)))}. The drop-path masks are drawn
 * where {@code define} declares them (after the attention's dropout masks, after the MLP's), so that a seed gives
 * both engines the same masks.
 */
final class TransformerBlockKernel implements DirectKernel {
    private final LayerNormKernel norm1;
    private final AttentionKernel attn;
    private final LayerNormKernel norm2;
    private final MlpKernel mlp;
    private final double dropPath;
    private int n;
    private INDArray path1;
    private INDArray path2;

    TransformerBlockKernel(TransformerBlock b) {
        norm1 = new LayerNormKernel("norm1", TransformerBlock.NORM1, b.getEmbedDim(), b.getEps());
        attn = new AttentionKernel(
                "attn",
                TransformerBlock.ATTN,
                b.getScheme(),
                b.getEmbedDim(),
                b.getNumHeads(),
                b.getAttnDropout(),
                b.getProjDropout());
        norm2 = new LayerNormKernel("norm2", TransformerBlock.NORM2, b.getEmbedDim(), b.getEps());
        mlp = new MlpKernel(
                "mlp",
                TransformerBlock.MLP,
                b.getTie(),
                b.getActivation(),
                b.getMlpDropout(),
                b.getEmbedDim(),
                b.getHiddenDim());
        dropPath = b.getDropPath();
    }

    @Override
    public INDArray forward(INDArray x, int n, int t, double[] keyMask, boolean training, DirectParams p) {
        DirectBuffers buf = p.buffers();
        String k = training ? "block.train." : "block.infer.";
        INDArray branch = attn.forward(norm1.forward(x, n, t, keyMask, training, p), n, t, keyMask, training, p);
        INDArray m1 = training ? pathMask(n, buf) : null;
        INDArray x1 = residual(x, branch, m1, buf.nd(k + "x1", x.shape()), n);
        branch = mlp.forward(norm2.forward(x1, n, t, keyMask, training, p), n, t, keyMask, training, p);
        INDArray m2 = training ? pathMask(n, buf) : null;
        INDArray y = residual(x1, branch, m2, buf.nd(k + "y", x.shape()), n);
        if (training) {
            this.n = n;
            path1 = m1;
            path2 = m2;
        }
        return y;
    }

    /** The drop-path mask {@code [N, 1]} ({@code define}'s {@code [N, 1, 1]}), or null without drop path. */
    private INDArray pathMask(int n, DirectBuffers buf) {
        if (dropPath == 0.0) {
            return null;
        }
        return LayerContext.dropoutMask(buf.dataType(), new long[] {n, 1, 1}, dropPath)
                .reshape(n, 1);
    }

    /** {@code out = x + m[s]·branch} for the rows of each sequence s ({@code m} null: 1). */
    private static INDArray residual(INDArray x, INDArray branch, INDArray m, INDArray out, int n) {
        out.assign(branch);
        if (m != null) {
            out.reshape(n, out.length() / n).muliColumnVector(m);
        }
        return out.addi(x);
    }

    /** {@code out = m[s]·g} per sequence ({@code g} itself when {@code m} is null). */
    private static INDArray scaled(INDArray g, INDArray m, INDArray out, int n) {
        if (m == null) {
            return g;
        }
        out.assign(g).reshape(n, out.length() / n).muliColumnVector(m);
        return out;
    }

    @Override
    public INDArray backward(INDArray dy, DirectParams p) {
        DirectBuffers buf = p.buffers();
        INDArray g = buf.nd("block.grad.branch", dy.shape());
        INDArray dh2 = mlp.backward(scaled(dy, path2, g, n), p);
        INDArray dx1 = buf.nd("block.grad.x1", dy.shape()).assign(dy).addi(norm2.backward(dh2, p));
        INDArray dh1 = attn.backward(scaled(dx1, path1, g, n), p);
        return buf.nd("block.grad.x", dy.shape()).assign(dx1).addi(norm1.backward(dh1, p));
    }
}
