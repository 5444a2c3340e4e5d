package org.dl4jpe.layers;

import java.util.Arrays;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.dl4jpe.layers.samediff.PeSameDiffLayerImpl;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link PatchEmbedding} on {@link Engine#DIRECT}: the patches {@code [N·P, C·p·p]} cut out of the image in Java,
 * one matrix product with {@code Wᵀ} plus the bias, and the class token and positions written into the output's
 * token rows {@code [N, P+1, D]}, handed to DL4J as {@code [N, D, P+1]} (a permuted view, as the transformer layers'
 * direct engine does, so that the first block reads them without a transpose). Backward: the position gradient is
 * the sum of the output gradient over the batch, the class token's its token-0 row, and the patch tokens' rows
 * give the bias, {@code W} and (through {@code W} and the patches' inverse) the image gradients. The patches of the
 * latest training pass are kept for the backward pass.
 */
final class PatchEmbeddingImpl extends PeSameDiffLayerImpl {
    private transient DirectBuffers buffers;
    private transient long[] buffersShape;
    private transient INDArray keptInput;
    private transient INDArray keptPatches;

    PatchEmbeddingImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private PatchEmbedding pe() {
        return (PatchEmbedding) layerConf();
    }

    private void prepare() {
        if (buffers == null) {
            buffers = new DirectBuffers(dataType);
        }
        if (!Arrays.equals(input.shape(), buffersShape)) {
            buffers.forInput(input.shape());
            buffersShape = input.shape().clone();
            keptInput = null;
            keptPatches = null;
        }
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        PatchEmbedding l = pe();
        l.validateInput(input);
        int n = (int) input.size(0);
        int t = (int) l.numTokens();
        int d = (int) l.getEmbedDim();
        INDArray result = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[] {n, t, d}, 'c');
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            prepare();
            INDArray x = input.dataType() == dataType && NativeRows.isDense(input)
                    ? input
                    : buffers.nd("image", input.shape()).assign(input);
            INDArray patches =
                    buffers.nd(training ? "patches.train" : "patches.infer", (long) n * l.numPatches(), patchDim());
            copyPatches(x, patches, n, false);
            INDArray e = DirectBuffers.gemm(
                    patches,
                    paramTable.get(PatchEmbedding.W),
                    buffers.nd("tokens", (long) n * l.numPatches(), d),
                    false,
                    true);
            e.addiRowVector(paramTable.get(PatchEmbedding.B));
            DirectParams p = new DirectParams(paramTable, gradTable, buffers);
            double[] cls = p.host(PatchEmbedding.CLS_TOKEN);
            double[] pos = p.host(PatchEmbedding.POS_EMBED);
            NativeRows in = new NativeRows(e);
            NativeRows out = new NativeRows(result);
            int perPatches = (t - 1) * d;
            double[] z = buffers.host("z", (long) t * d);
            for (int s = 0; s < n; s++) {
                for (int c = 0; c < d; c++) {
                    z[c] = cls[c] + pos[c];
                }
                in.get((long) s * perPatches, z, d, perPatches);
                for (int i = d; i < t * d; i++) {
                    z[i] += pos[i];
                }
                out.put((long) s * t * d, z, t * d);
            }
            if (training) {
                keptInput = input;
                keptPatches = patches;
            }
        }
        return DirectLayerImpl.asLayout(result);
    }

    private long patchDim() {
        PatchEmbedding l = pe();
        return l.getInChannels() * l.getPatchSize() * l.getPatchSize();
    }

    /**
     * Image {@code [N, C, H, W]} to patches {@code [N·P, C·p·p]} ({@code toImage} false), or the patches' gradient
     * back to the image's ({@code toImage} true; the patches do not overlap, so each pixel is one patch value).
     */
    private void copyPatches(INDArray image, INDArray patches, int n, boolean toImage) {
        PatchEmbedding l = pe();
        int c = (int) l.getInChannels();
        int h = (int) l.getImageHeight();
        int w = (int) l.getImageWidth();
        int ps = (int) l.getPatchSize();
        int gw = w / ps;
        int np = (int) l.numPatches();
        int pd = (int) patchDim();
        int imageLen = c * h * w;
        double[] img = buffers.host("patch.image", imageLen);
        double[] pat = buffers.host("patch.rows", (long) np * pd);
        NativeRows im = new NativeRows(image);
        NativeRows pa = new NativeRows(patches);
        for (int s = 0; s < n; s++) {
            if (toImage) {
                pa.get((long) s * np * pd, pat, np * pd);
            } else {
                im.get((long) s * imageLen, img, imageLen);
            }
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    int gy = y / ps;
                    int ky = y % ps;
                    int rowStart = (ch * h + y) * w;
                    for (int gx = 0; gx < gw; gx++) {
                        int dst = (gy * gw + gx) * pd + (ch * ps + ky) * ps;
                        int src = rowStart + gx * ps;
                        if (toImage) {
                            System.arraycopy(pat, dst, img, src, ps);
                        } else {
                            System.arraycopy(img, src, pat, dst, ps);
                        }
                    }
                }
            }
            if (toImage) {
                im.put((long) s * imageLen, img, imageLen);
            } else {
                pa.put((long) s * np * pd, pat, np * pd);
            }
        }
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        if (keptInput == null || keptInput != input || !Arrays.equals(buffersShape, input.shape())) {
            // DL4J runs a training forward pass on this input first; if it did not, run one now.
            activate(true, workspaceMgr);
        }
        PatchEmbedding l = pe();
        int n = (int) input.size(0);
        int t = (int) l.numTokens();
        int d = (int) l.getEmbedDim();
        int np = t - 1;
        INDArray result = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, input.shape(), 'c');
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            DirectParams p = new DirectParams(paramTable, gradTable, buffers);
            p.beginBackward();
            INDArray dz = DirectLayerImpl.toRows(epsilon, buffers, "epsilon"); // [N·T, D]
            INDArray dpos = buffers.columnSums(dz.reshape(n, (long) t * d), buffers.nd("dpos", 1, (long) t * d))
                    .reshape((long) t * d);
            p.addGradient(PatchEmbedding.POS_EMBED, dpos, false);
            p.addGradient(
                    PatchEmbedding.CLS_TOKEN, dpos.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, d)), false);
            // the patch tokens' rows, without each sequence's class-token row
            INDArray de = buffers.nd("dtokens", (long) n * np, d);
            NativeRows in = new NativeRows(dz);
            NativeRows out = new NativeRows(de);
            double[] rows = buffers.host("dtokensRows", (long) np * d);
            for (int s = 0; s < n; s++) {
                in.get(((long) s * t + 1) * d, rows, np * d);
                out.put((long) s * np * d, rows, np * d);
            }
            p.addGradient(PatchEmbedding.B, buffers.columnSums(de, buffers.nd("db", 1, d)), false);
            p.addGradient(
                    PatchEmbedding.W,
                    DirectBuffers.gemm(de, keptPatches, buffers.nd("dW", d, patchDim()), true, false),
                    false);
            INDArray dPatches = DirectBuffers.gemm(
                    de,
                    paramTable.get(PatchEmbedding.W),
                    buffers.nd("dpatches", (long) n * np, patchDim()),
                    false,
                    false);
            p.endBackward();
            INDArray dx = NativeRows.isDense(result) ? result : buffers.nd("dimage", input.shape());
            copyPatches(dx, dPatches, n, true);
            if (dx != result) {
                result.assign(dx);
            }
        }
        Gradient grad = new DefaultGradient();
        for (String p : paramTable.keySet()) {
            grad.gradientForVariable().put(p, gradTable.get(p));
        }
        return new Pair<>(grad, result);
    }
}
