package org.dl4jpe.hyperparam.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The candidates of a sweep as a table: plain text for the terminal, Markdown for READMEs and reports. Columns:
 * number (the best marked {@code *}), status, score, validation accuracy, trainable parameters, every searched
 * axis, training time, and the failure message.
 */
final class ResultTable {
    private final List<String> header = new ArrayList<>();
    private final List<Boolean> right = new ArrayList<>();
    private final List<List<String>> rows = new ArrayList<>();

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
        for (CandidateRecord c : r.records()) {
            List<String> row = new ArrayList<>();
            boolean best = r.best() != null && r.best().candidate() == c.candidate();
            row.add(c.candidate() + (best ? "*" : ""));
            row.add(c.status().name().toLowerCase(Locale.ROOT));
            row.add(metric == ScoreMetric.ACCURACY ? percent(c.validationAccuracy()) : decimal(c.validationLoss()));
            if (metric != ScoreMetric.ACCURACY) {
                row.add(percent(c.validationAccuracy()));
            }
            row.add(c.trainableParameters() == null ? "-" : String.format(Locale.ROOT, "%,d", c.trainableParameters()));
            for (String a : r.axes()) {
                String v = c.choices() == null ? null : c.choices().get(a);
                row.add(v == null ? "-" : displayExact(v));
            }
            row.add(c.finished() ? String.format(Locale.ROOT, "%.1f s", c.trainSeconds()) : "-");
            row.add(c.message() == null ? "" : c.message());
            rows.add(row);
        }
    }

    private void col(String name, boolean alignRight) {
        header.add(name);
        right.add(alignRight);
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
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = header.get(i).length();
            for (List<String> r : rows) {
                if (i != w.length - 1) {
                    w[i] = Math.max(w[i], r.get(i).length());
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, header, w);
        StringBuilder rule = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            rule.append(i == 0 ? "" : "  ").append("-".repeat(w[i]));
        }
        sb.append(rule).append('\n');
        for (List<String> r : rows) {
            line(sb, r, w);
        }
        return sb.toString();
    }

    private void line(StringBuilder sb, List<String> cells, int[] w) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            String c = cells.get(i);
            String pad = " ".repeat(Math.max(0, w[i] - c.length()));
            l.append(i == 0 ? "" : "  ").append(right.get(i) ? pad + c : c + pad);
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }

    String markdown() {
        StringBuilder sb = new StringBuilder("| ").append(String.join(" | ", header)).append(" |\n|");
        for (boolean r : right) {
            sb.append(r ? "---:|" : "---|");
        }
        sb.append('\n');
        for (List<String> r : rows) {
            sb.append("| ").append(String.join(" | ", r.stream().map(c -> c.replace("|", "\\|")).toList()))
                    .append(" |\n");
        }
        return sb.toString();
    }

    List<String> header() {
        return header;
    }

    List<List<String>> rows() {
        return rows;
    }
}
