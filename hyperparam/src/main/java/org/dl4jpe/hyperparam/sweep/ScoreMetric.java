package org.dl4jpe.hyperparam.sweep;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.deeplearning4j.arbiter.optimize.api.data.DataProvider;
import org.deeplearning4j.arbiter.optimize.api.data.DataSource;
import org.deeplearning4j.arbiter.optimize.api.score.ScoreFunction;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.dl4jpe.zoo.data.ImageSource;
import org.dl4jpe.zoo.data.Normalization;
import org.dl4jpe.zoo.train.EvalResult;
import org.dl4jpe.zoo.train.Evaluator;

/** What a sweep optimises: validation accuracy (higher is better) or validation loss (lower is better). */
public enum ScoreMetric {
    ACCURACY("validation accuracy", false),
    LOSS("validation loss", true);

    private final String label;
    private final boolean minimize;

    ScoreMetric(String label, boolean minimize) {
        this.label = label;
        this.minimize = minimize;
    }

    public String label() {
        return label;
    }

    public boolean minimize() {
        return minimize;
    }

    /** The score of an evaluation on the validation split. */
    public double of(EvalResult validation) {
        return this == ACCURACY ? validation.accuracy() : validation.loss();
    }

    /** Whether {@code a} is better than {@code b} (NaN is never better). */
    public boolean better(double a, double b) {
        if (Double.isNaN(a)) {
            return false;
        }
        if (Double.isNaN(b)) {
            return true;
        }
        return minimize ? a < b : a > b;
    }

    /** Parses {@code accuracy} or {@code loss}; the message lists both. */
    public static ScoreMetric parse(String s) {
        for (ScoreMetric m : values()) {
            if (m.name().equalsIgnoreCase(s.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException("score = '" + s + "' is not one of accuracy, loss");
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** This metric as Arbiter's score function: evaluates a {@link ComputationGraph} on the validation split. */
    public ScoreFunction scoreFunction() {
        return new Function(this);
    }

    /** Arbiter's view of a {@link ScoreMetric}. */
    static final class Function implements ScoreFunction {
        private final ScoreMetric metric;

        Function(ScoreMetric metric) {
            this.metric = metric;
        }

        ScoreMetric metric() {
            return metric;
        }

        @Override
        public double score(Object model, DataProvider dataProvider, Map<String, Object> dataParameters) {
            ImageSource validation = (ImageSource) dataProvider.testData(dataParameters);
            return metric.of(Evaluator.evaluate((ComputationGraph) model, validation, 256, Normalization.UNIT));
        }

        @Override
        public double score(Object model, Class<? extends DataSource> dataSource, Properties dataSourceProperties) {
            throw new UnsupportedOperationException("sweeps give their data as a DataProvider (SweepData)");
        }

        @Override
        public boolean minimize() {
            return metric.minimize();
        }

        @Override
        public List<Class<?>> getSupportedModelTypes() {
            return List.of(ComputationGraph.class);
        }

        @Override
        public List<Class<?>> getSupportedDataTypes() {
            return List.of(ImageSource.class);
        }

        @Override
        public String toString() {
            return "ScoreMetric(" + metric.label() + ")";
        }
    }
}
