package org.dl4jpe.layers;

import org.dl4jpe.layers.TiedSelfAttention.Scheme;
import org.dl4jpe.layers.samediff.LayerContext;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link TiedSelfAttention#attention} on token rows, forward and backward. The query, key and value projections
 * are one matrix product with the three (scheme-dependent, possibly transposed) matrices side by side,
 * {@code [M, D]·[D, 3D]}, the query's {@code 1/√d} folded into its columns; the per-head products read each head's
 * query, key and value straight out of those token rows and write its context straight into the rows {@code [M, D]}
 * ({@link HeadGemm}: no head layout, no permutes; one oneDNN batched matmul each in float networks); the softmax
 * (with the key mask's penalty, as {@code define} adds it) and its backward {@code dS = P·(dP − Σ P·dP)} are Java
 * loops a row at a time ({@link NativeRows}), or, in float networks without a key mask where oneDNN is present,
 * oneDNN's softmax ({@link OneDnn}); biases and dropout masks are ND4J ops. Activations stay in native arrays of the network's data type.
 */
final class AttentionKernel implements DirectKernel {
    /** Which parameter serves a projection, and whether it is used transposed. */
    private record Role(String param, boolean transposed) {}

    private final String name;
    private final Role[] qkv;
    private final Role out;
    private final String[] bias;
    private final int dim;
    private final int heads;
    private final int headDim;
    private final double scale;
    private final double attnDropout;
    private final double projDropout;

    // what the latest training forward pass kept
    private int n;
    private int t;
    private INDArray xn;
    private INDArray w3;
    private INDArray qkvRows;
    private INDArray probs;
    private INDArray attnMask;
    private INDArray pdn;
    private INDArray ctxRows;
    private INDArray projMask;

    AttentionKernel(
            String name,
            String prefix,
            Scheme scheme,
            long embedDim,
            int numHeads,
            double attnDropout,
            double projDropout) {
        this.name = name;
        String wq = ParamNames.prefixed(prefix, TiedSelfAttention.WQ);
        String wkv = ParamNames.prefixed(prefix, TiedSelfAttention.WKV);
        switch (scheme) {
            case QO_KV -> {
                qkv = new Role[] {new Role(wq, false), new Role(wkv, false), new Role(wkv, true)};
                out = new Role(wq, true);
            }
            case QK_VO -> {
                qkv = new Role[] {new Role(wq, false), new Role(wq, true), new Role(wkv, false)};
                out = new Role(wkv, true);
            }
            case NONE -> {
                qkv = new Role[] {
                    new Role(wq, false),
                    new Role(ParamNames.prefixed(prefix, TiedSelfAttention.WK), false),
                    new Role(ParamNames.prefixed(prefix, TiedSelfAttention.WV), false)
                };
                out = new Role(ParamNames.prefixed(prefix, TiedSelfAttention.WO), false);
            }
            default -> throw new AssertionError(scheme);
        }
        bias = new String[] {
            ParamNames.prefixed(prefix, TiedSelfAttention.BQ),
            ParamNames.prefixed(prefix, TiedSelfAttention.BK),
            ParamNames.prefixed(prefix, TiedSelfAttention.BV),
            ParamNames.prefixed(prefix, TiedSelfAttention.BO)
        };
        this.dim = Math.toIntExact(embedDim);
        this.heads = numHeads;
        this.headDim = dim / numHeads;
        this.scale = 1.0 / Math.sqrt(headDim);
        this.attnDropout = attnDropout;
        this.projDropout = projDropout;
    }

    /**
     * How the bias of projection {@code j} (0 query, 1 key, 2 value) enters: the query's scaled by {@code 1/√d}; the
     * key's not at all: it adds {@code q·bk} to every score of a query alike, which the softmax ignores, so the
     * output does not depend on it (its gradient is exactly 0; {@code define} adds it and gets 0 up to round-off).
     */
    private double biasFactor(int j) {
        return j == 0 ? scale : j == 1 ? 0.0 : 1.0;
    }

    private static INDArray matrix(DirectParams p, Role r) {
        INDArray w = p.nd(r.param);
        return r.transposed ? w.transpose() : w;
    }

    /**
     * oneDNN's projections, per-head products and softmax, forward and backward, in float networks where it is
     * present (else BLAS and the Java loops).
     */
    private final OneDnn.Ops oneDnn = new OneDnn.Ops();

    @Override
    public INDArray forward(INDArray x, int n, int t, double[] keyMask, boolean training, DirectParams p) {
        DirectBuffers buf = p.buffers();
        String k = training ? name + ".train." : name + ".infer.";
        int d = dim;
        int m = n * t;
        int nh = n * heads;

        // [Eq·s | Ek | Ev] and [bq·s, bk, bv]
        INDArray w = buf.nd(k + "w3", d, 3L * d);
        double[] b3 = buf.host(k + "b3", 3L * d);
        for (int j = 0; j < 3; j++) {
            INDArray part = w.get(NDArrayIndex.all(), NDArrayIndex.interval((long) j * d, (long) (j + 1) * d));
            part.assign(matrix(p, qkv[j]));
            double[] b = p.host(bias[j]);
            double f = biasFactor(j);
            if (j == 0) {
                part.muli(scale);
            }
            for (int c = 0; c < d; c++) {
                b3[j * d + c] = b[c] * f;
            }
        }
        INDArray proj = buf.gemmBias(
                oneDnn, x, w, buf.write(b3, k + "b3n", 3L * d), buf.nd(k + "qkv", m, 3L * d), false, false);

        // per head: scores = q·kᵀ, read out of the rows [N, T, 3, H, d]; softmax in place
        int hd = headDim;
        long rowSeq = (long) t * 3 * d;
        HeadGemm.Blocks qb = new HeadGemm.Blocks(proj, 0, rowSeq, hd, 3 * d);
        HeadGemm.Blocks kb = new HeadGemm.Blocks(proj, d, rowSeq, hd, 3 * d);
        HeadGemm.Blocks vb = new HeadGemm.Blocks(proj, 2L * d, rowSeq, hd, 3 * d);
        INDArray pr = buf.nd(k + "probs", nh, t, t);
        HeadGemm.run(oneDnn, n, heads, t, t, hd, qb, false, kb, true, squares(pr, t));
        if (buf.exact() || keyMask != null || !oneDnn.softmax(pr, pr, (long) nh * t, t)) {
            softmax(pr, n, t, keyMask, buf);
        }

        INDArray pd = pr;
        INDArray am = null;
        if (training && attnDropout > 0) {
            am = LayerContext.dropoutMask(buf.dataType(), new long[] {n, heads, t, t}, attnDropout);
            pd = buf.nd(k + "probsDropped", nh, t, t).assign(pr).muli(am.reshape(nh, t, t));
        }
        // per head: context = p·v, written into the rows [N, T, H, d]
        INDArray cr = buf.nd(k + "ctxRows", m, d);
        HeadGemm.run(oneDnn, n, heads, t, hd, t, squares(pd, t), false, vb, false, rowBlocks(cr, t));

        INDArray y =
                buf.gemmBias(oneDnn, cr, p.nd(out.param), p.nd(bias[3]), buf.nd(k + "y", m, d), false, out.transposed);
        INDArray pm = null;
        if (training && projDropout > 0) {
            pm = LayerContext.dropoutMask(buf.dataType(), new long[] {m, d}, projDropout);
            y.muli(pm);
        }
        if (training) {
            this.n = n;
            this.t = t;
            xn = x;
            w3 = w;
            qkvRows = proj;
            probs = pr;
            attnMask = am;
            pdn = pd;
            ctxRows = cr;
            projMask = pm;
        }
        return y;
    }

    /**
     * Row-wise softmax of the scores {@code [N·H·T, T]} in place, after adding the key mask's penalty
     * {@code (mask − 1)·penalty} as {@code define} does. Double networks use {@link Math#exp}, float networks
     * {@link VectorMath#expInPlace}.
     */
    private void softmax(INDArray scores, int n, int t, double[] keyMask, DirectBuffers buf) {
        double penalty = TiedSelfAttention.maskPenalty(buf.dataType());
        boolean exact = buf.exact();
        NativeRows io = new NativeRows(scores);
        double[] s = buf.host(name + ".softmaxRow", t);
        int rowsPerSeq = heads * t;
        for (int seq = 0; seq < n; seq++) {
            for (int r = 0; r < rowsPerSeq; r++) {
                long off = (long) (seq * rowsPerSeq + r) * t;
                io.get(off, s, t);
                if (keyMask != null) {
                    int mo = seq * t;
                    for (int j = 0; j < t; j++) {
                        s[j] += (keyMask[mo + j] - 1.0) * penalty;
                    }
                }
                double max = VectorMath.max(s, t);
                for (int j = 0; j < t; j++) {
                    s[j] -= max;
                }
                if (exact) {
                    for (int j = 0; j < t; j++) {
                        s[j] = Math.exp(s[j]);
                    }
                } else {
                    VectorMath.expInPlace(s, 0, t);
                }
                double inv = 1.0 / VectorMath.sum(s, t);
                for (int j = 0; j < t; j++) {
                    s[j] *= inv;
                }
                io.put(off, s, t);
            }
        }
    }

    /** The per-head {@code [T, T]} blocks of a dense {@code [N·H, T, T]} array. */
    private HeadGemm.Blocks squares(INDArray a, int t) {
        return new HeadGemm.Blocks(a, 0, (long) heads * t * t, (long) t * t, t);
    }

    /** The per-head {@code [T, d]} blocks of dense token rows {@code [N·T, H·d]}. */
    private HeadGemm.Blocks rowBlocks(INDArray a, int t) {
        return new HeadGemm.Blocks(a, 0, (long) t * dim, headDim, dim);
    }

    @Override
    public INDArray backward(INDArray dy, DirectParams p) {
        DirectBuffers buf = p.buffers();
        String k = name + ".grad.";
        int d = dim;
        int m = n * t;
        int nh = n * heads;
        int hd = headDim;

        INDArray dyn = projMask == null ? dy : buf.nd(k + "dy", m, d).assign(dy).muli(projMask);
        p.addGradient(bias[3], buf.columnSums(dyn, buf.nd(k + "dbo", 1, d)), false);
        p.addGradient(
                out.param, DirectBuffers.gemm(ctxRows, dyn, buf.nd(k + "dEo", d, d), true, false), out.transposed);
        INDArray dcr = DirectBuffers.gemm(dyn, p.nd(out.param), buf.nd(k + "dctxRows", m, d), false, !out.transposed);
        long rowSeq = (long) t * 3 * d;
        HeadGemm.Blocks qb = new HeadGemm.Blocks(qkvRows, 0, rowSeq, hd, 3 * d);
        HeadGemm.Blocks kb = new HeadGemm.Blocks(qkvRows, d, rowSeq, hd, 3 * d);
        HeadGemm.Blocks vb = new HeadGemm.Blocks(qkvRows, 2L * d, rowSeq, hd, 3 * d);
        HeadGemm.Blocks dctx = rowBlocks(dcr, t);
        INDArray dqkvn = buf.nd(k + "dqkv", m, 3L * d);
        HeadGemm.Blocks dqb = new HeadGemm.Blocks(dqkvn, 0, rowSeq, hd, 3 * d);
        HeadGemm.Blocks dkb = new HeadGemm.Blocks(dqkvn, d, rowSeq, hd, 3 * d);
        HeadGemm.Blocks dvb = new HeadGemm.Blocks(dqkvn, 2L * d, rowSeq, hd, 3 * d);

        INDArray dpd = buf.nd(k + "dpd", nh, t, t);
        HeadGemm.run(oneDnn, n, heads, t, t, hd, dctx, false, vb, true, squares(dpd, t));
        HeadGemm.run(oneDnn, n, heads, t, hd, t, squares(pdn, t), true, dctx, false, dvb);
        INDArray dsn = softmaxBackward(dpd, buf.nd(k + "ds", nh, t, t), buf);
        HeadGemm.run(oneDnn, n, heads, t, hd, t, squares(dsn, t), false, kb, false, dqb);
        HeadGemm.run(oneDnn, n, heads, t, hd, t, squares(dsn, t), true, qb, false, dkb);

        // bias gradients: the column sums of [dq | dk | dv]
        double[] db3 = buf.read(buf.columnSums(dqkvn, buf.nd(k + "db3n", 1, 3L * d)), k + "db3");
        for (int j = 0; j < 3; j++) {
            double[] b = buf.host(k + "db" + j, d);
            double f = biasFactor(j);
            for (int c = 0; c < d; c++) {
                b[c] = db3[j * d + c] * f;
            }
            p.addGradient(bias[j], b);
        }
        INDArray dw3 = DirectBuffers.gemm(xn, dqkvn, buf.nd(k + "dw3", d, 3L * d), true, false);
        for (int j = 0; j < 3; j++) {
            INDArray part = dw3.get(NDArrayIndex.all(), NDArrayIndex.interval((long) j * d, (long) (j + 1) * d));
            p.addGradient(qkv[j].param, j == 0 ? part.muli(scale) : part, qkv[j].transposed);
        }
        return DirectBuffers.gemm(dqkvn, w3, buf.nd(k + "dx", m, d), false, true);
    }

    /**
     * The softmax's backward pass row by row: {@code dS = P·(dP' − Σ P·dP')}, {@code dP'} the gradient at the
     * probabilities times the attention dropout mask; into {@code ds}.
     */
    private INDArray softmaxBackward(INDArray dpd, INDArray ds, DirectBuffers buf) {
        int t = this.t;
        if (!buf.exact() && OneDnn.available()) {
            INDArray g = attnMask == null
                    ? dpd
                    : buf.nd(name + ".grad.dpMasked", dpd.shape()).assign(dpd).muli(attnMask.reshape(dpd.shape()));
            if (oneDnn.softmaxBackward(probs, g, ds, (long) n * heads * t, t)) {
                return ds;
            }
        }
        NativeRows dpIn = new NativeRows(dpd);
        NativeRows pIn = new NativeRows(probs);
        NativeRows mIn = attnMask == null ? null : new NativeRows(attnMask);
        NativeRows out = new NativeRows(ds);
        double[] g = buf.host(name + ".softmaxRow", t);
        double[] pr = buf.host(name + ".probsRow", t);
        double[] mk = buf.host(name + ".maskRow", t);
        long rowsTotal = (long) n * heads * t;
        for (long r = 0; r < rowsTotal; r++) {
            long off = r * t;
            dpIn.get(off, g, t);
            pIn.get(off, pr, t);
            if (mIn != null) {
                mIn.get(off, mk, t);
                for (int j = 0; j < t; j++) {
                    g[j] *= mk[j];
                }
            }
            double dot = VectorMath.dot(pr, g, t);
            for (int j = 0; j < t; j++) {
                g[j] = pr[j] * (g[j] - dot);
            }
            out.put(off, g, t);
        }
        return ds;
    }
}
