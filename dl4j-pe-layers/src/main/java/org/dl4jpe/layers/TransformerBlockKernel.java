package org.dl4jpe.layers;

import org.dl4jpe.layers.samediff.LayerContext;

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
    private final int dim;
    private final double dropPath;
    private int n;
    private int t;
    private double[] path1;
    private double[] path2;

    TransformerBlockKernel(TransformerBlock b) {
        norm1 = new LayerNormKernel("norm1", TransformerBlock.NORM1, b.getEmbedDim(), b.getEps());
        attn = new AttentionKernel("attn", TransformerBlock.ATTN, b.getScheme(), b.getEmbedDim(), b.getNumHeads(),
                b.getAttnDropout(), b.getProjDropout());
        norm2 = new LayerNormKernel("norm2", TransformerBlock.NORM2, b.getEmbedDim(), b.getEps());
        mlp = new MlpKernel("mlp", TransformerBlock.MLP, b.getTie(), b.getActivation(), b.getMlpDropout(),
                b.getEmbedDim(), b.getHiddenDim());
        dim = Math.toIntExact(b.getEmbedDim());
        dropPath = b.getDropPath();
    }

    @Override
    public double[] forward(double[] x, int n, int t, double[] keyMask, boolean training, DirectParams p) {
        DirectBuffers buf = p.buffers();
        double[] branch = attn.forward(norm1.forward(x, n, t, keyMask, training, p), n, t, keyMask, training, p);
        double[] m1 = training ? pathMask(n, buf, "block.path1") : null;
        double[] x1 = buf.host("block.x1", x.length);
        residual(x, branch, m1, x1, n, t);
        branch = mlp.forward(norm2.forward(x1, n, t, keyMask, training, p), n, t, keyMask, training, p);
        double[] m2 = training ? pathMask(n, buf, "block.path2") : null;
        double[] y = buf.host("block.y", x.length);
        residual(x1, branch, m2, y, n, t);
        if (training) {
            this.n = n;
            this.t = t;
            path1 = m1;
            path2 = m2;
        }
        return y;
    }

    /** The drop-path mask {@code [N]} ({@code define}'s {@code [N, 1, 1]}), or null without drop path. */
    private double[] pathMask(int n, DirectBuffers buf, String name) {
        if (dropPath == 0.0) {
            return null;
        }
        return buf.read(LayerContext.dropoutMask(buf.dataType(), new long[] {n, 1, 1}, dropPath), name);
    }

    /** {@code out = x + m[s]·branch} for the rows of each sequence s ({@code m} null: 1). */
    private void residual(double[] x, double[] branch, double[] m, double[] out, int n, int t) {
        int perSeq = t * dim;
        for (int s = 0; s < n; s++) {
            double f = m == null ? 1.0 : m[s];
            int off = s * perSeq;
            for (int i = off; i < off + perSeq; i++) {
                out[i] = x[i] + f * branch[i];
            }
        }
    }

    /** {@code out = m[s]·g} per sequence (a copy when {@code m} is null). */
    private static double[] scaled(double[] g, double[] m, double[] out, int n, int perSeq) {
        for (int s = 0; s < n; s++) {
            double f = m == null ? 1.0 : m[s];
            int off = s * perSeq;
            for (int i = off; i < off + perSeq; i++) {
                out[i] = f * g[i];
            }
        }
        return out;
    }

    @Override
    public double[] backward(double[] dy, DirectParams p) {
        DirectBuffers buf = p.buffers();
        int perSeq = t * dim;
        double[] g = buf.host("block.grad.branch", dy.length);
        double[] dh2 = mlp.backward(scaled(dy, path2, g, n, perSeq), p);
        double[] dnorm2 = norm2.backward(dh2, p);
        double[] dx1 = buf.host("block.grad.x1", dy.length);
        for (int i = 0; i < dx1.length; i++) {
            dx1[i] = dy[i] + dnorm2[i];
        }
        double[] dh1 = attn.backward(scaled(dx1, path1, g, n, perSeq), p);
        double[] dnorm1 = norm1.backward(dh1, p);
        double[] dx = buf.host("block.grad.x", dy.length);
        for (int i = 0; i < dx.length; i++) {
            dx[i] = dx1[i] + dnorm1[i];
        }
        return dx;
    }
}
