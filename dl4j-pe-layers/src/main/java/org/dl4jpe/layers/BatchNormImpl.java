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
 * Runs a {@link BatchNorm}: {@link Engine#DIRECT} with {@link DirectBatchNorm} (the running statistics
 * updated in the backward pass), {@link Engine#SAMEDIFF} with {@link PeSameDiffLayerImpl}.
 */
final class BatchNormImpl extends PeSameDiffLayerImpl {
    private transient DirectBuffers buffers;
    private transient DirectBatchNorm.Batch kept;
    private transient INDArray keptInput;

    BatchNormImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private BatchNorm bn() {
        return (BatchNorm) layerConf();
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        bn().validateInput(input, maskArray);
        if (training) {
            bn().validateTrainingInput(input);
        }
        if (bn().getEngine() == Engine.SAMEDIFF) {
            return super.activate(training, workspaceMgr);
        }
        INDArray y;
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray z = NativePlanes.dense(input.castTo(dataType));
            if (buffers == null) {
                buffers = new DirectBuffers(dataType);
            }
            buffers.forInput(z.shape());
            y = buffers.nd("out", z.shape());
            DirectBatchNorm.Batch b = DirectBatchNorm.prepare(
                    z,
                    paramTable.get(BatchNorm.GAMMA),
                    paramTable.get(BatchNorm.BETA),
                    paramTable.get(BatchNorm.MEAN),
                    paramTable.get(BatchNorm.VAR),
                    bn().getEps(),
                    training,
                    false);
            DirectBatchNorm.apply(b, z, null, null, false, y);
            if (training) {
                kept = b;
                keptInput = input;
            }
        }
        return workspaceMgr.dup(ArrayType.ACTIVATIONS, y);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        if (bn().getEngine() == Engine.SAMEDIFF) {
            return super.backpropGradient(epsilon, workspaceMgr);
        }
        assertInputSet(true);
        if (kept == null || keptInput != input) {
            activate(true, workspaceMgr);
        }
        INDArray dz;
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray g = NativePlanes.dense(epsilon.castTo(dataType));
            dz = buffers.nd("gradIn", g.shape());
            DirectBatchNorm.backward(kept, g, gradTable.get(BatchNorm.GAMMA), gradTable.get(BatchNorm.BETA), dz);
            DirectBatchNorm.updateRunning(
                    kept, paramTable.get(BatchNorm.MEAN), paramTable.get(BatchNorm.VAR), bn().getMomentum());
            gradTable.get(BatchNorm.MEAN).assign(0);
            gradTable.get(BatchNorm.VAR).assign(0);
        }
        Gradient grad = new DefaultGradient();
        for (String p : paramTable.keySet()) {
            grad.gradientForVariable().put(p, gradTable.get(p));
        }
        return new Pair<>(grad, workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, dz));
    }
}
