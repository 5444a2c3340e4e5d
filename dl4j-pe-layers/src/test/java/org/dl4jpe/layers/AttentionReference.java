package org.dl4jpe.layers;

import org.dl4jpe.layers.TiedSelfAttention.Scheme;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Multi-head self-attention written out with plain ND4J matrix products and a softmax in Java loops, no SameDiff:
 * the independent reference the layers are compared with. Masked keys are left out of each softmax entirely.
 */
final class AttentionReference {
    private AttentionReference() {}

    /** Standard attention with four matrices. {@code x [N, D, T]}, {@code mask [N, T]} or null; returns [N, D, T]. */
    static INDArray untied(
            INDArray x,
            INDArray mask,
            int numHeads,
            INDArray wq,
            INDArray wk,
            INDArray wv,
            INDArray wo,
            INDArray bq,
            INDArray bk,
            INDArray bv,
            INDArray bo) {
        long n = x.size(0);
        long dim = x.size(1);
        long t = x.size(2);
        long d = dim / numHeads;
        INDArray out = Nd4j.create(DataType.DOUBLE, n, dim, t);
        for (int i = 0; i < n; i++) {
            INDArray tokens = x.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all())
                    .transpose()
                    .dup();
            INDArray q = tokens.mmul(wq).addiRowVector(bq);
            INDArray k = tokens.mmul(wk).addiRowVector(bk);
            INDArray v = tokens.mmul(wv).addiRowVector(bv);
            INDArray heads = Nd4j.create(DataType.DOUBLE, t, dim);
            for (int h = 0; h < numHeads; h++) {
                INDArray qh = q.get(NDArrayIndex.all(), NDArrayIndex.interval(h * d, (h + 1) * d));
                INDArray kh = k.get(NDArrayIndex.all(), NDArrayIndex.interval(h * d, (h + 1) * d));
                INDArray vh = v.get(NDArrayIndex.all(), NDArrayIndex.interval(h * d, (h + 1) * d));
                INDArray scores = qh.mmul(kh.transpose()).divi(Math.sqrt(d));
                INDArray probs = Nd4j.zeros(DataType.DOUBLE, t, t);
                for (int a = 0; a < t; a++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int b = 0; b < t; b++) {
                        if (valid(mask, i, b)) {
                            max = Math.max(max, scores.getDouble(a, b));
                        }
                    }
                    double sum = 0;
                    for (int b = 0; b < t; b++) {
                        if (valid(mask, i, b)) {
                            sum += Math.exp(scores.getDouble(a, b) - max);
                        }
                    }
                    for (int b = 0; b < t; b++) {
                        if (valid(mask, i, b)) {
                            probs.putScalar(a, b, Math.exp(scores.getDouble(a, b) - max) / sum);
                        }
                    }
                }
                heads.get(NDArrayIndex.all(), NDArrayIndex.interval(h * d, (h + 1) * d))
                        .assign(probs.mmul(vh));
            }
            INDArray y = heads.mmul(wo).addiRowVector(bo);
            out.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all())
                    .assign(y.transpose());
        }
        return out;
    }

    /** The scheme's four matrices from its two parameters (docs/what-it-computes.md), then {@link #untied}. */
    static INDArray tied(
            Scheme scheme,
            INDArray x,
            INDArray mask,
            int numHeads,
            INDArray wq,
            INDArray wkv,
            INDArray bq,
            INDArray bk,
            INDArray bv,
            INDArray bo) {
        switch (scheme) {
            case QO_KV:
                return untied(x, mask, numHeads, wq, wkv, wkv.transpose(), wq.transpose(), bq, bk, bv, bo);
            case QK_VO:
                return untied(x, mask, numHeads, wq, wq.transpose(), wkv, wkv.transpose(), bq, bk, bv, bo);
            default:
                throw new IllegalArgumentException(scheme + " has four matrices");
        }
    }

    private static boolean valid(INDArray mask, int n, int t) {
        return mask == null || mask.getDouble(n, t) != 0.0;
    }
}
