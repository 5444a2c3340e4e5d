package org.dl4jpe.layers;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A layer's parameters and gradient views as a direct engine uses them: parameters read into Java arrays once per
 * pass, gradients added up over a backward pass (a tied matrix gets one contribution per use) and written into
 * DL4J's gradient views, zero for a parameter that got none.
 */
final class DirectParams {
    private final Map<String, INDArray> params;
    private final Map<String, INDArray> grads;
    private final DirectBuffers buf;
    private final Set<String> touched = new HashSet<>();

    DirectParams(Map<String, INDArray> params, Map<String, INDArray> grads, DirectBuffers buf) {
        this.params = params;
        this.grads = grads;
        this.buf = buf;
    }

    DirectBuffers buffers() {
        return buf;
    }

    /** The parameter as DL4J holds it (a view into the network's parameters). */
    INDArray nd(String name) {
        INDArray a = params.get(name);
        if (a == null) {
            throw new IllegalStateException("no parameter " + name + " in " + params.keySet());
        }
        return a;
    }

    /** The parameter's values in row-major order, in a Java array. */
    double[] host(String name) {
        return buf.read(nd(name), "param:" + name);
    }

    /** Starts a backward pass. */
    void beginBackward() {
        touched.clear();
    }

    /** Adds {@code g} (the parameter's shape, or its transpose when {@code transposed}) to the gradient of {@code name}. */
    void addGradient(String name, INDArray g, boolean transposed) {
        INDArray view = grads.get(name);
        INDArray v = transposed ? g.transpose() : g;
        if (touched.add(name)) {
            view.assign(v.reshape(view.shape()));
        } else {
            view.addi(v.reshape(view.shape()));
        }
    }

    /** Adds {@code g} (row-major, the parameter's length) to the gradient of {@code name}. */
    void addGradient(String name, double[] g) {
        INDArray view = grads.get(name);
        addGradient(name, buf.write(g, "grad:" + name, view.shape()), false);
    }

    /** Ends a backward pass: parameters that got no gradient get 0. */
    void endBackward() {
        for (Map.Entry<String, INDArray> e : grads.entrySet()) {
            if (!touched.contains(e.getKey())) {
                e.getValue().assign(0);
            }
        }
    }
}
