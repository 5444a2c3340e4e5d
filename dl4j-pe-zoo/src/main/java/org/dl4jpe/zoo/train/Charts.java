package org.dl4jpe.zoo.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** PNG charts of training runs (JFreeChart, headless). */
public final class Charts {
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b)};

    private Charts() {
    }

    /** Loss (top) and accuracy (bottom) per epoch, training and test, of one run. */
    public static void trainingCurves(String title, List<EpochMetrics> history, Path png) throws IOException {
        XYSeriesCollection loss = new XYSeriesCollection();
        loss.addSeries(series("train loss", history, EpochMetrics::trainLoss));
        loss.addSeries(series("test loss", history, EpochMetrics::testLoss));
        XYSeriesCollection acc = new XYSeriesCollection();
        acc.addSeries(series("train accuracy", history, EpochMetrics::trainAccuracy));
        acc.addSeries(series("test accuracy", history, EpochMetrics::testAccuracy));
        write(title, List.of(plot("loss", loss, false, true), plot("accuracy", acc, true, true)), png);
    }

    /** Test accuracy (top) and training loss (bottom) per epoch of several runs, by model name. */
    public static void comparison(String title, Map<String, List<EpochMetrics>> runs, Path png) throws IOException {
        XYSeriesCollection acc = new XYSeriesCollection();
        XYSeriesCollection loss = new XYSeriesCollection();
        for (Map.Entry<String, List<EpochMetrics>> e : runs.entrySet()) {
            acc.addSeries(series(e.getKey(), e.getValue(), EpochMetrics::testAccuracy));
            loss.addSeries(series(e.getKey(), e.getValue(), EpochMetrics::trainLoss));
        }
        write(title, List.of(plot("test accuracy", acc, true, true), plot("train loss", loss, false, false)), png);
    }

    private static XYSeries series(String name, List<EpochMetrics> history, ToDoubleFunction<EpochMetrics> f) {
        XYSeries s = new XYSeries(name);
        for (EpochMetrics m : history) {
            double v = f.applyAsDouble(m);
            if (!Double.isNaN(v) && !Double.isInfinite(v)) {
                s.add(m.epoch(), v);
            }
        }
        return s;
    }

    private static XYPlot plot(String label, XYSeriesCollection data, boolean fraction, boolean legend) {
        NumberAxis y = new NumberAxis(label);
        y.setAutoRangeIncludesZero(fraction);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        r.setDefaultSeriesVisibleInLegend(legend);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            r.setSeriesPaint(i, COLORS[i % COLORS.length]);
            r.setSeriesStroke(i, new BasicStroke(2f));
        }
        XYPlot p = new XYPlot(data, null, y, r);
        p.setBackgroundPaint(Color.WHITE);
        p.setDomainGridlinePaint(Color.LIGHT_GRAY);
        p.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return p;
    }

    private static void write(String title, List<XYPlot> plots, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        NumberAxis epoch = new NumberAxis("epoch");
        epoch.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        epoch.setAutoRangeIncludesZero(false);
        CombinedDomainXYPlot combined = new CombinedDomainXYPlot(epoch);
        combined.setGap(12);
        for (XYPlot p : plots) {
            combined.add(p, 1);
        }
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 14), combined, true);
        chart.setBackgroundPaint(Color.WHITE);
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Path tmp = png.resolveSibling("." + png.getFileName() + ".tmp");
        ChartUtils.saveChartAsPNG(tmp.toFile(), chart, 800, 700);
        RunDirectory.move(tmp, png);
    }
}
