package org.dl4jpe.layers;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.dl4jpe.layers.SharedBottleneckStage.Engine;
import org.dl4jpe.layers.samediff.PeSameDiffLayerImpl;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs a {@link SharedBottleneckStage} with {@link Engine#DIRECT}: a hand-written forward and backward pass on
 * ND4J's native ops that keeps the forward pass's activations for the backward pass, following the stage's
 * {@link StagePlan}. With {@link Engine#SAMEDIFF} it is the SameDiff runtime of {@link PeSameDiffLayerImpl},
 * running {@link SharedBottleneckStage#define}.
 *
 * <p>A float network where oneDNN loads runs the stage on {@link OneDnnStage} instead: the same passes on oneDNN in
 * the channels-last layout (its convolutions read NHWC in place but reorder NCHW on every call); the NCHW passes below
 * serve double networks, absent oneDNN and {@code -Ddl4jpe.onednn=false}, and the tests hold the two equal.
 *
 * <p>Why: the SameDiff runtime computes the forward pass twice per training step (its gradient function
 * recomputes it) and composes each BatchNorm from about twenty small ops whose backward pass allocates full-size
 * temporaries. This engine computes what {@code define} computes (the tests hold the two equal): convolutions by
 * {@link DirectConv} (im2col + matrix products, or libnd4j's conv2d where it runs on oneDNN), BatchNorm by
 * {@link DirectBatchNorm} (closed-form gradient; running statistics updated in the backward pass, i.e. only when a
 * training step is taken).
 *
 * <p>Intermediate activations live in buffers owned by the layer, outside DL4J's workspaces, reused from one pass
 * to the next while the input shape stays the same; the output and the input gradient handed to DL4J are copies
 * in DL4J's workspaces. On oneDNN the output is NCHW in shape and NHWC in memory (a permuted view), and the input
 * gradient is in the input's layout: a stage after a stage reads its input, and returns its gradient, without a
 * reorder. The backward pass uses the activations of the latest training forward pass.
 */
final class SharedBottleneckStageImpl extends PeSameDiffLayerImpl {
    private transient DirectBuffers buffers;
    /** What the latest training forward pass kept for the backward pass, per block. */
    private transient List<BlockState> kept;

    private transient INDArray keptInput;
    /** The oneDNN NHWC engine (float networks where oneDNN loads), and whether the kept pass was its. */
    private transient OneDnnStage onednn;

    private transient boolean keptByOneDnn;
    /** Whether the kept oneDNN pass read its input in NHWC (its input gradient goes back in NHWC too). */
    private transient boolean keptNhwc;
    /** Whether the latest pass (forward or backward) ran on {@link #onednn}. */
    private transient boolean lastOnOneDnn;

    SharedBottleneckStageImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    private SharedBottleneckStage stage() {
        return (SharedBottleneckStage) layerConf();
    }

    /** One convolution + BatchNorm of the plan and what its training pass kept. */
    private static final class ConvState {
        final StagePlan.Conv plan;
        DirectConv.Kept conv;
        /** The BN's statistics and affine map; its input z. */
        DirectBatchNorm.Batch bn;
        /** The BN output (after ReLU for reduce and 3×3; the block output for the expand). */
        INDArray out;

        ConvState(StagePlan.Conv plan) {
            this.plan = plan;
        }
    }

    private static final class BlockState {
        final ConvState[] convs = new ConvState[3];
        ConvState shortcut;
        INDArray out;
    }

    // ---- DL4J entry points -------------------------------------------------------------------------------------

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        stage().validateInput(input, maskArray);
        if (training) {
            stage().validateTrainingInput(input);
        }
        if (stage().getEngine() == Engine.SAMEDIFF) {
            return super.activate(training, workspaceMgr);
        }
        INDArray out;
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            out = forward(input.castTo(dataType), training);
        }
        return handOn(out, lastOnOneDnn, ArrayType.ACTIVATIONS, workspaceMgr);
    }

    /**
     * A copy in DL4J's workspace of an array in this layer's buffers: the NCHW array {@code a}, or, from the oneDNN
     * engine, the NHWC array {@code a} as an NCHW-shaped view of an NHWC copy (values in channels-last order: the
     * next stage on oneDNN reads it in place; ND4J's ops, and DL4J's layers through them, read it by its strides).
     */
    private INDArray handOn(INDArray a, boolean nhwc, ArrayType type, LayerWorkspaceMgr workspaceMgr) {
        if (!nhwc) {
            return workspaceMgr.dup(type, a);
        }
        INDArray copy = workspaceMgr.createUninitialized(type, a.dataType(), a.shape(), 'c');
        copy.assign(a);
        return copy.permute(0, 3, 1, 2);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        if (stage().getEngine() == Engine.SAMEDIFF) {
            return super.backpropGradient(epsilon, workspaceMgr);
        }
        assertInputSet(true);
        if (kept == null || keptInput != input) {
            // DL4J always runs a training forward pass on this input first; if it did not, run one now.
            activate(true, workspaceMgr);
        }
        INDArray dx;
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            dx = backward(epsilon.castTo(dataType));
        }
        Gradient g = new DefaultGradient();
        for (String p : paramTable.keySet()) {
            g.gradientForVariable().put(p, gradTable.get(p));
        }
        if (!keptByOneDnn || keptNhwc) {
            return new Pair<>(g, handOn(dx, keptByOneDnn, ArrayType.ACTIVATION_GRAD, workspaceMgr));
        }
        // the oneDNN engine's NHWC gradient, for an NCHW input: reordered into the workspace
        INDArray nchw = workspaceMgr.createUninitialized(
                ArrayType.ACTIVATION_GRAD,
                dx.dataType(),
                new long[] {dx.size(0), dx.size(3), dx.size(1), dx.size(2)},
                'c');
        onednn.toNchw(dx, nchw);
        return new Pair<>(g, nchw);
    }

    /**
     * Whether this pass runs on {@link OneDnnStage}: float, oneDNN loads, and every parameter and gradient view is
     * dense. Checked here, not in {@code OneDnnStage}: that class names oneDNN's types, and the JVM's verifier loads
     * them with it, so it must not be touched where oneDNN's jar is absent.
     */
    private boolean onOneDnn() {
        if (dataType != DataType.FLOAT || !OneDnn.available()) {
            return false;
        }
        for (Iterable<INDArray> views :
                List.of(paramTable.values(), gradTable == null ? List.<INDArray>of() : gradTable.values())) {
            for (INDArray p : views) {
                if (!OneDnn.contiguous(p)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** For tests: whether the latest pass ran on the oneDNN NHWC engine ({@link OneDnnStage}). */
    boolean ranOnOneDnn() {
        return lastOnOneDnn;
    }

    // ---- forward ---------------------------------------------------------------------------------------------

    private INDArray forward(INDArray x, boolean training) {
        boolean oneDnn = onOneDnn();
        boolean nhwcInput = oneDnn && OneDnn.channelsLast(x) != null;
        if (!nhwcInput) {
            x = NativePlanes.dense(x);
        }
        if (buffers == null) {
            buffers = new DirectBuffers(dataType);
        }
        buffers.forInput(x.shape());
        if (oneDnn) {
            if (onednn == null) {
                onednn = new OneDnnStage(buffers);
            }
            INDArray y = onednn.forward(stage().plan(), x, training, paramTable::get, stage().getBnEps());
            lastOnOneDnn = true;
            if (training) {
                kept = List.of();
                keptInput = input;
                keptByOneDnn = true;
                keptNhwc = nhwcInput;
            }
            return y;
        }
        lastOnOneDnn = false;
        List<BlockState> states = new ArrayList<>();
        List<StagePlan.Block> blocks = stage().plan().blocks();
        for (int i = 0; i < blocks.size(); i++) {
            StagePlan.Block b = blocks.get(i);
            BlockState st = new BlockState();
            // Training keeps every block's activations; inference reuses one set (the first block's differ in
            // resolution), alternating the block output so that the shortcut input survives.
            String at = training ? "train" + (i + 1) : "infer" + (i == 0 ? "First" : "");
            st.convs[0] = convBn(b.reduce(), x, training, at + "a1");
            apply(st.convs[0], null, null, at + "a1");
            st.convs[1] = convBn(b.conv3x3(), st.convs[0].out, training, at + "a2");
            apply(st.convs[1], null, null, at + "a2");
            st.convs[2] = convBn(b.expand(), st.convs[1].out, training, at + "z3");
            ConvState sc = null;
            if (b.shortcut() != null) {
                st.shortcut = convBn(b.shortcut(), x, training, at + "shortcut");
                sc = st.shortcut;
            }
            // out = ReLU(BN3(z3) + shortcut) in one pass
            INDArray out = buffers.nd(at + "out" + (training ? "" : i % 2), st.convs[2].bn.z.shape());
            DirectBatchNorm.apply(
                    st.convs[2].bn, st.convs[2].bn.z, sc == null ? null : sc.bn, sc == null ? x : sc.bn.z, true, out);
            st.convs[2].out = out;
            st.out = out;
            states.add(st);
            x = out;
        }
        if (training) {
            kept = states;
            keptInput = input;
            keptByOneDnn = false;
        }
        return x;
    }

    private DirectConv.Weight weight(StagePlan.Conv c) {
        String name = c.weight().param();
        return new DirectConv.Weight(
                paramTable.get(name),
                gradTable == null ? null : gradTable.get(name),
                c.weight().transposed());
    }

    /**
     * {@code z = w ⊛ in} into the buffer {@code dst + "z"} and the statistics of its BatchNorm; the normalization
     * is applied by {@link #apply} or, for the expand, together with the residual sum.
     */
    private ConvState convBn(StagePlan.Conv c, INDArray in, boolean training, String dst) {
        ConvState st = new ConvState(c);
        INDArray z = buffers.nd(dst + "z", DirectConv.outShape(in, c.out(), c.stride()));
        st.conv = DirectConv.forward(
                weight(c), c.kernel(), c.stride(), in, z, buffers, training ? dst + "cols" : "inferCols");
        st.bn = DirectBatchNorm.prepare(
                z,
                param(c.bn(), BatchNorm.GAMMA),
                param(c.bn(), BatchNorm.BETA),
                param(c.bn(), BatchNorm.MEAN),
                param(c.bn(), BatchNorm.VAR),
                stage().getBnEps(),
                training,
                c.relu());
        return st;
    }

    /** {@code relu?(BN(z))} into the buffer {@code dst}. */
    private void apply(ConvState st, DirectBatchNorm.Batch other, INDArray otherZ, String dst) {
        INDArray y = buffers.nd(dst, st.bn.z.shape());
        DirectBatchNorm.apply(st.bn, st.bn.z, other, otherZ, st.plan.relu(), y);
        st.out = y;
    }

    private INDArray param(String prefix, String suffix) {
        return paramTable.get(prefix + suffix);
    }

    // ---- backward --------------------------------------------------------------------------------------------

    private INDArray backward(INDArray epsilon) {
        Set<String> touched = new HashSet<>();
        lastOnOneDnn = keptByOneDnn;
        INDArray g = keptByOneDnn && OneDnn.channelsLast(epsilon) != null ? epsilon : NativePlanes.dense(epsilon);
        if (keptByOneDnn) {
            g = onednn.backward(g, paramTable::get, gradTable::get, stage().getBnMomentum(), touched);
            zeroUntouched(touched);
            return g;
        }
        for (int i = kept.size() - 1; i >= 0; i--) {
            BlockState b = kept.get(i);
            INDArray pre = DirectBatchNorm.reluBackward(b.out, g, buffers.nd("gradPre", b.out.shape()));
            INDArray d = convBnBackward(b.convs[2], pre, touched, "gradH3");
            d = convBnBackward(b.convs[1], d, touched, "gradH2"); // through ReLU, BN2, the 3x3
            INDArray dx = convBnBackward(b.convs[0], d, touched, "gradX" + (i == 0 ? "first" : ""));
            if (b.shortcut != null) {
                dx.addi(convBnBackward(b.shortcut, pre, touched, "gradShortcut"));
            } else {
                dx.addi(pre);
            }
            g = dx;
        }
        zeroUntouched(touched);
        return g;
    }

    /** Zeroes the gradients no pass wrote (those of the running statistics). */
    private void zeroUntouched(Set<String> touched) {
        for (Map.Entry<String, INDArray> e : gradTable.entrySet()) {
            if (!touched.contains(e.getKey())) {
                e.getValue().assign(0);
            }
        }
    }

    /**
     * Back through the ReLU after the BN (reduce and 3×3), the BN and the convolution: writes the gradients of γ, β
     * and the weight (added up over a shared weight's uses), applies the BN's running-statistics update of the
     * training pass, and returns the gradient at the convolution input, in the buffer {@code dst}.
     */
    private INDArray convBnBackward(ConvState st, INDArray g, Set<String> touched, String dst) {
        String bn = st.plan.bn();
        INDArray dz = buffers.nd("gradZ", g.shape());
        DirectBatchNorm.backward(st.bn, g, gradTable.get(bn + BatchNorm.GAMMA), gradTable.get(bn + BatchNorm.BETA), dz);
        touched.add(bn + BatchNorm.GAMMA);
        touched.add(bn + BatchNorm.BETA);
        DirectBatchNorm.updateRunning(
                st.bn, param(bn, BatchNorm.MEAN), param(bn, BatchNorm.VAR), stage().getBnMomentum());
        boolean first = touched.add(st.plan.weight().param());
        return DirectConv.backward(
                weight(st.plan), st.plan.kernel(), st.plan.stride(), st.conv, dz, first, buffers, dst);
    }
}
