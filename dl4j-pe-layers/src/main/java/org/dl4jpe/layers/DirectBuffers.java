package org.dl4jpe.layers;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Detached arrays owned by one layer of a direct engine, one per name and shape, reused from pass to pass. A new
 * input shape drops the buffers of the previous one (arrays that the latest training pass kept stay referenced
 * where they were kept).
 */
final class DirectBuffers {
    private final Map<String, INDArray> buffers = new HashMap<>();
    private final DataType dataType;
    private long[] inputShape;

    DirectBuffers(DataType dataType) {
        this.dataType = dataType;
    }

    /** Call at the start of a pass: a different input shape than last time drops every buffer. */
    void forInput(long[] shape) {
        if (!Arrays.equals(shape, inputShape)) {
            buffers.clear();
            inputShape = shape.clone();
        }
    }

    INDArray get(String name, long... shape) {
        String key = name + Arrays.toString(shape);
        INDArray b = buffers.get(key);
        if (b == null) {
            b = Nd4j.createUninitializedDetached(dataType, shape);
            buffers.put(key, b);
        }
        return b;
    }
}
