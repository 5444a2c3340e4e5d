package org.dl4jpe.zoo.train;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Training loss and accuracy of a batch from the training forward pass itself, without a second forward pass.
 * DL4J hands listeners every activation except the output layer's; for a softmax {@link OutputLayer} fed by one
 * vertex, the logits are {@code x W + b} from that vertex's activation {@code x} (before the output layer's own
 * input dropout, if any). For other output structures {@link #available()} is false and the trainer falls back
 * to {@code score()} and an inference-mode forward pass.
 */
final class BatchStats extends BaseTrainingListener {
    private final String outputName;
    private final String inputName;
    private INDArray labels;
    private double loss = Double.NaN;
    private long correct;
    private boolean computed;

    BatchStats(ComputationGraph net) {
        String out = null;
        String in = null;
        List<String> outputs = net.getConfiguration().getNetworkOutputs();
        if (outputs.size() == 1) {
            org.deeplearning4j.nn.conf.graph.GraphVertex v =
                    net.getConfiguration().getVertices().get(outputs.get(0));
            List<String> inputs = net.getConfiguration().getVertexInputs().get(outputs.get(0));
            if (v instanceof org.deeplearning4j.nn.conf.graph.LayerVertex lv
                    && lv.getLayerConf().getLayer() instanceof OutputLayer ol
                    && ol.getActivationFn() instanceof org.nd4j.linalg.activations.impl.ActivationSoftmax
                    && lv.getPreProcessor() == null
                    && inputs != null
                    && inputs.size() == 1
                    && !net.getConfiguration().getNetworkInputs().contains(inputs.get(0))) {
                out = outputs.get(0);
                in = inputs.get(0);
            }
        }
        this.outputName = out;
        this.inputName = in;
    }

    /** Whether loss and accuracy come from the training forward pass. */
    boolean available() {
        return outputName != null;
    }

    /** Sets the labels of the batch about to be fitted. */
    void expect(INDArray batchLabels) {
        this.labels = batchLabels;
        this.computed = false;
        this.loss = Double.NaN;
        this.correct = 0;
    }

    boolean computed() {
        return computed;
    }

    /** Mean cross-entropy of the last batch (no regularisation term). */
    double loss() {
        return loss;
    }

    long correct() {
        return correct;
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        if (outputName == null || labels == null) {
            return;
        }
        INDArray x = activations.get(inputName);
        if (x == null || x.rank() != 2) {
            return;
        }
        Layer out = ((ComputationGraph) model).getLayer(outputName);
        INDArray w = out.getParam("W");
        INDArray b = out.getParam("b");
        float[][] logits = x.castTo(w.dataType())
                .mmul(w)
                .addiRowVector(b)
                .castTo(DataType.DOUBLE)
                .toFloatMatrix();
        float[][] y = labels.toFloatMatrix();
        double sum = 0;
        long right = 0;
        for (int i = 0; i < logits.length; i++) {
            float[] z = logits[i];
            int actual = Evaluator.argmax(y[i]);
            int predicted = Evaluator.argmax(z);
            double max = z[predicted];
            double norm = 0;
            for (float v : z) {
                norm += Math.exp(v - max);
            }
            sum += -(z[actual] - max - Math.log(norm));
            if (predicted == actual) {
                right++;
            }
        }
        loss = sum / logits.length;
        correct = right;
        computed = true;
    }
}
