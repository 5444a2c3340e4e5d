package org.dl4jpe.layers;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The per-head matrix products of attention, {@code C_i = op(A_i)·op(B_i)} for the N·H heads i = (sequence s, head
 * h), where each matrix is a row-major block inside a dense native array: it starts at
 * {@code base + s·seqStride + h·headStride} and its rows are {@code ld} values apart. So a head's query, key or value
 * is read straight out of the token rows {@code [N·T, 3D]} of the QKV projection (ld 3D) and a head's context is
 * written straight into the token rows {@code [N·T, D]} (ld D), without a head layout and the copies into and out of
 * it. In float networks where oneDNN is present ({@link OneDnn}) all N·H products are one batched oneDNN matmul that
 * reads and writes the blocks where they lie (with it, a ViT-PE micro training step at batch 64 on one thread took
 * 138–175 ms against 178–190 ms with a BLAS call per head, alternating builds); otherwise, on ND4J's CPU backend,
 * each product is one BLAS {@code gemm} call on the arrays' memory (about twice the rate of ND4J's batched
 * {@code matmul}), and elsewhere (no OpenBLAS on the class path) an ND4J product of views, slow but the same values.
 * The BLAS and view paths are the reference that the tests hold the oneDNN path equal to.
 */
final class HeadGemm {
    /** A matrix per head inside {@code array}: see the class comment. */
    record Blocks(INDArray array, long base, long seqStride, long headStride, int ld) {
        long offset(int s, int h) {
            return base + s * seqStride + h * headStride;
        }
    }

    /** Whether products go to OpenBLAS directly (ND4J's CPU backend); tests may turn it off. */
    static boolean useBlas = Blas.available();

    private HeadGemm() {}

    /**
     * For every sequence {@code s < n} and head {@code h < heads}: {@code C = op(A)·op(B)}, op(A) {@code rows × inner},
     * op(B) {@code inner × cols}. The arrays must be dense, row-major and of one data type. {@code ops} runs the
     * products through oneDNN where it can (null: never).
     */
    static void run(
            OneDnn.Ops ops,
            int n,
            int heads,
            int rows,
            int cols,
            int inner,
            Blocks a,
            boolean transA,
            Blocks b,
            boolean transB,
            Blocks c) {
        if (ops != null && ops.headProducts(n, heads, rows, cols, inner, a, transA, b, transB, c)) {
            return;
        }
        if (useBlas) {
            Blas.run(n, heads, rows, cols, inner, a, transA, b, transB, c);
        } else {
            viaViews(n, heads, rows, cols, inner, a, transA, b, transB, c);
        }
    }

    private static void viaViews(
            int n,
            int heads,
            int rows,
            int cols,
            int inner,
            Blocks a,
            boolean transA,
            Blocks b,
            boolean transB,
            Blocks c) {
        for (int s = 0; s < n; s++) {
            for (int h = 0; h < heads; h++) {
                INDArray av = view(a, s, h, transA ? inner : rows, transA ? rows : inner);
                INDArray bv = view(b, s, h, transB ? cols : inner, transB ? inner : cols);
                INDArray prod = (transA ? av.transpose() : av).mmul(transB ? bv.transpose() : bv);
                view(c, s, h, rows, cols).assign(prod);
            }
        }
    }

    private static INDArray view(Blocks m, int s, int h, int rows, int cols) {
        return Nd4j.create(m.array().data(), new long[] {rows, cols}, new long[] {m.ld(), 1}, m.offset(s, h), 'c');
    }

    /** The OpenBLAS calls, in a class of their own so that nothing loads OpenBLAS where it is absent. */
    private static final class Blas {
        private static final int ROW_MAJOR = 101;
        private static final int NO_TRANS = 111;
        private static final int TRANS = 112;

        static boolean available() {
            try {
                Class.forName("org.bytedeco.openblas.global.openblas_nolapack");
                return Nd4j.getBackend().getClass().getName().startsWith("org.nd4j.linalg.cpu.");
            } catch (ClassNotFoundException | LinkageError e) {
                return false;
            }
        }

        static void run(
                int n,
                int heads,
                int rows,
                int cols,
                int inner,
                Blocks a,
                boolean transA,
                Blocks b,
                boolean transB,
                Blocks c) {
            int ta = transA ? TRANS : NO_TRANS;
            int tb = transB ? TRANS : NO_TRANS;
            DataType type = c.array().dataType();
            if (type == DataType.FLOAT) {
                FloatPointer pa = new FloatPointer(a.array().data().addressPointer());
                FloatPointer pb = new FloatPointer(b.array().data().addressPointer());
                FloatPointer pc = new FloatPointer(c.array().data().addressPointer());
                for (int s = 0; s < n; s++) {
                    for (int h = 0; h < heads; h++) {
                        openblas_nolapack.cblas_sgemm(
                                ROW_MAJOR,
                                ta,
                                tb,
                                rows,
                                cols,
                                inner,
                                1f,
                                pa.position(a.offset(s, h)),
                                a.ld(),
                                pb.position(b.offset(s, h)),
                                b.ld(),
                                0f,
                                pc.position(c.offset(s, h)),
                                c.ld());
                    }
                }
            } else if (type == DataType.DOUBLE) {
                DoublePointer pa = new DoublePointer(a.array().data().addressPointer());
                DoublePointer pb = new DoublePointer(b.array().data().addressPointer());
                DoublePointer pc = new DoublePointer(c.array().data().addressPointer());
                for (int s = 0; s < n; s++) {
                    for (int h = 0; h < heads; h++) {
                        openblas_nolapack.cblas_dgemm(
                                ROW_MAJOR,
                                ta,
                                tb,
                                rows,
                                cols,
                                inner,
                                1.0,
                                pa.position(a.offset(s, h)),
                                a.ld(),
                                pb.position(b.offset(s, h)),
                                b.ld(),
                                0.0,
                                pc.position(c.offset(s, h)),
                                c.ld());
                    }
                }
            } else {
                viaViews(n, heads, rows, cols, inner, a, transA, b, transB, c);
            }
        }
    }
}
