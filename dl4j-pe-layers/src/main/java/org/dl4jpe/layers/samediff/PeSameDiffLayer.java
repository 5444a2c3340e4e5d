package org.dl4jpe.layers.samediff;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;

/**
 * Base class for SameDiff layers whose gradients are right on DL4J 1.0.0-M2.1, and that know whether they are
 * training.
 *
 * <p><b>Why.</b> DL4J 1.0.0-M2 and M2.1 return twice the true gradient from every {@code SameDiffLayer}: both the
 * parameter gradients and the epsilon passed to the layer below. The layer implementation feeds the epsilon
 * through ND4J's {@code ExternalErrorsFunction}, whose {@code doDiff} both registers the epsilon placeholder as the
 * output's gradient and returns it, and {@code SameDiff.createGradFunction} adds the two. DL4J 1.0.0-M1.1 is
 * right. A layer extending this class instead of {@code SameDiffLayer} is run by {@link PeSameDiffLayerImpl},
 * which differentiates {@code sum(output * epsilon)} instead: the exact gradient, with no correction factor that
 * a fixed DL4J release would make wrong.
 *
 * <p><b>What else it gives.</b> DL4J passes no training flag to SameDiff layers. Here {@link #define} gets a
 * {@link LayerContext} with a training flag, dropout that acts only in training (with the same mask forward and
 * backward), and state parameters (e.g. BatchNorm running statistics) that are updated when a training step is
 * taken (in the backward pass) and are never touched by the updater or by regularization.
 *
 * <p><b>Writing a layer.</b> Implement {@link #defineParameters}, {@link #initializeParameters},
 * {@link #getOutputType} and {@link #define}; keep configuration in plain non-final fields (DL4J serializes
 * every field to JSON, getters are not needed) and give the class a no-argument constructor. {@link #equals} and {@link #hashCode} compare
 * every instance field declared by subclasses, so there is nothing to write by hand.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
public abstract class PeSameDiffLayer extends SameDiffLayer {

    protected PeSameDiffLayer(Builder<?> builder) {
        super(builder);
    }

    /** For JSON deserialization. */
    protected PeSameDiffLayer() {}

    /**
     * Defines the forward pass.
     *
     * @param ctx    the graph, the training flag, dropout and state updates
     * @param input  the layer input, in the layout DL4J gives the layer's input type
     * @param params parameter variables, by the names given in {@link #defineParameters}
     * @param mask   DL4J's mask for the input: [N, T] for sequences, all ones when the data has none
     * @return the layer output
     */
    public abstract SDVariable define(
            LayerContext ctx, SDVariable input, Map<String, SDVariable> params, SDVariable mask);

    /**
     * Names of parameters that are state, not weights: they are updated by {@link LayerContext#updateState},
     * get no gradient, no updater and no regularization. Declare them in {@link #defineParameters} with
     * {@code addBiasParam}.
     */
    public Set<String> stateParams() {
        return Collections.emptySet();
    }

    /** The number of parameters that training changes through gradients (all but {@link #stateParams()}). */
    public long numTrainableParams() {
        long n = 0;
        for (Map.Entry<String, long[]> e : getLayerParams().getParamShapes().entrySet()) {
            if (!stateParams().contains(e.getKey())) {
                long size = 1;
                for (long d : e.getValue()) {
                    size *= d;
                }
                n += size;
            }
        }
        return n;
    }

    @Override
    public final SDVariable defineLayer(
            SameDiff sameDiff, SDVariable layerInput, Map<String, SDVariable> paramTable, SDVariable mask) {
        return define(new LayerContext(sameDiff, layerInput.dataType()), layerInput, paramTable, mask);
    }

    /**
     * Checks the configuration fields, with messages that name the layer, the field, its value and what is valid.
     * The builders run it, and so does {@link #instantiate}: a configuration read from JSON or a saved model (perhaps
     * edited by hand) is checked when the network is initialised, not by a native op error later.
     */
    public void validateConfiguration() {}

    /**
     * Checks one input (and its mask) before a pass: at least one example, {@link #validateInput(INDArray)}, and for
     * a sequence {@code [N, D, T]} a mask of shape {@code [N, T]} (or none).
     */
    public void validateInput(INDArray input, INDArray mask) {
        if (input.rank() >= 1 && input.size(0) == 0) {
            throw new IllegalArgumentException(describe() + ": input " + java.util.Arrays.toString(input.shape())
                    + " has no examples (N = 0); give at least one");
        }
        validateInput(input);
        if (mask != null && input.rank() == 3) {
            long n = input.size(0);
            long t = input.size(2);
            if (mask.rank() != 2 || mask.size(0) != n || mask.size(1) != t) {
                throw new IllegalArgumentException(describe() + ": mask " + java.util.Arrays.toString(mask.shape())
                        + " does not fit input " + java.util.Arrays.toString(input.shape()) + " [N, D, T]: a sequence "
                        + "mask is [N, T] = [" + n + ", " + t + "], 1 for tokens and 0 for padding");
            }
        }
    }

    /**
     * DL4J's parameter initializer, after {@link #validateConfiguration()}: DL4J asks for it when it sizes the
     * parameters at network init, whichever runtime class a layer instantiates, so a configuration from JSON is
     * checked before anything else runs.
     */
    @Override
    public org.deeplearning4j.nn.api.ParamInitializer initializer() {
        validateConfiguration();
        return super.initializer();
    }

    @Override
    public Layer instantiate(
            NeuralNetConfiguration conf,
            Collection<TrainingListener> trainingListeners,
            int layerIndex,
            INDArray layerParamsView,
            boolean initializeParams,
            DataType networkDataType) {
        validateConfiguration();
        PeSameDiffLayerImpl ret = newImpl(conf, networkDataType);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(layerParamsView);
        Map<String, INDArray> paramTable = initializer().init(conf, layerParamsView, initializeParams);
        ret.setParamTable(paramTable);
        ret.setConf(conf);
        ret.setListeners(trainingListeners);
        return ret;
    }

    /**
     * The layer implementation DL4J runs: the SameDiff runtime ({@link PeSameDiffLayerImpl}) unless a layer with its
     * own engine returns a subclass.
     */
    protected PeSameDiffLayerImpl newImpl(NeuralNetConfiguration conf, DataType networkDataType) {
        return new PeSameDiffLayerImpl(conf, networkDataType);
    }

    @Override
    public IUpdater getUpdaterByParam(String paramName) {
        return stateParams().contains(paramName) ? new NoOp() : super.getUpdaterByParam(paramName);
    }

    @Override
    public List<Regularization> getRegularizationByParam(String paramName) {
        return stateParams().contains(paramName) ? Collections.emptyList() : super.getRegularizationByParam(paramName);
    }

    /**
     * Initializes a weight with the layer's weight initialization for that parameter: the one given with
     * {@code weightInit(param, IWeightInit)} if any, else {@code weightInit(WeightInit)} (Xavier by default).
     */
    protected void initWeight(Map<String, INDArray> params, String name, double fanIn, double fanOut) {
        INDArray view = params.get(name);
        org.deeplearning4j.nn.weights.IWeightInit fn = paramWeightInit != null && paramWeightInit.containsKey(name)
                ? paramWeightInit.get(name)
                : (weightInit == null ? org.deeplearning4j.nn.weights.WeightInit.XAVIER : weightInit)
                        .getWeightInitFunction();
        fn.init(fanIn, fanOut, view.shape(), 'c', view);
    }

    /** The name used in error messages: the layer's name if it has one, else its class. */
    protected String describe() {
        return getClass().getSimpleName() + (getLayerName() == null ? "" : " '" + getLayerName() + "'");
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || o.getClass() != getClass()) {
            return false;
        }
        PeSameDiffLayer other = (PeSameDiffLayer) o;
        // DL4J's Lombok equals compares the lazily built parameter table; build it on both sides first.
        getLayerParams();
        other.getLayerParams();
        if (!super.equals(o)) {
            return false;
        }
        for (Field f : ownFields()) {
            if (!Objects.deepEquals(read(f, this), read(f, other))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        getLayerParams();
        int h = super.hashCode();
        for (Field f : ownFields()) {
            h = 31 * h + java.util.Arrays.deepHashCode(new Object[] {read(f, this)});
        }
        return h;
    }

    private List<Field> ownFields() {
        List<Field> fields = new ArrayList<>();
        for (Class<?> c = getClass(); c != PeSameDiffLayer.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                if (!Modifier.isStatic(m) && !Modifier.isTransient(m)) {
                    fields.add(f);
                }
            }
        }
        return fields;
    }

    private static Object read(Field f, Object target) {
        try {
            f.setAccessible(true);
            return f.get(target);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read field " + f, e);
        }
    }
}
