package org.dl4jpe.hyperparam.sweep;

import java.awt.BasicStroke;
import java.awt.Font;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.dl4jpe.zoo.train.Charts;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The two plots of a sweep report (JFreeChart, headless PNG): the score of every candidate in the order they ran
 * with the best so far, and the score against the trainable parameter count, one marker colour per value of the
 * categorical axes (tie scheme, sharing level): the accuracy/size trade-off that parameter sharing is about.
 */
final class SweepCharts {
    static final String PER_CANDIDATE = "score-per-candidate.png";
    static final String VS_PARAMETERS = "score-vs-parameters.png";

    private static final int MAX_GROUPS = Charts.paletteSize();

    private SweepCharts() {}

    /** Score of each finished candidate by number, and the best score so far. */
    static void perCandidate(SweepResult r, ScoreMetric metric, Path png) throws IOException {
        XYSeries scores = new XYSeries("candidate");
        XYSeries best = new XYSeries("best so far");
        double bestSoFar = Double.NaN;
        for (CandidateRecord c : r.records()) {
            if (!c.finished() || Double.isNaN(c.scoreOrNaN())) {
                continue;
            }
            double s = scale(metric, c.score().value());
            scores.add(c.candidate(), s);
            if (metric.better(c.score().value(), unscale(metric, bestSoFar))) {
                bestSoFar = s;
            }
            best.add(c.candidate(), bestSoFar);
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(scores);
        data.addSeries(best);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer();
        renderer.setSeriesLinesVisible(0, false);
        renderer.setSeriesShapesVisible(0, true);
        renderer.setSeriesShape(0, new Ellipse2D.Double(-5, -5, 10, 10));
        renderer.setSeriesPaint(0, Charts.color(0));
        renderer.setSeriesLinesVisible(1, true);
        renderer.setSeriesShapesVisible(1, false);
        renderer.setSeriesPaint(1, Charts.color(1));
        renderer.setSeriesStroke(1, new BasicStroke(2f));
        NumberAxis x = new NumberAxis("candidate");
        x.setTickUnit(new NumberTickUnit(Math.max(1, Math.ceil(r.records().size() / 12.0))));
        x.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(data, x, scoreAxis(metric, scores), renderer);
        write(metric.label() + " per candidate", plot, png);
    }

    /** Score against trainable parameters, a series per combination of the categorical axes' values. */
    static void versusParameters(SweepResult r, ScoreMetric metric, Path png) throws IOException {
        List<String> groupAxes = categoricalAxes(r);
        Map<String, XYSeries> groups = new LinkedHashMap<>();
        double minP = Double.MAX_VALUE;
        double maxP = 0;
        for (CandidateRecord c : r.records()) {
            if (!c.finished() || Double.isNaN(c.scoreOrNaN()) || c.trainableParameters() == null) {
                continue;
            }
            String g = group(c, groupAxes);
            groups.computeIfAbsent(g, k -> new XYSeries(k, false, true))
                    .add(
                            (double) c.trainableParameters(),
                            scale(metric, c.score().value()));
            minP = Math.min(minP, c.trainableParameters());
            maxP = Math.max(maxP, c.trainableParameters());
        }
        XYSeriesCollection data = new XYSeriesCollection();
        groups.values().forEach(data::addSeries);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
        Shape[] shapes = {new Ellipse2D.Double(-5, -5, 10, 10), new Rectangle2D.Double(-5, -5, 10, 10)};
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesPaint(i, Charts.color(i));
            renderer.setSeriesShape(i, shapes[(i / Charts.paletteSize()) % shapes.length]);
        }
        renderer.setDefaultItemLabelGenerator((dataset, series, item) -> {
            double px = dataset.getXValue(series, item);
            double py = dataset.getYValue(series, item);
            for (CandidateRecord c : r.records()) {
                if (c.finished()
                        && c.trainableParameters() != null
                        && c.trainableParameters() == px
                        && c.score().value() != null
                        && scale(metric, c.score().value()) == py) {
                    return "#" + c.candidate();
                }
            }
            return "";
        });
        renderer.setDefaultItemLabelsVisible(true);
        renderer.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        renderer.setDefaultPositiveItemLabelPosition(
                new ItemLabelPosition(ItemLabelAnchor.OUTSIDE12, TextAnchor.BOTTOM_CENTER));
        ValueAxis x;
        if (minP < Double.MAX_VALUE && maxP / Math.max(1, minP) > 8) {
            LogAxis log = new LogAxis("trainable parameters (log scale)");
            log.setNumberFormatOverride(new DecimalFormat("#,##0"));
            x = log;
        } else {
            NumberAxis lin = new NumberAxis("trainable parameters");
            lin.setNumberFormatOverride(new DecimalFormat("#,##0"));
            lin.setAutoRangeIncludesZero(false);
            x = lin;
        }
        if (minP < Double.MAX_VALUE) {
            double pad = minP == maxP ? Math.max(1, minP * 0.1) : (maxP - minP) * 0.08;
            x.setRange(Math.max(1, minP - pad), maxP + pad);
        }
        XYSeries all = new XYSeries("all");
        for (int i = 0; i < data.getSeriesCount(); i++) {
            for (int j = 0; j < data.getItemCount(i); j++) {
                all.add(data.getXValue(i, j), data.getYValue(i, j));
            }
        }
        XYPlot plot = new XYPlot(data, x, scoreAxis(metric, all), renderer);
        String by = groupAxes.isEmpty() ? "" : " (colour: " + String.join(", ", groupAxes) + ")";
        write(metric.label() + " against model size" + by, plot, png);
    }

    /** The searched axes whose values are names (tie schemes, sharing levels, booleans), at most a few. */
    static List<String> categoricalAxes(SweepResult r) {
        List<String> out = new ArrayList<>();
        for (String a : r.axes()) {
            boolean categorical = false;
            for (CandidateRecord c : r.records()) {
                String v = c.choices() == null ? null : c.choices().get(a);
                if (v != null && !isNumber(v)) {
                    categorical = true;
                    break;
                }
            }
            if (categorical) {
                out.add(a);
            }
        }
        while (out.size() > 1 && groupCount(r, out) > MAX_GROUPS) {
            out.remove(out.size() - 1);
        }
        return out;
    }

    private static long groupCount(SweepResult r, List<String> axes) {
        return r.records().stream().map(c -> group(c, axes)).distinct().count();
    }

    static String group(CandidateRecord c, List<String> axes) {
        if (axes.isEmpty()) {
            return "candidates";
        }
        StringJoiner j = new StringJoiner(", ");
        for (String a : axes) {
            j.add(a + "=" + (c.choices() == null ? "?" : c.choices().getOrDefault(a, "?")));
        }
        return j.toString();
    }

    private static boolean isNumber(String s) {
        try {
            Double.parseDouble(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static double scale(ScoreMetric m, double v) {
        return m == ScoreMetric.ACCURACY ? 100 * v : v;
    }

    private static double unscale(ScoreMetric m, double v) {
        return m == ScoreMetric.ACCURACY ? v / 100 : v;
    }

    /** The score axis, with room above and below the points (and a visible range when they are all equal). */
    private static NumberAxis scoreAxis(ScoreMetric m, XYSeries points) {
        NumberAxis y = new NumberAxis(m == ScoreMetric.ACCURACY ? "validation accuracy (%)" : "validation loss");
        y.setAutoRangeIncludesZero(false);
        y.setNumberFormatOverride(new DecimalFormat(m == ScoreMetric.ACCURACY ? "0.#" : "0.###"));
        if (points.getItemCount() > 0) {
            double lo = points.getMinY();
            double hi = points.getMaxY();
            double pad = Math.max((hi - lo) * 0.15, m == ScoreMetric.ACCURACY ? 2.0 : 0.02);
            double lower = lo - pad;
            double upper = hi + pad * 1.5;
            if (m == ScoreMetric.ACCURACY) {
                lower = Math.max(0, lower);
                upper = Math.min(100, upper);
            } else {
                lower = Math.max(0, lower);
            }
            y.setRange(lower, upper);
        }
        return y;
    }

    private static void write(String title, XYPlot plot, Path png) throws IOException {
        Charts.write(title, plot, png, 800, 500);
    }
}
