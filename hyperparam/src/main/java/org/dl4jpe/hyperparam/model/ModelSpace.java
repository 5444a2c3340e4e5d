package org.dl4jpe.hyperparam.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.deeplearning4j.arbiter.optimize.api.ParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.FixedValue;
import org.deeplearning4j.arbiter.util.LeafUtils;
import org.dl4jpe.zoo.ModelRegistry;
import org.dl4jpe.zoo.RegisteredModel;
import org.dl4jpe.zoo.Zoo;

/**
 * An Arbiter search space over a zoo model: a registered model (the base) and, per axis ({@link ModelAxes}: the
 * components of its config record, the searchable model options, batch size and epochs), a fixed value or a
 * {@link ParameterSpace} to draw it from. Arbiter's generators (random, grid, genetic) draw
 * {@link ModelCandidate}s from it like from any other space.
 *
 * <pre>{@code
 * ModelSpace space = ModelSpace.builder("vit_pe_micro_patch4_28")
 *         .axis("attention", new DiscreteParameterSpace<>(Scheme.QO_KV, Scheme.QK_VO, Scheme.NONE))
 *         .axis("mlpTie", new DiscreteParameterSpace<>(Tie.TRANSPOSE, Tie.NONE))
 *         .learningRate(new ContinuousParameterSpace(new LogUniformDistribution(3e-4, 3e-3)))
 *         .epochs(2)
 *         .build();
 * }</pre>
 *
 * Axes not named keep the base model's value; {@code batchSize} defaults to {@value #DEFAULT_BATCH_SIZE} and
 * {@code epochs} to {@value #DEFAULT_EPOCHS}. Names are checked when the space is built; a value the model rejects
 * fails that candidate only (the sweep records it and goes on).
 */
public final class ModelSpace implements ParameterSpace<ModelCandidate> {
    public static final int DEFAULT_BATCH_SIZE = org.dl4jpe.zoo.train.RunConfig.DEFAULT_BATCH_SIZE;
    public static final int DEFAULT_EPOCHS = 1;

    private final String baseModel;
    private final Map<String, ParameterSpace<?>> axes;
    private final int numParameters;

    private ModelSpace(String baseModel, Map<String, ParameterSpace<?>> axes) {
        this.baseModel = baseModel;
        this.axes = Collections.unmodifiableMap(new LinkedHashMap<>(axes));
        this.numParameters = LeafUtils.countUniqueParameters(collectLeaves());
    }

    /** A builder over the registered model {@code baseModel} of {@link Zoo#registry()}. */
    public static Builder builder(String baseModel) {
        return new Builder(Zoo.registry(), baseModel);
    }

    /** A builder over the model {@code baseModel} of {@code registry}. */
    public static Builder builder(ModelRegistry registry, String baseModel) {
        return new Builder(registry, baseModel);
    }

    public String baseModel() {
        return baseModel;
    }

    /** Every axis and its space, in order (fixed axes as {@link FixedValue}). */
    public Map<String, ParameterSpace<?>> axes() {
        return axes;
    }

    /** The axes that are searched (spaces with at least one parameter), in order. */
    public List<String> searchedAxes() {
        List<String> out = new ArrayList<>();
        axes.forEach((name, space) -> {
            if (!(space instanceof FixedValue) && space.numParameters() > 0) {
                out.add(name);
            }
        });
        return out;
    }

    /** A copy with axis {@code name} fixed at {@code value} (command-line overrides such as {@code --epochs}). */
    public ModelSpace withFixed(String name, Object value) {
        Map<String, ParameterSpace<?>> m = new LinkedHashMap<>(axes);
        m.put(name, new FixedValue<>(value));
        return new ModelSpace(baseModel, m);
    }

    @Override
    public ModelCandidate getValue(double[] values) {
        Map<String, Object> choices = new LinkedHashMap<>();
        axes.forEach((name, space) -> choices.put(name, space.getValue(values)));
        return new ModelCandidate(baseModel, choices);
    }

    @Override
    public int numParameters() {
        return numParameters;
    }

    /** The searched leaves, in axis order: each axis lists its own (a {@link FixedValue} has none). */
    @Override
    public List<ParameterSpace> collectLeaves() {
        List<ParameterSpace> out = new ArrayList<>();
        for (ParameterSpace<?> space : axes.values()) {
            out.addAll(space.collectLeaves());
        }
        return out;
    }

    @Override
    public Map<String, ParameterSpace> getNestedSpaces() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(axes));
    }

    @Override
    public boolean isLeaf() {
        return false;
    }

    @Override
    public void setIndices(int... indices) {
        throw new UnsupportedOperationException("ModelSpace is not a leaf: its axes get the indices");
    }

    /** The base model and every axis with its space: two spaces with equal text search the same candidates. */
    @Override
    public String toString() {
        StringJoiner j = new StringJoiner(", ", "ModelSpace(" + baseModel + ": ", ")");
        axes.forEach((k, v) -> j.add(k + "=" + v));
        return j.toString();
    }

    /** Builder: the base model is required; every axis it does not name keeps the base's value. */
    public static final class Builder {
        private final RegisteredModel model;
        private final Map<String, ParameterSpace<?>> axes = new LinkedHashMap<>();

        private Builder(ModelRegistry registry, String baseModel) {
            this.model = registry.get(baseModel);
            if (model.config() == null || !model.config().getClass().isRecord()) {
                throw new IllegalArgumentException("model " + baseModel + " was not registered by a family with a"
                        + " config record, so its architecture cannot be searched");
            }
        }

        /** Axis {@code name} ({@link ModelAxes}) drawn from {@code space}; the message lists the valid names. */
        public Builder axis(String name, ParameterSpace<?> space) {
            ModelAxes.axis(model, name);
            if (space == null) {
                throw new IllegalArgumentException("axis " + name + ": space must not be null");
            }
            axes.put(name, space);
            return this;
        }

        /** Axis {@code name} fixed at {@code value}. */
        public Builder fixed(String name, Object value) {
            ModelAxes.Axis a = ModelAxes.axis(model, name);
            Object v = ModelAxes.convert(a, value);
            return axis(
                    name,
                    new FixedValue<>(
                            v instanceof int[] arr
                                    ? java.util.Arrays.stream(arr).boxed().toList()
                                    : v));
        }

        public Builder learningRate(ParameterSpace<Double> space) {
            return axis("learningRate", space);
        }

        public Builder weightDecay(ParameterSpace<Double> space) {
            return axis("weightDecay", space);
        }

        public Builder batchSize(ParameterSpace<Integer> space) {
            return axis(ModelAxes.BATCH_SIZE, space);
        }

        public Builder batchSize(int batchSize) {
            return fixed(ModelAxes.BATCH_SIZE, batchSize);
        }

        public Builder epochs(ParameterSpace<Integer> space) {
            return axis(ModelAxes.EPOCHS, space);
        }

        public Builder epochs(int epochs) {
            return fixed(ModelAxes.EPOCHS, epochs);
        }

        public ModelSpace build() {
            Map<String, ParameterSpace<?>> m = new LinkedHashMap<>(axes);
            m.putIfAbsent(ModelAxes.BATCH_SIZE, new FixedValue<>(DEFAULT_BATCH_SIZE));
            m.putIfAbsent(ModelAxes.EPOCHS, new FixedValue<>(DEFAULT_EPOCHS));
            return new ModelSpace(model.name(), m);
        }
    }
}
