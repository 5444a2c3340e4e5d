package org.dl4jpe.zoo.train;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.zoo.data.ImageBatchIterator;
import org.dl4jpe.zoo.data.ImageSource;
import org.dl4jpe.zoo.data.Normalization;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/** Evaluates a classifier (softmax output) on an {@link ImageSource}, in inference mode. */
public final class Evaluator {
    private Evaluator() {}

    public static EvalResult evaluate(
            ComputationGraph net, ImageSource source, int batchSize, Normalization normalization) {
        int k = source.numClasses();
        long[][] confusion = new long[k][k];
        double lossSum = 0;
        long n = 0;
        ImageBatchIterator it = ImageBatchIterator.evaluation(source, batchSize, normalization);
        while (it.hasNext()) {
            DataSet ds = it.next();
            INDArray out = net.outputSingle(false, ds.getFeatures());
            if (out.size(1) != k) {
                throw new IllegalArgumentException("the model has " + out.size(1) + " outputs but "
                        + source.description() + " has " + k + " classes");
            }
            float[][] p = out.castTo(DataType.FLOAT).toFloatMatrix();
            float[][] y = ds.getLabels().toFloatMatrix();
            for (int i = 0; i < p.length; i++) {
                int actual = argmax(y[i]);
                int predicted = argmax(p[i]);
                confusion[actual][predicted]++;
                lossSum += -Math.log(Math.max(p[i][actual], 1e-10));
                n++;
            }
        }
        return new EvalResult(n, n == 0 ? Double.NaN : lossSum / n, confusion, source.classNames());
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
