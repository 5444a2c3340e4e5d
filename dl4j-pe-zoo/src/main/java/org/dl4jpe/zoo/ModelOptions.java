package org.dl4jpe.zoo;

import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The options every zoo model accepts. A registered model states its own defaults (input size, classes, recipe);
 * a caller changes only what it names: {@code Zoo.create("vit_pe_micro_patch4_28", o -> o.withNumClasses(5))}.
 *
 * <p>Defaults ({@link #DEFAULTS}): 1000 classes, 224×224×3 input, seed 42, AdamW at learning rate 1e-3, weight
 * decay 0.05, no dropout, no drop path, workspaces {@link WorkspaceMode#ENABLED}, cache {@link CacheMode#NONE},
 * float parameters.
 *
 * @param numClasses     outputs of the classifier head (positive)
 * @param inputHeight    input image height in pixels (positive)
 * @param inputWidth     input image width in pixels (positive)
 * @param inputChannels  input image channels (positive)
 * @param seed           seed of the parameter initialisation (and, in training, of data order and dropout)
 * @param updater        the optimiser
 * @param learningRate   its learning rate (positive, finite)
 * @param weightDecay    weight decay coefficient, decoupled or L2 as {@link UpdaterKind} says (≥ 0)
 * @param dropout        dropout probability inside the model (timm's {@code drop_rate}, in [0, 1))
 * @param dropPath       stochastic depth probability of the last block (timm's {@code drop_path_rate}, in [0, 1))
 * @param workspaceMode  DL4J workspace mode for training and inference
 * @param cacheMode      DL4J cache mode
 * @param dataType       parameter and activation type (FLOAT; DOUBLE for gradient checks)
 */
public record ModelOptions(
        int numClasses,
        int inputHeight,
        int inputWidth,
        int inputChannels,
        long seed,
        UpdaterKind updater,
        double learningRate,
        double weightDecay,
        double dropout,
        double dropPath,
        WorkspaceMode workspaceMode,
        CacheMode cacheMode,
        DataType dataType) {

    /** The defaults stated in the class comment. */
    public static final ModelOptions DEFAULTS = new ModelOptions(1000, 224, 224, 3, 42L, UpdaterKind.ADAMW, 1e-3, 0.05,
            0.0, 0.0, WorkspaceMode.ENABLED, CacheMode.NONE, DataType.FLOAT);

    /** Validates every field; the message names the option, its value and what is valid. */
    public ModelOptions {
        positive("numClasses", numClasses);
        positive("inputHeight", inputHeight);
        positive("inputWidth", inputWidth);
        positive("inputChannels", inputChannels);
        if (updater == null) {
            throw new IllegalArgumentException("updater must not be null (one of adamw, adam, nesterovs, sgd)");
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learningRate " + learningRate + " must be positive and finite");
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weightDecay " + weightDecay + " must be >= 0 and finite");
        }
        probability("dropout", dropout);
        probability("dropPath", dropPath);
        if (workspaceMode == null || cacheMode == null || dataType == null) {
            throw new IllegalArgumentException("workspaceMode, cacheMode and dataType must not be null");
        }
        if (!dataType.isFPType()) {
            throw new IllegalArgumentException("dataType " + dataType + " must be a floating point type (FLOAT, DOUBLE, HALF)");
        }
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " " + value + " must be positive");
        }
    }

    private static void probability(String field, double value) {
        if (!(value >= 0.0 && value < 1.0)) {
            throw new IllegalArgumentException(field + " " + value + " must be in [0, 1)");
        }
    }

    public ModelOptions withNumClasses(int v) {
        return new ModelOptions(v, inputHeight, inputWidth, inputChannels, seed, updater, learningRate, weightDecay,
                dropout, dropPath, workspaceMode, cacheMode, dataType);
    }

    /** A square input of {@code size}×{@code size} pixels. */
    public ModelOptions withInputSize(int size) {
        return withInputShape(size, size, inputChannels);
    }

    public ModelOptions withInputShape(int height, int width, int channels) {
        return new ModelOptions(numClasses, height, width, channels, seed, updater, learningRate, weightDecay,
                dropout, dropPath, workspaceMode, cacheMode, dataType);
    }

    public ModelOptions withInputChannels(int v) {
        return withInputShape(inputHeight, inputWidth, v);
    }

    public ModelOptions withSeed(long v) {
        return new ModelOptions(numClasses, inputHeight, inputWidth, inputChannels, v, updater, learningRate,
                weightDecay, dropout, dropPath, workspaceMode, cacheMode, dataType);
    }

    public ModelOptions withUpdater(UpdaterKind v) {
        return new ModelOptions(numClasses, inputHeight, inputWidth, inputChannels, seed, v, learningRate, weightDecay,
                dropout, dropPath, workspaceMode, cacheMode, dataType);
    }

    public ModelOptions withLearningRate(double v) {
        return new ModelOptions(numClasses, inputHeight, inputWidth, inputChannels, seed, updater, v, weightDecay,
                dropout, dropPath, workspaceMode, cacheMode, dataType);
    }

    public ModelOptions withWeightDecay(double v) {
        return new ModelOptions(numClasses, inputHeight, inputWidth, inputChannels, seed, updater, learningRate, v,
                dropout, dropPath, workspaceMode, cacheMode, dataType);
    }

    public ModelOptions withDropout(double v) {
        return new ModelOptions(numClasses, inputHeight, inputWidth, inputChannels, seed, updater, learningRate,
                weightDecay, v, dropPath, workspaceMode, cacheMode, dataType);
    }

    public ModelOptions withDropPath(double v) {
        return new ModelOptions(numClasses, inputHeight, inputWidth, inputChannels, seed, updater, learningRate,
                weightDecay, dropout, v, workspaceMode, cacheMode, dataType);
    }

    public ModelOptions withWorkspaceMode(WorkspaceMode v) {
        return new ModelOptions(numClasses, inputHeight, inputWidth, inputChannels, seed, updater, learningRate,
                weightDecay, dropout, dropPath, v, cacheMode, dataType);
    }

    public ModelOptions withCacheMode(CacheMode v) {
        return new ModelOptions(numClasses, inputHeight, inputWidth, inputChannels, seed, updater, learningRate,
                weightDecay, dropout, dropPath, workspaceMode, v, dataType);
    }

    public ModelOptions withDataType(DataType v) {
        return new ModelOptions(numClasses, inputHeight, inputWidth, inputChannels, seed, updater, learningRate,
                weightDecay, dropout, dropPath, workspaceMode, cacheMode, v);
    }

    /** Applies {@code change} to these options: the form {@code Zoo.create(name, o -> o.withX(..))} uses. */
    public ModelOptions with(UnaryOperator<ModelOptions> change) {
        ModelOptions changed = change.apply(this);
        if (changed == null) {
            throw new IllegalArgumentException("an options change returned null");
        }
        return changed;
    }

    /**
     * The graph-wide part of a DL4J configuration that these options fix: seed, updater, weight decay,
     * workspace and cache modes, data type. A family starts its {@code graphBuilder()} from here, so every
     * family honours the options the same way.
     */
    public NeuralNetConfiguration.Builder baseConfiguration() {
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(updater.create(learningRate))
                .trainingWorkspaceMode(workspaceMode)
                .inferenceWorkspaceMode(workspaceMode)
                .cacheMode(cacheMode)
                .dataType(dataType);
        if (weightDecay > 0) {
            if (updater.decoupledWeightDecay()) {
                b.weightDecay(weightDecay);
            } else {
                b.l2(weightDecay);
            }
        }
        return b;
    }
}
