package org.dl4jpe.layers;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.dl4jpe.layers.TiedFeedForward.Tie;
import org.dl4jpe.layers.TiedSelfAttention.Scheme;
import org.dl4jpe.layers.testkit.LayerTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erfc;
import org.nd4j.linalg.factory.Nd4j;

/**
 * oneDNN's GELU, softmax and layer normalization ({@link OneDnn}), the float fast path of the transformer kernels,
 * against exact double arithmetic and against the kernels' Java passes. oneDNN is on this module's test class path,
 * so these run the native path (the first test fails if it does not load).
 */
@ExtendWith(SingleThreadedNd4j.class)
class OneDnnTest {
    private static final int D = 16;
    private static final int H = 4;
    private static final int T = 7;

    @AfterEach
    void onAgain() {
        OneDnn.use(true);
    }

    @Test
    void loadsOnTheCpuBackendAndCanBeTurnedOff() {
        assertTrue(OneDnn.available(), "org.bytedeco:dnnl is a test dependency: oneDNN must load here");
        OneDnn.use(false);
        assertFalse(OneDnn.available());
        INDArray z = Nd4j.rand(DataType.FLOAT, 10);
        assertFalse(new OneDnn.Ops().gelu(z, z.like()), "off: nothing done, the caller runs its Java pass");
        OneDnn.use(true);
        assertTrue(OneDnn.available());
        assertFalse(new OneDnn.Ops().gelu(z.castTo(DataType.DOUBLE), z.castTo(DataType.DOUBLE)), "double: Java");
        INDArray view = Nd4j.rand(DataType.FLOAT, 4, 6)
                .get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 4));
        assertFalse(new OneDnn.Ops().gelu(view, Nd4j.create(DataType.FLOAT, 4, 3)), "a strided view: Java");
    }

    /**
     * GELU and its derivative against the exact values in double (Φ from ND4J's double erfc) on [−20, 20]. oneDNN
     * computes {@code 0.5·x·(1 + erf(x/√2))} in float, as PyTorch's CPU kernel does: the absolute error is that of
     * float rounding of {@code 1 + erf}, below 3e-7·max(1, |x|); for x ≥ 0 the relative error is below 1e-6 (a few
     * ulp). For x < 0 the relative error grows as GELU shrinks (cancellation in {@code 1 + erf}; below x ≈ −5.4 the
     * float sum is 0 and so is the result, where GELU is below 1e-7 in magnitude), so it is not asserted there.
     */
    @Test
    void geluAndItsDerivativeAreWithinFloatRoundingOfTheErfFormula() {
        int n = 400_001;
        INDArray z = Nd4j.linspace(-20.0, 20.0, n, DataType.FLOAT);
        assertTrue(z.length() == n && z.getFloat(n - 1) == 20f);
        INDArray a = Nd4j.create(DataType.FLOAT, n);
        INDArray dz = Nd4j.create(DataType.FLOAT, n);
        OneDnn.Ops ops = new OneDnn.Ops();
        assertTrue(ops.gelu(z, a));
        assertTrue(ops.geluBackward(z, Nd4j.ones(DataType.FLOAT, n), dz));
        INDArray zd = z.castTo(DataType.DOUBLE);
        INDArray cdf = zd.mul(-Math.sqrt(0.5));
        Nd4j.exec(new Erfc(cdf, cdf));
        cdf.muli(0.5);
        double[] x = zd.toDoubleVector();
        double[] phi = cdf.toDoubleVector();
        double[] got = a.castTo(DataType.DOUBLE).toDoubleVector();
        double[] gotD = dz.castTo(DataType.DOUBLE).toDoubleVector();
        double worstAbs = 0;
        double worstRel = 0;
        double worstDer = 0;
        for (int i = 0; i < n; i++) {
            double exact = x[i] * phi[i];
            double err = Math.abs(got[i] - exact);
            worstAbs = Math.max(worstAbs, err / Math.max(1, Math.abs(x[i])));
            if (x[i] > 0) {
                worstRel = Math.max(worstRel, err / exact);
            }
            double der = phi[i] + x[i] * Math.exp(-0.5 * x[i] * x[i]) * VectorMath.INV_SQRT_2PI;
            worstDer = Math.max(worstDer, Math.abs(gotD[i] - der) / Math.max(1, Math.abs(x[i])));
        }
        assertTrue(worstAbs < 3e-7, "absolute error / max(1, |x|): " + worstAbs);
        assertTrue(worstRel < 1e-6, "relative error for x > 0: " + worstRel);
        assertTrue(worstDer < 4e-7, "derivative's absolute error / max(1, |x|): " + worstDer);
    }

    /**
     * oneDNN's matmul with the bias fused against ND4J's gemm plus the bias, every combination of transposes, with
     * the weights and the bias as views at an offset into one buffer (as DL4J's parameter views are).
     */
    @Test
    void matmulWithBiasAgreesWithGemmOnParameterViews() {
        Nd4j.getRandom().setSeed(9);
        long m = 37;
        long k = 24;
        long n = 40;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                INDArray a = Nd4j.randn(DataType.FLOAT, ta ? k : m, ta ? m : k);
                INDArray flat = Nd4j.randn(DataType.FLOAT, 1, 7 + k * n + n);
                INDArray b = flat.get(
                                org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                                org.nd4j.linalg.indexing.NDArrayIndex.interval(7, 7 + k * n))
                        .reshape('c', tb ? n : k, tb ? k : n);
                INDArray bias = flat.get(
                        org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 1),
                        org.nd4j.linalg.indexing.NDArrayIndex.interval(7 + k * n, 7 + k * n + n));
                assertTrue(b.offset() > 0 && bias.offset() > 0, "views at an offset");
                INDArray c = Nd4j.create(DataType.FLOAT, m, n);
                assertTrue(new OneDnn.Ops().matmulBias(a, b, bias, c, ta, tb), "ta " + ta + " tb " + tb);
                INDArray expected = Nd4j.gemm(a.dup(), b.dup(), ta, tb).addiRowVector(bias.dup());
                assertClose(expected, c, "matmul ta " + ta + " tb " + tb);
            }
        }
    }

    /**
     * Attention's per-head products as one oneDNN batched matmul against one BLAS gemm per head: the six products of
     * the kernel's forward and backward passes, reading the query, key and value as blocks at an offset inside the
     * token rows of the QKV projection and writing into such blocks, and a product of two transposed operands; each
     * output starts filled with a marker, so that a value written outside the output's blocks shows as well.
     */
    @Test
    void headProductsAgreeWithBlasPerHead() {
        Nd4j.getRandom().setSeed(10);
        int n = 3;
        int t = T;
        int heads = H;
        int dim = D;
        int hd = D / H;
        INDArray qkv = Nd4j.randn(DataType.FLOAT, (long) n * t, 3L * dim);
        INDArray ctx = Nd4j.randn(DataType.FLOAT, (long) n * t, dim);
        INDArray probs = Nd4j.randn(DataType.FLOAT, (long) n * heads, t, t);
        HeadGemm.Blocks q = qkvBlocks(qkv, 0, t, hd, dim);
        HeadGemm.Blocks k = qkvBlocks(qkv, 1, t, hd, dim);
        HeadGemm.Blocks v = qkvBlocks(qkv, 2, t, hd, dim);
        HeadGemm.Blocks c = new HeadGemm.Blocks(ctx, 0, (long) t * dim, hd, dim);
        HeadGemm.Blocks p = squares(probs, heads, t);
        OneDnn.Ops ops = new OneDnn.Ops();
        // out: 0 the scores' squares, 1 context rows, 2 the key's columns of QKV rows
        record Product(
                String name,
                int rows,
                int cols,
                int inner,
                HeadGemm.Blocks a,
                boolean ta,
                HeadGemm.Blocks b,
                boolean tb,
                int out) {
            void blas(int n, int heads, HeadGemm.Blocks c) {
                HeadGemm.run(null, n, heads, rows, cols, inner, a, ta, b, tb, c);
            }

            boolean oneDnn(OneDnn.Ops ops, int n, int heads, HeadGemm.Blocks c) {
                return ops.headProducts(n, heads, rows, cols, inner, a, ta, b, tb, c);
            }
        }
        Product[] products = {
            new Product("q·kᵀ", t, t, hd, q, false, k, true, 0),
            new Product("p·v", t, hd, t, p, false, v, false, 1),
            new Product("dctx·vᵀ", t, t, hd, c, false, v, true, 0),
            new Product("pᵀ·dctx", t, hd, t, p, true, c, false, 2),
            new Product("ds·k", t, hd, t, p, false, k, false, 2),
            new Product("dsᵀ·q", t, hd, t, p, true, q, false, 2),
            new Product("pᵀ·pᵀ", t, t, t, p, true, p, true, 0)
        };
        for (Product pr : products) {
            long[] shape = pr.out() == 0
                    ? new long[] {(long) n * heads, t, t}
                    : new long[] {(long) n * t, pr.out() == 1 ? dim : 3L * dim};
            INDArray expected = Nd4j.valueArrayOf(shape, 7f, DataType.FLOAT);
            INDArray actual = expected.dup();
            pr.blas(n, heads, outputBlocks(expected, pr.out(), heads, t, hd));
            assertTrue(pr.oneDnn(ops, n, heads, outputBlocks(actual, pr.out(), heads, t, hd)), pr.name() + ": ran");
            assertClose(expected, actual, pr.name());
        }
    }

    private static HeadGemm.Blocks outputBlocks(INDArray a, int kind, int heads, int t, int hd) {
        int dim = heads * hd;
        return switch (kind) {
            case 0 -> squares(a, heads, t);
            case 1 -> new HeadGemm.Blocks(a, 0, (long) t * dim, hd, dim);
            default -> qkvBlocks(a, 1, t, hd, dim);
        };
    }

    /** Part {@code j} (0 query, 1 key, 2 value) of token rows {@code [n·t, 3·dim]}, as per-head blocks. */
    private static HeadGemm.Blocks qkvBlocks(INDArray rows, int j, int t, int hd, int dim) {
        return new HeadGemm.Blocks(rows, (long) j * dim, 3L * t * dim, hd, 3 * dim);
    }

    private static HeadGemm.Blocks squares(INDArray a, int heads, int t) {
        return new HeadGemm.Blocks(a, 0, (long) heads * t * t, (long) t * t, t);
    }

    /**
     * A float transformer block without a key mask (so the softmax runs through oneDNN too): outputs, every parameter
     * gradient and the input gradient with oneDNN agree with the Java passes to float rounding (relative 1e-5 of the
     * largest value), in training and inference.
     */
    @Test
    void aFloatBlockAgreesWithTheJavaPasses() {
        for (MlpActivation act : new MlpActivation[] {MlpActivation.GELU, MlpActivation.RELU}) {
            Nd4j.getRandom().setSeed(7);
            INDArray x = Nd4j.randn(DataType.FLOAT, 3, D, T).muli(2);
            INDArray labels = Nd4j.rand(DataType.FLOAT, 3, 3, T);
            MultiLayerNetwork net = LayerTestKit.mln(
                    InputType.recurrent(D, T),
                    DataType.FLOAT,
                    TransformerBlock.builder(D, H)
                            .hiddenDim(40)
                            .scheme(Scheme.QO_KV)
                            .tie(Tie.TRANSPOSE)
                            .activation(act)
                            .build());
            net.setParams(Nd4j.randn(DataType.FLOAT, 1, net.numParams()).muli(0.5));

            OneDnn.use(false);
            INDArray javaOut = net.output(x, false).dup();
            Pair<Gradient, INDArray> javaGrad = net.calculateGradients(x, labels, null, null);
            INDArray javaParamGrads = javaGrad.getFirst().gradient().dup();
            INDArray javaInputGrad = javaGrad.getSecond().dup();

            OneDnn.use(true);
            INDArray nativeOut = net.output(x, false);
            Pair<Gradient, INDArray> nativeGrad = net.calculateGradients(x, labels, null, null);

            assertClose(javaOut, nativeOut, act + " output");
            for (String key : net.paramTable().keySet()) {
                if (!key.endsWith("attnBk")) {
                    assertClose(
                            javaGrad.getFirst().getGradientFor(key),
                            nativeGrad.getFirst().getGradientFor(key),
                            act + " gradient of " + key);
                }
            }
            assertClose(javaParamGrads, nativeGrad.getFirst().gradient(), act + " all parameter gradients");
            assertClose(javaInputGrad, nativeGrad.getSecond(), act + " input gradient");
        }
    }

    /** With a key mask the softmax stays in Java; the layer norms and the GELU still agree. */
    @Test
    void aMaskedFloatBlockAgreesWithTheJavaPasses() {
        Nd4j.getRandom().setSeed(8);
        INDArray x = Nd4j.randn(DataType.FLOAT, 2, D, T);
        INDArray mask = Nd4j.createFromArray(new float[][] {{1, 1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 1, 1}});
        INDArray labels = Nd4j.rand(DataType.FLOAT, 2, 3, T);
        MultiLayerNetwork net = LayerTestKit.mln(
                InputType.recurrent(D, T),
                DataType.FLOAT,
                TransformerBlock.builder(D, H).build());
        net.setParams(Nd4j.randn(DataType.FLOAT, 1, net.numParams()).muli(0.5));
        OneDnn.use(false);
        INDArray javaOut = net.output(x, false, mask, null).dup();
        INDArray javaGrads = net.calculateGradients(x, labels, mask, mask)
                .getFirst()
                .gradient()
                .dup();
        OneDnn.use(true);
        // DL4J's RnnOutputLayer leaves masked steps zero or not depending on the calls before: compare the others
        INDArray keep = mask.reshape(2, 1, T);
        assertClose(
                javaOut.mul(keep.broadcast(javaOut.shape())),
                net.output(x, false, mask, null).mul(keep.broadcast(javaOut.shape())),
                "masked output");
        assertClose(
                javaGrads,
                net.calculateGradients(x, labels, mask, mask).getFirst().gradient(),
                "masked gradients");
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        double scale = expected.amaxNumber().doubleValue();
        double diff = expected.castTo(DataType.DOUBLE)
                .sub(actual.castTo(DataType.DOUBLE))
                .amaxNumber()
                .doubleValue();
        assertTrue(scale > 0 && diff <= 1e-5 * scale, what + ": max |difference| " + diff + " (scale " + scale + ")");
    }
}
