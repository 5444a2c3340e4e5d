package org.dl4jpe.layers;

/**
 * {@link LayerNorm} on token rows: {@code y = (x − mean)/√(var + eps)·γ + β} per row, in one pass over the rows
 * forward and one backward, where {@code dx = σ⁻¹·(g − mean(g) − x̂·mean(g·x̂))}, {@code g = dy·γ},
 * {@code dγ = Σ dy·x̂}, {@code dβ = Σ dy}.
 */
final class LayerNormKernel implements DirectKernel {
    private final String name;
    private final String gamma;
    private final String beta;
    private final int dim;
    private final double eps;
    private double[] xhat;
    private double[] rstd;
    private int rows;

    /** @param name unique among the kernels of one layer (names its buffers); {@code prefix} names the parameters */
    LayerNormKernel(String name, String prefix, long dim, double eps) {
        this.name = name;
        this.gamma = ParamNames.prefixed(prefix, LayerNorm.GAMMA);
        this.beta = ParamNames.prefixed(prefix, LayerNorm.BETA);
        this.dim = Math.toIntExact(dim);
        this.eps = eps;
    }

    @Override
    public double[] forward(double[] x, int n, int t, double[] keyMask, boolean training, DirectParams p) {
        DirectBuffers buf = p.buffers();
        int m = n * t;
        int d = dim;
        double[] g = p.host(gamma);
        double[] b = p.host(beta);
        double[] y = buf.host(name + ".y", (long) m * d);
        double[] xh = buf.host(name + (training ? ".xhat" : ".xhatInfer"), (long) m * d);
        double[] rs = buf.host(name + (training ? ".rstd" : ".rstdInfer"), m);
        for (int r = 0; r < m; r++) {
            int off = r * d;
            double sum = 0;
            for (int c = 0; c < d; c++) {
                sum += x[off + c];
            }
            double mean = sum / d;
            double ss = 0;
            for (int c = 0; c < d; c++) {
                double v = x[off + c] - mean;
                xh[off + c] = v;
                ss += v * v;
            }
            double inv = 1.0 / Math.sqrt(ss / d + eps);
            rs[r] = inv;
            for (int c = 0; c < d; c++) {
                double v = xh[off + c] * inv;
                xh[off + c] = v;
                y[off + c] = v * g[c] + b[c];
            }
        }
        if (training) {
            xhat = xh;
            rstd = rs;
            rows = m;
        }
        return y;
    }

    @Override
    public double[] backward(double[] dy, DirectParams p) {
        DirectBuffers buf = p.buffers();
        int d = dim;
        double[] g = p.host(gamma);
        double[] dx = buf.host(name + ".dx", (long) rows * d);
        double[] dg = buf.host(name + ".dgamma", d);
        double[] db = buf.host(name + ".dbeta", d);
        java.util.Arrays.fill(dg, 0.0);
        java.util.Arrays.fill(db, 0.0);
        for (int r = 0; r < rows; r++) {
            int off = r * d;
            double s1 = 0;
            double s2 = 0;
            for (int c = 0; c < d; c++) {
                double gy = dy[off + c] * g[c];
                s1 += gy;
                s2 += gy * xhat[off + c];
                dg[c] += dy[off + c] * xhat[off + c];
                db[c] += dy[off + c];
            }
            double m1 = s1 / d;
            double m2 = s2 / d;
            double inv = rstd[r];
            for (int c = 0; c < d; c++) {
                dx[off + c] = inv * (dy[off + c] * g[c] - m1 - xhat[off + c] * m2);
            }
        }
        p.addGradient(gamma, dg);
        p.addGradient(beta, db);
        return dx;
    }
}
