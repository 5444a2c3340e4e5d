package org.dl4jpe.layers;

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
 * {@link ClassTokenPool} on {@link Engine#DIRECT}: {@code y[n] = Σ_t w[n, t]·x[n, :, t]} on the token rows, with
 * {@code w} one-hot at token 0 ({@link ClassTokenPool.Mode#CLASS_TOKEN}) or {@code m_t / max(1, Σ m)}
 * ({@link ClassTokenPool.Mode#MEAN}); the input gradient is {@code w[n, t]·dy[n]}, handed back as token rows viewed
 * {@code [N, D, T]} (as the transformer layers' direct engine does).
 */
final class ClassTokenPoolImpl extends PeSameDiffLayerImpl {
    private transient DirectBuffers buffers;

    ClassTokenPoolImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private ClassTokenPool pool() {
        return (ClassTokenPool) layerConf();
    }

    private DirectBuffers buffers() {
        if (buffers == null) {
            buffers = new DirectBuffers(dataType);
        }
        return buffers;
    }

    /** The weight of each token, {@code [N·T]}. */
    private double[] weights(int n, int t) {
        DirectBuffers buf = buffers();
        double[] w = buf.host("weights", (long) n * t);
        java.util.Arrays.fill(w, 0.0);
        ClassTokenPool l = pool();
        if (l.getMode() == ClassTokenPool.Mode.CLASS_TOKEN) {
            for (int s = 0; s < n; s++) {
                w[s * t] = 1.0;
            }
            return w;
        }
        double[] m = maskArray == null ? null : buf.read(maskArray, "mask");
        int prefix = (int) l.getNumPrefixTokens();
        for (int s = 0; s < n; s++) {
            double count = 0;
            for (int j = prefix; j < t; j++) {
                w[s * t + j] = m == null ? 1.0 : m[s * t + j];
                count += w[s * t + j];
            }
            double inv = 1.0 / Math.max(count, 1.0);
            for (int j = prefix; j < t; j++) {
                w[s * t + j] *= inv;
            }
        }
        return w;
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        pool().validateInput(input, maskArray);
        int n = (int) input.size(0);
        int d = (int) input.size(1);
        int t = (int) input.size(2);
        INDArray result = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[] {n, d}, 'c');
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            double[] w = weights(n, t);
            NativeRows in = new NativeRows(DirectLayerImpl.toRows(input, buffers(), "input"));
            NativeRows out = new NativeRows(result);
            double[] row = buffers.host("row", d);
            double[] y = buffers.host("y", d);
            for (int s = 0; s < n; s++) {
                java.util.Arrays.fill(y, 0.0);
                for (int j = 0; j < t; j++) {
                    double f = w[s * t + j];
                    if (f != 0.0) {
                        in.get(((long) s * t + j) * d, row, d);
                        for (int c = 0; c < d; c++) {
                            y[c] += f * row[c];
                        }
                    }
                }
                out.put((long) s * d, y, d);
            }
        }
        return result;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        int n = (int) input.size(0);
        int d = (int) input.size(1);
        int t = (int) input.size(2);
        INDArray result = workspaceMgr.createUninitialized(
                ArrayType.ACTIVATION_GRAD, dataType, DirectLayerImpl.rowsShape(input), 'c');
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            double[] w = weights(n, t);
            INDArray eps = epsilon.dataType() == dataType && NativeRows.isDense(epsilon)
                    ? epsilon
                    : buffers.nd("epsilon", epsilon.shape()).assign(epsilon);
            NativeRows in = new NativeRows(eps);
            NativeRows out = new NativeRows(result);
            double[] g = buffers.host("row", d);
            double[] dx = buffers.host("dx", (long) t * d);
            for (int s = 0; s < n; s++) {
                in.get((long) s * d, g, d);
                for (int j = 0; j < t; j++) {
                    double f = w[s * t + j];
                    for (int c = 0; c < d; c++) {
                        dx[j * d + c] = f * g[c];
                    }
                }
                out.put((long) s * t * d, dx, t * d);
            }
        }
        return new Pair<>(new DefaultGradient(), DirectLayerImpl.asLayout(result));
    }
}
