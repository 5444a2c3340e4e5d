package org.dl4jpe.layers;

import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.samediff.LayerContext;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erfc;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link TiedFeedForward#mlp} on token rows, forward and backward: two matrix products on ND4J, the bias, the
 * activation (with its derivative kept for the backward pass) and dropout in Java loops. The exact GELU is
 * {@link VectorMath#gelu} in float networks and ND4J's {@code erfc} (accurate to double rounding) in double ones.
 */
final class MlpKernel implements DirectKernel {
    private static final double SQRT_HALF = Math.sqrt(0.5);
    private static final double TANH_K = Math.sqrt(2.0 / Math.PI);
    private static final double TANH_C = 0.044715;

    private final String name;
    private final String w;
    private final String w2;
    private final String b1;
    private final String b2;
    private final Tie tie;
    private final MlpActivation activation;
    private final int dim;
    private final int hidden;
    private final double dropout;
    private final VectorMath.Scratch scratch = new VectorMath.Scratch();

    // what the latest training forward pass kept
    private int rows;
    private INDArray xn;
    private INDArray an;
    private double[] deriv;
    private double[] actMask;
    private double[] outMask;

    MlpKernel(String name, String prefix, Tie tie, MlpActivation activation, double dropout, long embedDim,
              long hiddenDim) {
        this.name = name;
        this.w = ParamNames.prefixed(prefix, TiedFeedForward.W);
        this.w2 = ParamNames.prefixed(prefix, TiedFeedForward.W2);
        this.b1 = ParamNames.prefixed(prefix, TiedFeedForward.B1);
        this.b2 = ParamNames.prefixed(prefix, TiedFeedForward.B2);
        this.tie = tie;
        this.activation = activation;
        this.dim = Math.toIntExact(embedDim);
        this.hidden = Math.toIntExact(hiddenDim);
        this.dropout = dropout;
    }

    @Override
    public double[] forward(double[] x, int n, int t, double[] keyMask, boolean training, DirectParams p) {
        DirectBuffers buf = p.buffers();
        String k = training ? name + ".train." : name + ".infer.";
        int m = n * t;
        int r = hidden;
        INDArray xIn = buf.write(x, k + "x", m, dim);
        INDArray zn = DirectBuffers.gemm(xIn, p.nd(w), buf.nd(name + ".z", m, r), false, true);
        double[] z = buf.read(zn, name + ".zHost");
        double[] bias1 = p.host(b1);
        for (int i = 0; i < m; i++) {
            int off = i * r;
            for (int c = 0; c < r; c++) {
                z[off + c] += bias1[c];
            }
        }
        double[] a = buf.host(k + "a", (long) m * r);
        double[] der = training ? buf.host(k + "deriv", (long) m * r) : null;
        activate(z, a, der, buf);
        double[] am = null;
        if (training && dropout > 0) {
            am = buf.read(LayerContext.dropoutMask(buf.dataType(), new long[] {m, r}, dropout), k + "actMask");
            for (int i = 0; i < a.length; i++) {
                a[i] *= am[i];
            }
        }
        INDArray aNd = buf.write(a, k + "an", m, r);
        INDArray yn = tie == Tie.TRANSPOSE
                ? DirectBuffers.gemm(aNd, p.nd(w), buf.nd(name + ".yn", m, dim), false, false)
                : DirectBuffers.gemm(aNd, p.nd(w2), buf.nd(name + ".yn", m, dim), false, true);
        double[] y = buf.read(yn, name + ".y");
        double[] bias2 = p.host(b2);
        for (int i = 0; i < m; i++) {
            int off = i * dim;
            for (int c = 0; c < dim; c++) {
                y[off + c] += bias2[c];
            }
        }
        double[] om = null;
        if (training && dropout > 0) {
            om = buf.read(LayerContext.dropoutMask(buf.dataType(), new long[] {m, dim}, dropout), k + "outMask");
            for (int i = 0; i < y.length; i++) {
                y[i] *= om[i];
            }
        }
        if (training) {
            rows = m;
            xn = xIn;
            an = aNd;
            deriv = der;
            actMask = am;
            outMask = om;
        }
        return y;
    }

    /** {@code a = act(z)} and, unless {@code der} is null, {@code der = act'(z)}. */
    private void activate(double[] z, double[] a, double[] der, DirectBuffers buf) {
        int len = z.length;
        switch (activation) {
            case GELU -> {
                if (!buf.exact()) {
                    VectorMath.gelu(z, len, a, der, scratch);
                    return;
                }
                // Φ(z) = erfc(−z/√2)/2 from ND4J, accurate to double rounding
                INDArray arg = buf.write(z, name + ".erfcArg", len);
                arg.muli(-SQRT_HALF);
                Nd4j.exec(new Erfc(arg, arg));
                double[] phi = buf.read(arg, name + ".phi");
                for (int i = 0; i < len; i++) {
                    double x = z[i];
                    double cdf = 0.5 * phi[i];
                    a[i] = x * cdf;
                    if (der != null) {
                        der[i] = cdf + x * Math.exp(-0.5 * x * x) * VectorMath.INV_SQRT_2PI;
                    }
                }
            }
            case GELU_TANH -> {
                for (int i = 0; i < len; i++) {
                    double x = z[i];
                    double th = Math.tanh(TANH_K * (x + TANH_C * x * x * x));
                    a[i] = 0.5 * x * (1.0 + th);
                    if (der != null) {
                        der[i] = 0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * TANH_K * (1.0 + 3.0 * TANH_C * x * x);
                    }
                }
            }
            case RELU -> {
                for (int i = 0; i < len; i++) {
                    double x = z[i];
                    a[i] = Math.max(x, 0.0);
                    if (der != null) {
                        der[i] = x > 0 ? 1.0 : 0.0;
                    }
                }
            }
            default -> throw new AssertionError(activation);
        }
    }

    @Override
    public double[] backward(double[] dy, DirectParams p) {
        DirectBuffers buf = p.buffers();
        String k = name + ".grad.";
        int m = rows;
        int r = hidden;
        double[] g = buf.host(k + "dy", (long) m * dim);
        double[] db2 = buf.host(k + "db2", dim);
        java.util.Arrays.fill(db2, 0.0);
        for (int i = 0; i < m; i++) {
            int off = i * dim;
            for (int c = 0; c < dim; c++) {
                double v = outMask == null ? dy[off + c] : dy[off + c] * outMask[off + c];
                g[off + c] = v;
                db2[c] += v;
            }
        }
        p.addGradient(b2, db2);
        INDArray dyn = buf.write(g, k + "dyn", m, dim);
        INDArray da;
        if (tie == Tie.TRANSPOSE) {
            // y = a·W: dW += aᵀ·dy, da = dy·Wᵀ
            p.addGradient(w, DirectBuffers.gemm(an, dyn, buf.nd(k + "dWout", r, dim), true, false), false);
            da = DirectBuffers.gemm(dyn, p.nd(w), buf.nd(k + "da", m, r), false, true);
        } else {
            // y = a·W2ᵀ: dW2 += dyᵀ·a, da = dy·W2
            p.addGradient(w2, DirectBuffers.gemm(dyn, an, buf.nd(k + "dW2", dim, r), true, false), false);
            da = DirectBuffers.gemm(dyn, p.nd(w2), buf.nd(k + "da", m, r), false, false);
        }
        double[] dz = buf.read(da, k + "dz");
        double[] db1 = buf.host(k + "db1", r);
        java.util.Arrays.fill(db1, 0.0);
        for (int i = 0; i < m; i++) {
            int off = i * r;
            for (int c = 0; c < r; c++) {
                double v = actMask == null ? dz[off + c] : dz[off + c] * actMask[off + c];
                v *= deriv[off + c];
                dz[off + c] = v;
                db1[c] += v;
            }
        }
        p.addGradient(b1, db1);
        INDArray dzn = buf.write(dz, k + "dzn", m, r);
        // z = x·Wᵀ: dW += dzᵀ·x, dx = dz·W
        p.addGradient(w, DirectBuffers.gemm(dzn, xn, buf.nd(k + "dWin", r, dim), true, false), false);
        INDArray dx = DirectBuffers.gemm(dzn, p.nd(w), buf.nd(k + "dx", m, dim), false, false);
        return buf.read(dx, k + "dxHost");
    }
}
