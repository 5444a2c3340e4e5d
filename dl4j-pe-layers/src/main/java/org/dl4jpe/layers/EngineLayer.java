package org.dl4jpe.layers;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.dl4jpe.layers.samediff.PeSameDiffLayer;
import org.dl4jpe.layers.samediff.PeSameDiffLayerImpl;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A layer with a choice of {@link Engine}: {@link Engine#DIRECT} (the default) runs it with {@link DirectLayerImpl},
 * {@link Engine#SAMEDIFF} with the SameDiff runtime of its {@code define}. The engine is part of the configuration
 * (JSON and {@code ModelSerializer}); a configuration saved without it loads with {@link Engine#DIRECT}.
 */
public abstract class EngineLayer extends PeSameDiffLayer {
    private Engine engine = Engine.DIRECT;

    protected EngineLayer(Builder<?> builder) {
        super(builder);
        Check.notNull(describe(), "engine", builder.engine);
        this.engine = builder.engine;
    }

    /** For JSON deserialization. */
    protected EngineLayer() {}

    /** How DL4J runs the layer; default {@link Engine#DIRECT}. */
    public Engine getEngine() {
        return engine;
    }

    @Override
    protected PeSameDiffLayerImpl newImpl(NeuralNetConfiguration conf, DataType networkDataType) {
        return engine == Engine.SAMEDIFF ? super.newImpl(conf, networkDataType) : directImpl(conf, networkDataType);
    }

    /** The implementation of {@link Engine#DIRECT}: {@link DirectLayerImpl} unless a layer has its own. */
    protected PeSameDiffLayerImpl directImpl(NeuralNetConfiguration conf, DataType networkDataType) {
        return new DirectLayerImpl(conf, networkDataType);
    }

    /** The builders of these layers: {@link #engine}. */
    public abstract static class Builder<T extends Builder<T>> extends SameDiffLayer.Builder<T> {
        private Engine engine = Engine.DIRECT;

        /** How DL4J runs the layer; default {@link Engine#DIRECT} ({@link Engine#SAMEDIFF}: the reference). */
        @SuppressWarnings("unchecked")
        public T engine(Engine engine) {
            this.engine = engine;
            return (T) this;
        }
    }
}
