package org.dl4jpe.zoo;

import java.util.Objects;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.zoo.ModelMetaData;
import org.deeplearning4j.zoo.PretrainedType;
import org.deeplearning4j.zoo.ZooModel;
import org.deeplearning4j.zoo.ZooType;

/**
 * A zoo model through DL4J's {@link ZooModel} API: {@code init()} returns the initialised
 * {@link ComputationGraph}. There are no pretrained weights ({@link #pretrainedAvailable} is false).
 *
 * <pre>{@code
 * ZooModel<?> zm = PeZooModel.of("vit_pe_micro_patch4_28");
 * ComputationGraph net = zm.init();
 * }</pre>
 */
public final class PeZooModel extends ZooModel<PeZooModel> {
    private final String name;
    private final Function<ModelOptions, ComputationGraph> builder;
    private ModelOptions options;

    private PeZooModel(String name, ModelOptions options, Function<ModelOptions, ComputationGraph> builder) {
        this.name = name;
        this.options = options;
        this.builder = builder;
    }

    /** The registered model {@code name} with its default options. */
    public static PeZooModel of(String name) {
        RegisteredModel m = Zoo.get(name);
        return new PeZooModel(m.name(), m.defaultOptions(), m::create);
    }

    /** The registered model {@code name} with its default options changed by {@code change}. */
    public static PeZooModel of(String name, UnaryOperator<ModelOptions> change) {
        RegisteredModel m = Zoo.get(name);
        return new PeZooModel(m.name(), m.options(change), m::create);
    }

    /** Any variant of a family, registered or not, under {@code options}. */
    public static <C> PeZooModel of(ModelFamily<C> family, C config, ModelOptions options) {
        Objects.requireNonNull(config, "config");
        return new PeZooModel(family.name(), Objects.requireNonNull(options, "options"), o -> family.build(config, o));
    }

    public ModelOptions options() {
        return options;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <M extends Model> M init() {
        return (M) builder.apply(options);
    }

    /** Shape {@code {{channels, height, width}}}: one input, as DL4J's zoo models give it. */
    @Override
    public void setInputShape(int[][] inputShape) {
        if (inputShape == null || inputShape.length != 1 || inputShape[0] == null || inputShape[0].length != 3) {
            throw new IllegalArgumentException(name + ": inputShape must be {{channels, height, width}}");
        }
        options = options.withInputShape(inputShape[0][1], inputShape[0][2], inputShape[0][0]);
    }

    @Override
    public ModelMetaData metaData() {
        return new ModelMetaData(
                new int[][] {{options.inputChannels(), options.inputHeight(), options.inputWidth()}}, 1, ZooType.CNN);
    }

    @Override
    public Class<? extends Model> modelType() {
        return ComputationGraph.class;
    }

    @Override
    public String pretrainedUrl(PretrainedType pretrainedType) {
        return null;
    }

    @Override
    public long pretrainedChecksum(PretrainedType pretrainedType) {
        return 0L;
    }

    @Override
    public String modelName() {
        return name;
    }
}
