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
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** PNG charts of training runs (JFreeChart, headless). */
public final class Charts {
    /** The project's one chart palette (matplotlib's tab10, blue and red first): series i takes colour i mod 10. */
    private static final Color[] PALETTE = {
        new Color(0x1f77b4),
        new Color(0xd62728),
        new Color(0x2ca02c),
        new Color(0xff7f0e),
        new Color(0x9467bd),
        new Color(0x8c564b),
        new Color(0xe377c2),
        new Color(0x7f7f7f),
        new Color(0xbcbd22),
        new Color(0x17becf)
    };

    static {
        System.setProperty("java.awt.headless", "true"); // before any AWT class (fonts, axes) loads
    }

    private Charts() {}

    /** Loss (top) and accuracy (bottom) per epoch, training and test, of one run. */
    public static void trainingCurves(String title, List<EpochMetrics> history, Path png) throws IOException {
        XYSeriesCollection loss = new XYSeriesCollection();
        loss.addSeries(series("train loss", history, EpochMetrics::trainLoss));
        loss.addSeries(series("test loss", history, EpochMetrics::testLoss));
        if (history.stream().anyMatch(m -> m.regularization() > 0)) {
            loss.addSeries(
                    series("regularization (in score(), not in the losses)", history, EpochMetrics::regularization));
        }
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

    /**
     * Final test accuracy of every run against the model's trainable parameters, one colour per model, one point
     * per seed: whether a model with fewer parameters holds its accuracy, and how far seeds scatter.
     */
    public static void accuracyAgainstParameters(
            String title, Map<String, Long> parameters, Map<String, double[]> accuracies, Path png) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Map.Entry<String, double[]> e : accuracies.entrySet()) {
            XYSeries s = new XYSeries(e.getKey(), false, true);
            for (double a : e.getValue()) {
                if (!Double.isNaN(a)) {
                    s.add(parameters.get(e.getKey()).doubleValue(), a);
                }
            }
            data.addSeries(s);
        }
        XYPlot p = plot("test accuracy", data, false, true);
        XYLineAndShapeRenderer r = (XYLineAndShapeRenderer) p.getRenderer();
        r.setDefaultLinesVisible(false);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            r.setSeriesLinesVisible(i, false);
            r.setSeriesShape(i, new java.awt.geom.Ellipse2D.Double(-5, -5, 10, 10));
        }
        NumberAxis x = new NumberAxis("trainable parameters");
        x.setAutoRangeIncludesZero(true);
        p.setDomainAxis(x);
        save(new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 14), p, true), png, 800, 500);
    }

    /**
     * An accuracy-size front: test accuracy against trainable parameters (log scale), one curve per series through
     * the mean over seeds at each size, and every seed's point in the series' colour.
     *
     * @param series per series (a base model), per parameter count, the test accuracy of each seed
     */
    public static void front(String title, Map<String, ? extends Map<Long, double[]>> series, Path png)
            throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        int curves = 0;
        for (Map.Entry<String, ? extends Map<Long, double[]>> e : series.entrySet()) {
            XYSeries mean = new XYSeries(e.getKey() + " (mean over seeds)", true, true);
            e.getValue().forEach((params, acc) -> {
                double[] finite = java.util.Arrays.stream(acc)
                        .filter(a -> !Double.isNaN(a))
                        .toArray();
                if (finite.length > 0) {
                    mean.add(
                            params.doubleValue(),
                            java.util.Arrays.stream(finite).average().orElseThrow());
                }
            });
            data.addSeries(mean);
            curves++;
        }
        for (Map.Entry<String, ? extends Map<Long, double[]>> e : series.entrySet()) {
            XYSeries seeds = new XYSeries(e.getKey() + " (seeds)", false, true);
            e.getValue().forEach((params, acc) -> {
                for (double a : acc) {
                    if (!Double.isNaN(a)) {
                        seeds.add(params.doubleValue(), a);
                    }
                }
            });
            data.addSeries(seeds);
        }
        NumberAxis y = new NumberAxis("test accuracy");
        y.setAutoRangeIncludesZero(false);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            boolean curve = i < curves;
            r.setSeriesPaint(i, color(curve ? i : i - curves));
            r.setSeriesStroke(i, new BasicStroke(2f));
            r.setSeriesLinesVisible(i, curve);
            r.setSeriesVisibleInLegend(i, curve);
            double d = curve ? 8 : 5;
            r.setSeriesShape(
                    i,
                    curve
                            ? new java.awt.geom.Rectangle2D.Double(-d / 2, -d / 2, d, d)
                            : new java.awt.geom.Ellipse2D.Double(-d / 2, -d / 2, d, d));
        }
        org.jfree.chart.axis.LogAxis x = new org.jfree.chart.axis.LogAxis("trainable parameters (log scale)");
        x.setSmallestValue(1);
        x.setNumberFormatOverride(new java.text.DecimalFormat("#,##0")); // parameter counts, not powers of ten
        XYPlot p = style(new XYPlot(data, x, y, r));
        save(new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 14), p, true), png, 800, 500);
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
            r.setSeriesPaint(i, color(i));
            r.setSeriesStroke(i, new BasicStroke(2f));
        }
        return style(new XYPlot(data, null, y, r));
    }

    /** Colour {@code i} of the palette (they repeat after {@link #paletteSize()}). */
    public static Color color(int i) {
        return PALETTE[Math.floorMod(i, PALETTE.length)];
    }

    /** Colours in the palette before they repeat. */
    public static int paletteSize() {
        return PALETTE.length;
    }

    /** The project's plot style: white background, light grey grid lines. */
    public static XYPlot style(XYPlot p) {
        p.setBackgroundPaint(Color.WHITE);
        p.setDomainGridlinePaint(Color.LIGHT_GRAY);
        p.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return p;
    }

    /** Writes {@code plot} under {@code title} as a {@code width}×{@code height} PNG, atomically. */
    public static void write(String title, XYPlot plot, Path png, int width, int height) throws IOException {
        save(new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 14), style(plot), true), png, width, height);
    }

    private static void write(String title, List<XYPlot> plots, Path png) throws IOException {
        NumberAxis epoch = new NumberAxis("epoch");
        epoch.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        epoch.setAutoRangeIncludesZero(false);
        CombinedDomainXYPlot combined = new CombinedDomainXYPlot(epoch);
        combined.setGap(12);
        for (XYPlot p : plots) {
            combined.add(p, 1);
        }
        save(new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 14), combined, true), png, 800, 700);
    }

    private static void save(JFreeChart chart, Path png, int width, int height) throws IOException {
        chart.setBackgroundPaint(Color.WHITE);
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Path tmp = png.resolveSibling("." + png.getFileName() + ".tmp");
        // encoded through an in-memory stream: ImageIO's default file cache registers a shutdown hook on first use,
        // which fails with "Shutdown in progress" when the chart is written after Ctrl-C or SIGTERM
        java.awt.image.BufferedImage image = chart.createBufferedImage(width, height);
        try {
            try (java.io.OutputStream os = Files.newOutputStream(tmp);
                    javax.imageio.stream.MemoryCacheImageOutputStream ios =
                            new javax.imageio.stream.MemoryCacheImageOutputStream(os)) {
                if (!javax.imageio.ImageIO.write(image, "png", ios)) {
                    throw new IOException("no PNG writer in this Java");
                }
            }
            RunDirectory.move(tmp, png);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
