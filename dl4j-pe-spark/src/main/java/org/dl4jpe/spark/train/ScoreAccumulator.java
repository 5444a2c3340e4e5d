package org.dl4jpe.spark.train;

import java.io.Serializable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * The mean minibatch score of an epoch across all Spark workers: a training listener that the training master
 * ships to every worker, adding each minibatch's score to Spark accumulators that the driver reads after the epoch.
 */
final class ScoreAccumulator extends BaseTrainingListener implements Serializable {
    private static final long serialVersionUID = 1L;
    private final DoubleAccumulator sum;
    private final LongAccumulator count;

    ScoreAccumulator(JavaSparkContext sc) {
        this.sum = sc.sc().doubleAccumulator("pe minibatch score sum");
        this.count = sc.sc().longAccumulator("pe minibatches");
    }

    void reset() {
        sum.reset();
        count.reset();
    }

    /** Minibatches scored since the last reset. */
    long count() {
        return count.value();
    }

    /** Their mean score, NaN if none. */
    double mean() {
        long n = count.value();
        return n == 0 ? Double.NaN : sum.value() / n;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        sum.add(model.score());
        count.add(1);
    }
}
