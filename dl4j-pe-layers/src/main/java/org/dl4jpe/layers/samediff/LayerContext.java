package org.dl4jpe.layers.samediff;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What a {@link PeSameDiffLayer} can ask for while it defines its graph, beyond DL4J's plain {@code SameDiffLayer}:
 * a training flag, dropout that acts only in training and uses the same mask in the forward and the backward pass,
 * and state (such as BatchNorm running statistics) updated when a training step is taken.
 *
 * <p>One context exists per layer instance; it holds the SameDiff graph under construction.
 */
public final class LayerContext {
    static final String TRAINING_KEY = "pe_training";
    private static final String NOISE_PREFIX = "pe_dropout_";

    private final SameDiff sd;
    private final DataType dataType;
    private SDVariable training;
    private final List<Noise> noise = new ArrayList<>();
    private final Map<String, SDVariable> stateUpdates = new LinkedHashMap<>();

    LayerContext(SameDiff sd, DataType dataType) {
        this.sd = sd;
        this.dataType = dataType;
    }

    /** The graph being defined. */
    public SameDiff sd() {
        return sd;
    }

    /** The network's data type (placeholders and constants should use it). */
    public DataType dataType() {
        return dataType;
    }

    /** A scalar placeholder that is 1 in training and 0 at inference. */
    public SDVariable training() {
        if (training == null) {
            training = sd.placeHolder(TRAINING_KEY, dataType);
        }
        return training;
    }

    /**
     * Inverted dropout: in training {@code x * m / (1 - p)} with {@code m ~ Bernoulli(1 - p)}, at inference {@code x}.
     * The mask is drawn in Java once per training forward pass and reused by the backward pass, so the gradient is
     * that of the function that produced the output.
     *
     * @param x         the variable to drop from
     * @param p         drop probability in [0, 1); 0 returns {@code x} unchanged
     * @param maskShape the shape of the mask, computed from the layer input's shape (mask dimensions of size 1
     *                  broadcast)
     */
    public SDVariable dropout(SDVariable x, double p, Function<long[], long[]> maskShape) {
        if (p == 0.0) {
            return x;
        }
        if (!(p > 0.0 && p < 1.0)) {
            throw new IllegalArgumentException("dropout probability " + p + " is outside [0, 1)");
        }
        String name = NOISE_PREFIX + noise.size();
        SDVariable mask = sd.placeHolder(name, dataType);
        noise.add(new Noise(name, p, maskShape));
        return x.mul(mask);
    }

    /**
     * A dropout mask as {@link #dropout} draws it: {@code m / (1 − p)} with {@code m ~ Bernoulli(1 − p)}, from ND4J's
     * random generator. Engines that run without SameDiff draw theirs with this too, in the order {@code define}
     * declares them, so that the same seed gives the same masks.
     */
    public static INDArray dropoutMask(DataType dataType, long[] shape, double p) {
        double keep = 1.0 - p;
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return Nd4j.rand(dataType, shape).lt(keep).castTo(dataType).divi(keep);
        }
    }

    /**
     * Declares that when a training step is taken the state parameter {@code paramName} (one listed by
     * {@link PeSameDiffLayer#stateParams()}) takes the value {@code newValue} had in the step's training forward
     * pass: the value is computed in every training forward pass and assigned in the backward pass that follows
     * (DL4J's {@code fit}), so training-mode inference ({@code output(x, true)}, {@code feedForward(x, true)},
     * {@code score(ds, true)}) leaves the state where it was.
     */
    public void updateState(String paramName, SDVariable newValue) {
        stateUpdates.put(paramName, newValue);
    }

    List<Noise> noise() {
        return Collections.unmodifiableList(noise);
    }

    boolean hasTrainingFlag() {
        return training != null;
    }

    Map<String, SDVariable> stateUpdates() {
        return Collections.unmodifiableMap(stateUpdates);
    }

    /** One dropout site: its placeholder name, drop probability and mask shape. */
    record Noise(String name, double p, Function<long[], long[]> shape) {}
}
