package org.dl4jpe.layers;

import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.samediff.LayerContext;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erfc;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link TiedFeedForward#mlp} on token rows, forward and backward: two matrix products, biases and dropout on ND4J,
 * the activation (with its derivative kept for the backward pass) in Java a row at a time ({@link NativeRows}). The
 * exact GELU is
 * {@link VectorMath#gelu} in float networks and ND4J's {@code erfc} (accurate to double rounding) in double ones; in
 * float networks where oneDNN is present ({@link OneDnn}), oneDNN's vectorized GELU forward and backward instead, on
 * the native arrays in place.
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
    private final OneDnn.Ops oneDnn = new OneDnn.Ops();

    // what the latest training forward pass kept
    private int rows;
    private INDArray xn;
    private INDArray an;
    private INDArray deriv;
    /** the pre-activation, kept instead of {@link #deriv} where oneDNN's GELU backward computes the derivative */
    private INDArray zKept;

    private INDArray actMask;
    private INDArray outMask;

    MlpKernel(
            String name,
            String prefix,
            Tie tie,
            MlpActivation activation,
            double dropout,
            long embedDim,
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
    public INDArray forward(INDArray x, int n, int t, double[] keyMask, boolean training, DirectParams p) {
        DirectBuffers buf = p.buffers();
        String k = training ? name + ".train." : name + ".infer.";
        int m = n * t;
        int r = hidden;
        INDArray zn = buf.gemmBias(oneDnn, x, p.nd(w), p.nd(b1), buf.nd(k + "z", m, r), false, true);
        INDArray an = buf.nd(k + "a", m, r);
        INDArray der = null;
        boolean onednn = activation == MlpActivation.GELU && !buf.exact() && oneDnn.gelu(zn, an);
        if (!onednn) {
            der = training ? buf.nd(k + "deriv", m, r) : null;
            activate(zn, an, der, buf);
        }
        INDArray am = null;
        if (training && dropout > 0) {
            am = LayerContext.dropoutMask(buf.dataType(), new long[] {m, r}, dropout);
            an.muli(am);
        }
        INDArray y = tie == Tie.TRANSPOSE
                ? buf.gemmBias(oneDnn, an, p.nd(w), p.nd(b2), buf.nd(k + "y", m, dim), false, false)
                : buf.gemmBias(oneDnn, an, p.nd(w2), p.nd(b2), buf.nd(k + "y", m, dim), false, true);
        INDArray om = null;
        if (training && dropout > 0) {
            om = LayerContext.dropoutMask(buf.dataType(), new long[] {m, dim}, dropout);
            y.muli(om);
        }
        if (training) {
            rows = m;
            xn = x;
            this.an = an;
            deriv = der;
            zKept = onednn ? zn : null;
            actMask = am;
            outMask = om;
        }
        return y;
    }

    /**
     * {@code a = act(z)} and, unless {@code der} is null, {@code der = act'(z)}, a row at a time in double
     * ({@link NativeRows}).
     */
    private void activate(INDArray zn, INDArray an, INDArray der, DirectBuffers buf) {
        int m = (int) zn.size(0);
        int r = hidden;
        INDArray phiN = null;
        if (activation == MlpActivation.GELU && buf.exact()) {
            // Φ(z) = erfc(−z/√2)/2 from ND4J, accurate to double rounding
            phiN = buf.nd(name + ".phi", m, r).assign(zn).muli(-SQRT_HALF);
            Nd4j.exec(new Erfc(phiN, phiN));
        }
        NativeRows zIn = new NativeRows(zn);
        NativeRows phiIn = phiN == null ? null : new NativeRows(phiN);
        NativeRows aOut = new NativeRows(an);
        NativeRows dOut = der == null ? null : new NativeRows(der);
        double[] z = buf.host(name + ".zRow", r);
        double[] a = buf.host(name + ".aRow", r);
        double[] dr = der == null ? null : buf.host(name + ".derivRow", r);
        double[] phi = phiN == null ? null : buf.host(name + ".phiRow", r);
        for (int i = 0; i < m; i++) {
            long off = (long) i * r;
            zIn.get(off, z, r);
            if (phi != null) {
                phiIn.get(off, phi, r);
            }
            activateRow(z, phi, a, dr);
            aOut.put(off, a, r);
            if (dr != null) {
                dOut.put(off, dr, r);
            }
        }
    }

    /** One row: {@code a = act(z)}, {@code der = act'(z)} unless null; {@code phi}: 2·Φ(z) for the exact GELU. */
    private void activateRow(double[] z, double[] phi, double[] a, double[] der) {
        int len = hidden;
        switch (activation) {
            case GELU -> {
                if (phi == null) {
                    VectorMath.gelu(z, len, a, der, scratch);
                    return;
                }
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
    public INDArray backward(INDArray dy, DirectParams p) {
        DirectBuffers buf = p.buffers();
        String k = name + ".grad.";
        int m = rows;
        int r = hidden;
        INDArray dyn =
                outMask == null ? dy : buf.nd(k + "dy", m, dim).assign(dy).muli(outMask);
        p.addGradient(b2, buf.columnSums(dyn, buf.nd(k + "db2", 1, dim)), false);
        INDArray dz;
        if (tie == Tie.TRANSPOSE) {
            // y = a·W: dW += aᵀ·dy, da = dy·Wᵀ
            p.addGradient(w, DirectBuffers.gemm(an, dyn, buf.nd(k + "dWout", r, dim), true, false), false);
            dz = DirectBuffers.gemm(dyn, p.nd(w), buf.nd(k + "dz", m, r), false, true);
        } else {
            // y = a·W2ᵀ: dW2 += dyᵀ·a, da = dy·W2
            p.addGradient(w2, DirectBuffers.gemm(dyn, an, buf.nd(k + "dW2", dim, r), true, false), false);
            dz = DirectBuffers.gemm(dyn, p.nd(w2), buf.nd(k + "dz", m, r), false, false);
        }
        if (actMask != null) {
            dz.muli(actMask);
        }
        if (zKept != null) {
            INDArray dzAct = buf.nd(k + "dzAct", m, r);
            if (!oneDnn.geluBackward(zKept, dz, dzAct)) {
                throw new IllegalStateException(name + ": oneDNN's GELU ran forward but not backward");
            }
            dz = dzAct;
        } else {
            dz.muli(deriv);
        }
        p.addGradient(b1, buf.columnSums(dz, buf.nd(k + "db1", 1, r)), false);
        // z = x·Wᵀ: dW += dzᵀ·x, dx = dz·W
        p.addGradient(w, DirectBuffers.gemm(dz, xn, buf.nd(k + "dWin", r, dim), true, false), false);
        return DirectBuffers.gemm(dz, p.nd(w), buf.nd(k + "dx", m, dim), false, false);
    }
}
