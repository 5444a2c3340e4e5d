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
 * Runs a {@link BiasFreeConvolution}: {@link Engine#DIRECT} with {@link DirectConv}, {@link Engine#SAMEDIFF} with
 * {@link PeSameDiffLayerImpl}.
 */
final class BiasFreeConvolutionImpl extends PeSameDiffLayerImpl {
    private transient DirectBuffers buffers;
    private transient DirectConv.Kept kept;
    private transient INDArray keptInput;

    BiasFreeConvolutionImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private BiasFreeConvolution conv() {
        return (BiasFreeConvolution) layerConf();
    }

    private DirectConv.Weight weight() {
        return new DirectConv.Weight(
                paramTable.get(BiasFreeConvolution.WEIGHT),
                gradTable == null ? null : gradTable.get(BiasFreeConvolution.WEIGHT),
                false);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        conv().validateInput(input, maskArray);
        if (conv().getEngine() == Engine.SAMEDIFF) {
            return super.activate(training, workspaceMgr);
        }
        INDArray z;
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray x = NativePlanes.dense(input.castTo(dataType));
            if (buffers == null) {
                buffers = new DirectBuffers(dataType);
            }
            buffers.forInput(x.shape());
            z = buffers.nd("out", DirectConv.outShape(x, conv().getOutChannels(), conv().getStride()));
            DirectConv.Kept k = DirectConv.forward(
                    weight(), conv().getKernel(), conv().getStride(), x, z, buffers, training ? "cols" : "inferCols");
            if (training) {
                kept = k;
                keptInput = input;
            }
        }
        return workspaceMgr.dup(ArrayType.ACTIVATIONS, z);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        if (conv().getEngine() == Engine.SAMEDIFF) {
            return super.backpropGradient(epsilon, workspaceMgr);
        }
        assertInputSet(true);
        if (kept == null || keptInput != input) {
            activate(true, workspaceMgr);
        }
        INDArray dx;
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray g = NativePlanes.dense(epsilon.castTo(dataType));
            dx = DirectConv.backward(
                    weight(), conv().getKernel(), conv().getStride(), kept, g, true, buffers, "gradIn");
        }
        Gradient grad = new DefaultGradient();
        grad.gradientForVariable().put(BiasFreeConvolution.WEIGHT, gradTable.get(BiasFreeConvolution.WEIGHT));
        return new Pair<>(grad, workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, dx));
    }
}
