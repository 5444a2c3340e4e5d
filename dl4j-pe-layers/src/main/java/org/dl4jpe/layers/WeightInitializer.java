package org.dl4jpe.layers;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A layer's weight initialization, handed to the static parameter helpers that several layers share (a layer
 * passes {@code this::initWeight}).
 */
@FunctionalInterface
interface WeightInitializer {
    /** Initializes {@code params.get(name)} in place for the given fan in and fan out. */
    void init(Map<String, INDArray> params, String name, double fanIn, double fanOut);
}
