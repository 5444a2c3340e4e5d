package org.dl4jpe.hyperparam.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.dl4jpe.zoo.train.TextTable;

/**
 * The candidates of a sweep as a table: plain text for the terminal, Markdown for READMEs and reports. Columns:
 * number (the best marked {@code *}), status, score, validation accuracy, trainable parameters, every searched
 * axis, training time, and the failure message.
 */
final class ResultTable {
    private final List<String> columns = new ArrayList<>();
    private final TextTable table;

    ResultTable(SweepResult r, ScoreMetric metric) {
        col("#", true);
        col("status", false);
        col(metric == ScoreMetric.ACCURACY ? "val acc" : "val loss", true);
        if (metric != ScoreMetric.ACCURACY) {
            col("val acc", true);
        }
        col("parameters", true);
        for (String a : r.axes()) {
            col(a, false);
        }
        col("train time", true);
        col("note", false);
        List<List<String>> rows = new ArrayList<>();
        for (CandidateRecord c : r.records()) {
            List<String> row = new ArrayList<>();
            boolean best = r.best() != null && r.best().candidate() == c.candidate();
            row.add(c.candidate() + (best ? "*" : ""));
            row.add(c.status().name().toLowerCase(Locale.ROOT));
            row.add(
                    metric == ScoreMetric.ACCURACY
                            ? percent(c.score().validationAccuracy())
                            : decimal(c.score().validationLoss()));
            if (metric != ScoreMetric.ACCURACY) {
                row.add(percent(c.score().validationAccuracy()));
            }
            row.add(c.trainableParameters() == null ? "-" : String.format(Locale.ROOT, "%,d", c.trainableParameters()));
            for (String a : r.axes()) {
                String v = c.choices() == null ? null : c.choices().get(a);
                row.add(v == null ? "-" : displayExact(v));
            }
            row.add(
                    c.finished()
                            ? String.format(Locale.ROOT, "%.1f s", c.timing().trainSeconds())
                            : "-");
            row.add(c.message() == null ? "" : c.message());
            rows.add(row);
        }
        table = new TextTable(columns.toArray(String[]::new));
        rows.forEach(row -> table.row(row.toArray()));
    }

    private void col(String name, boolean alignRight) {
        columns.add(alignRight ? ">" + name : name);
    }

    /** An exact value (full-precision number) shortened for a table. */
    static String displayExact(String v) {
        try {
            if (v.contains(".") || v.contains("E") || v.contains("e")) {
                double d = Double.parseDouble(v);
                if (d == Math.rint(d) && Math.abs(d) < 1e6) {
                    return String.format(Locale.ROOT, "%.1f", d);
                }
                return String.format(Locale.ROOT, "%.3g", d);
            }
        } catch (NumberFormatException e) {
            // not a number
        }
        return v;
    }

    static String percent(Double v) {
        return v == null || v.isNaN() ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    static String decimal(Double v) {
        return v == null || v.isNaN() ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }

    String text() {
        return table.text();
    }

    String markdown() {
        return table.markdown();
    }

    List<String> header() {
        return table.header();
    }

    List<List<String>> rows() {
        return table.rows();
    }
}
