package org.dl4jpe.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link LayerNorm} on token rows: {@code y = (x − mean)/√(var + eps)·γ + β} per row, in one pass over the rows
 * forward and one backward, where {@code dx = σ⁻¹·(g − mean(g) − x̂·mean(g·x̂))}, {@code g = dy·γ},
 * {@code dγ = Σ dy·x̂}, {@code dβ = Σ dy}. Each row is worked on in double ({@link NativeRows}); a training pass
 * keeps {@code x̂} (in the network's data type) and {@code σ⁻¹}. Float networks where oneDNN is present ({@link
 * OneDnn}) use oneDNN's layer normalization forward and backward instead; a training pass then keeps a copy of
 * {@code x} and each row's mean and variance.
 */
final class LayerNormKernel implements DirectKernel {
    private final String name;
    private final String gamma;
    private final String beta;
    private final int dim;
    private final double eps;
    private INDArray xhat;
    private double[] rstd;
    private int rows;
    private final OneDnn.Ops oneDnn = new OneDnn.Ops();
    // what a training pass through oneDNN kept (null after a Java pass)
    private INDArray xKept;
    private INDArray meanKept;
    private INDArray varKept;

    /** @param name unique among the kernels of one layer (names its buffers); {@code prefix} names the parameters */
    LayerNormKernel(String name, String prefix, long dim, double eps) {
        this.name = name;
        this.gamma = ParamNames.prefixed(prefix, LayerNorm.GAMMA);
        this.beta = ParamNames.prefixed(prefix, LayerNorm.BETA);
        this.dim = Math.toIntExact(dim);
        this.eps = eps;
    }

    @Override
    public INDArray forward(INDArray x, int n, int t, double[] keyMask, boolean training, DirectParams p) {
        DirectBuffers buf = p.buffers();
        String k = name + (training ? ".train." : ".infer.");
        int m = n * t;
        int d = dim;
        if (training) {
            xKept = null;
        }
        if (!buf.exact() && OneDnn.available()) {
            INDArray yn = buf.nd(k + "y", m, d);
            INDArray src = training ? buf.nd(k + "x", m, d).assign(x) : x;
            INDArray mean = training ? buf.nd(k + "mean", m) : null;
            INDArray var = training ? buf.nd(k + "var", m) : null;
            INDArray gn = buf.nd(name + ".gamma", d).assign(p.nd(gamma).reshape(d));
            INDArray bn = buf.nd(name + ".beta", d).assign(p.nd(beta).reshape(d));
            if (oneDnn.layerNorm(src, gn, bn, yn, mean, var, m, d, eps)) {
                if (training) {
                    xKept = src;
                    meanKept = mean;
                    varKept = var;
                    rows = m;
                }
                return yn;
            }
        }
        double[] g = p.host(gamma);
        double[] b = p.host(beta);
        INDArray yn = buf.nd(k + "y", m, d);
        INDArray xhn = training ? buf.nd(k + "xhat", m, d) : null;
        double[] rs = training ? buf.host(k + "rstd", m) : null;
        NativeRows in = new NativeRows(x);
        NativeRows out = new NativeRows(yn);
        NativeRows xhOut = training ? new NativeRows(xhn) : null;
        double[] row = buf.host(name + ".row", d);
        double[] xh = buf.host(name + ".xhatRow", d);
        for (int r = 0; r < m; r++) {
            long off = (long) r * d;
            in.get(off, row, d);
            double mean = VectorMath.sum(row, d) / d;
            for (int c = 0; c < d; c++) {
                xh[c] = row[c] - mean;
            }
            double inv = 1.0 / Math.sqrt(VectorMath.dot(xh, xh, d) / d + eps);
            for (int c = 0; c < d; c++) {
                double v = xh[c] * inv;
                xh[c] = v;
                row[c] = v * g[c] + b[c];
            }
            out.put(off, row, d);
            if (training) {
                rs[r] = inv;
                xhOut.put(off, xh, d);
            }
        }
        if (training) {
            xhat = xhn;
            rstd = rs;
            rows = m;
        }
        return yn;
    }

    @Override
    public INDArray backward(INDArray dy, DirectParams p) {
        DirectBuffers buf = p.buffers();
        String k = name + ".grad.";
        int d = dim;
        if (xKept != null) {
            INDArray dxn = buf.nd(k + "dx", rows, d);
            INDArray dgn = buf.nd(k + "dgammaN", d);
            INDArray dbn = buf.nd(k + "dbetaN", d);
            INDArray gn = buf.nd(name + ".gamma", d).assign(p.nd(gamma).reshape(d));
            INDArray bn = buf.nd(name + ".beta", d).assign(p.nd(beta).reshape(d));
            INDArray dyn = OneDnn.accepts(dy) ? dy : buf.nd(k + "dy", rows, d).assign(dy);
            if (!oneDnn.layerNormBackward(xKept, meanKept, varKept, dyn, gn, bn, dxn, dgn, dbn, rows, d, eps)) {
                throw new IllegalStateException(name + ": oneDNN's layer normalization ran forward but not backward");
            }
            p.addGradient(gamma, dgn, false);
            p.addGradient(beta, dbn, false);
            return dxn;
        }
        double[] g = p.host(gamma);
        INDArray dxn = buf.nd(k + "dx", rows, d);
        double[] dg = buf.host(k + "dgamma", d);
        double[] db = buf.host(k + "dbeta", d);
        java.util.Arrays.fill(dg, 0.0);
        java.util.Arrays.fill(db, 0.0);
        NativeRows dyIn = new NativeRows(dy);
        NativeRows xhIn = new NativeRows(xhat);
        NativeRows dxOut = new NativeRows(dxn);
        double[] row = buf.host(name + ".row", d);
        double[] xh = buf.host(name + ".xhatRow", d);
        double[] gy = buf.host(name + ".gyRow", d);
        for (int r = 0; r < rows; r++) {
            long off = (long) r * d;
            dyIn.get(off, row, d);
            xhIn.get(off, xh, d);
            for (int c = 0; c < d; c++) {
                dg[c] += row[c] * xh[c];
                db[c] += row[c];
                gy[c] = row[c] * g[c];
            }
            double m1 = VectorMath.sum(gy, d) / d;
            double m2 = VectorMath.dot(gy, xh, d) / d;
            double inv = rstd[r];
            for (int c = 0; c < d; c++) {
                row[c] = inv * (gy[c] - m1 - xh[c] * m2);
            }
            dxOut.put(off, row, d);
        }
        p.addGradient(gamma, dg);
        p.addGradient(beta, db);
        return dxn;
    }
}
