package org.dl4jpe.layers.samediff;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.samediff.DL4JSameDiffMemoryMgr;
import org.deeplearning4j.nn.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.array.SingleThreadArrayHolder;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs a {@link PeSameDiffLayer}: DL4J's SameDiff layer runtime with the exact gradient, a training flag, dropout
 * masks shared by the forward and backward pass, and state updates.
 *
 * <p>The backward pass differentiates the scalar {@code sum(output * epsilon)}, whose gradient with respect to
 * the parameters and the input is exactly what DL4J asks of {@code backpropGradient}; DL4J's own runtime instead
 * goes through {@code ExternalErrorsFunction}, which doubles it on 1.0.0-M2/M2.1 (see {@link PeSameDiffLayer}).
 */
public class PeSameDiffLayerImpl extends SameDiffLayer {
    private static final String EPSILON_KEY = "pe_epsilon";
    private static final String LOSS_KEY = "pe_backprop_objective";

    private transient LayerContext ctx;
    /**
     * State values computed by the last training forward pass, assigned in the backward pass (when a training step
     * is taken), once.
     */
    private transient Map<String, INDArray> pendingState;
    /** Dropout masks of the last training forward pass, reused by the backward pass on the same input. */
    private transient Map<String, INDArray> lastNoise;

    private transient INDArray lastNoiseInput;

    public PeSameDiffLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private PeSameDiffLayer pe() {
        return (PeSameDiffLayer) layerConf();
    }

    @Override
    protected void doInit() {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            sameDiff = SameDiff.create();
            sameDiff.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), false);
            ctx = new LayerContext(sameDiff, dataType);

            long[] inputShape = input.shape().clone();
            inputShape[0] = -1;
            SDVariable inputVar = sameDiff.placeHolder(INPUT_KEY, dataType, inputShape);
            Map<String, SDVariable> params = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e :
                    pe().getLayerParams().getParamShapes().entrySet()) {
                params.put(e.getKey(), sameDiff.var(e.getKey(), dataType, e.getValue()));
            }
            long[] maskShape = new long[input.rank()];
            java.util.Arrays.fill(maskShape, -1);
            SDVariable mask = sameDiff.placeHolder(MASK_KEY, dataType, maskShape);

            SDVariable out = pe().define(ctx, inputVar, params, mask);
            if (out == null) {
                throw new IllegalStateException(pe().describe() + ": define(...) returned null");
            }
            outputVar = out;
            outputKey = out.name();
            for (Map.Entry<String, INDArray> e : paramTable.entrySet()) {
                sameDiff.associateArrayWithVariable(e.getValue(), sameDiff.getVariable(e.getKey()));
            }

            SDVariable eps = sameDiff.placeHolder(EPSILON_KEY, dataType);
            SDVariable objective = sameDiff.sum(LOSS_KEY, out.mul(eps));
            sameDiff.setLossVariables(objective);
        }
    }

    private void ensureInit() {
        if (sameDiff == null) {
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                doInit();
            }
        }
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        pe().validateInput(input, maskArray);
        ensureInit();

        Map<String, INDArray> ph = placeholders(training, false);
        boolean actScopedOut = workspaceMgr.isScopedOut(ArrayType.ACTIVATIONS);
        String wsNameOutput = workspaceMgr.getWorkspaceName(ArrayType.ACTIVATIONS);
        InferenceSession is = sameDiff.getSessions().get(Thread.currentThread().getId());
        if (is == null) {
            is = SameDiff.getInferenceFactory().create(sameDiff);
            sameDiff.getSessions().put(Thread.currentThread().getId(), is);
        }
        is.setMmgr(new DL4JSameDiffMemoryMgr(
                workspaceMgr.getWorkspaceName(ArrayType.FF_WORKING_MEM),
                wsNameOutput,
                workspaceMgr.getConfiguration(ArrayType.FF_WORKING_MEM),
                workspaceMgr.getConfiguration(ArrayType.ACTIVATIONS)));

        Map<String, SDVariable> updates = training ? ctx.stateUpdates() : Map.of();
        List<String> wanted = new ArrayList<>();
        wanted.add(outputKey);
        for (SDVariable v : updates.values()) {
            wanted.add(v.name());
        }
        Map<String, INDArray> out = sameDiff.output(ph, wanted.toArray(new String[0]));
        if (training && !updates.isEmpty()) {
            Map<String, INDArray> pending = new HashMap<>();
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                for (Map.Entry<String, SDVariable> e : updates.entrySet()) {
                    pending.put(e.getKey(), out.get(e.getValue().name()).dup());
                }
            }
            pendingState = pending;
        }
        INDArray result = out.get(outputKey);
        if (!actScopedOut && !result.data().getParentWorkspace().getId().equals(wsNameOutput)) {
            result = workspaceMgr.dup(ArrayType.ACTIVATIONS, result);
        } else if (actScopedOut && result.isAttached()) {
            result = result.detach();
        }
        sameDiff.clearPlaceholders(true);
        sameDiff.clearOpInputs();
        return result;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        pe().validateInput(input, maskArray);
        ensureInit();
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            if (!sameDiff.hasGradientFunction()) {
                QuietSameDiff.run(() -> sameDiff.createGradFunction(INPUT_KEY));
            }
        }
        Map<Long, InferenceSession> sessions = sameDiff.getFunction("grad").getSessions();
        long thread = Thread.currentThread().getId();
        if (!sessions.containsKey(thread)) {
            sessions.put(thread, SameDiff.getInferenceFactory().create(sameDiff.getFunction("grad")));
        }
        sessions.get(thread)
                .setMmgr(new DL4JSameDiffMemoryMgr(
                        workspaceMgr.getWorkspaceName(ArrayType.BP_WORKING_MEM),
                        workspaceMgr.getWorkspaceName(ArrayType.ACTIVATION_GRAD),
                        workspaceMgr.getConfiguration(ArrayType.BP_WORKING_MEM),
                        workspaceMgr.getConfiguration(ArrayType.ACTIVATION_GRAD)));

        Map<String, INDArray> ph = placeholders(true, true);
        ph.put(EPSILON_KEY, epsilon);
        List<String> required = new ArrayList<>(paramTable.size() + 1);
        required.add(INPUT_KEY);
        for (String p : paramTable.keySet()) {
            if (!pe().stateParams().contains(p)) {
                required.add(p);
            }
        }
        Map<String, INDArray> grads = sameDiff.calculateGradients(ph, required);

        Gradient g = new DefaultGradient();
        for (String p : paramTable.keySet()) {
            INDArray sdGrad = grads.get(p);
            INDArray dl4jGrad = gradTable.get(p);
            if (sdGrad == null) {
                dl4jGrad.assign(0);
            } else {
                dl4jGrad.assign(sdGrad);
            }
            g.gradientForVariable().put(p, dl4jGrad);
        }
        INDArray dLdIn = grads.get(INPUT_KEY);
        INDArray epsOut = dLdIn == null
                ? workspaceMgr.create(ArrayType.ACTIVATION_GRAD, input.dataType(), input.shape(), input.ordering())
                : workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, dLdIn);
        sameDiff.clearPlaceholders(true);
        sameDiff.clearOpInputs();
        if (pendingState != null) {
            // the training step is being taken: the state moves now, not in training-mode inference
            for (Map.Entry<String, INDArray> e : pendingState.entrySet()) {
                paramTable.get(e.getKey()).assign(e.getValue());
            }
            pendingState = null;
        }
        lastNoise = null;
        lastNoiseInput = null;
        return new Pair<>(g, epsOut);
    }

    /**
     * Sets a parameter's values. DL4J's {@code SameDiffLayer.setParam} checks the shape and then drops the values;
     * this one copies them into the parameter view.
     */
    @Override
    public void setParam(String key, INDArray val) {
        super.setParam(key, val);
        paramTable.get(key).assign(val);
    }

    /** Input, mask, training flag and dropout masks for one pass. */
    private Map<String, INDArray> placeholders(boolean training, boolean backprop) {
        Map<String, INDArray> ph = new HashMap<>();
        ph.put(INPUT_KEY, input);
        ph.put(MASK_KEY, maskArray != null ? maskArray : pe().onesMaskForInput(input));
        if (ctx.hasTrainingFlag()) {
            ph.put(LayerContext.TRAINING_KEY, Nd4j.scalar(dataType, training ? 1.0 : 0.0));
        }
        if (!ctx.noise().isEmpty()) {
            if (!training) {
                INDArray one = Nd4j.scalar(dataType, 1.0);
                for (LayerContext.Noise n : ctx.noise()) {
                    ph.put(n.name(), one);
                }
            } else {
                boolean reuse = backprop && lastNoise != null && lastNoiseInput == input;
                if (!reuse) {
                    lastNoise = drawNoise();
                    lastNoiseInput = input;
                }
                ph.putAll(lastNoise);
            }
        }
        return ph;
    }

    private Map<String, INDArray> drawNoise() {
        Map<String, INDArray> masks = new HashMap<>();
        for (LayerContext.Noise n : ctx.noise()) {
            masks.put(n.name(), LayerContext.dropoutMask(dataType, n.shape().apply(input.shape()), n.p()));
        }
        return masks;
    }
}
