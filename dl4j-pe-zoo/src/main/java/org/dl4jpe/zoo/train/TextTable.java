package org.dl4jpe.zoo.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small text table: left-aligned text columns, right-aligned numeric ones; also as Markdown. Public for the
 * hyperparam module's sweep tables.
 */
public final class TextTable {
    private final List<String> header;
    private final boolean[] right;
    private final List<List<String>> rows = new ArrayList<>();

    /** Column names; a name starting with '>' is right-aligned (the '>' is dropped). */
    public TextTable(String... columns) {
        header = new ArrayList<>();
        right = new boolean[columns.length];
        for (int i = 0; i < columns.length; i++) {
            right[i] = columns[i].startsWith(">");
            header.add(right[i] ? columns[i].substring(1) : columns[i]);
        }
    }

    public TextTable row(Object... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, table has " + header.size());
        }
        List<String> r = new ArrayList<>();
        for (Object c : cells) {
            r.add(String.valueOf(c));
        }
        rows.add(r);
        return this;
    }

    /** Rows added so far. */
    public int size() {
        return rows.size();
    }

    public String text() {
        int[] w = widths();
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

    /** As a Markdown table; a {@code |} inside a cell is escaped. */
    public String markdown() {
        StringBuilder sb =
                new StringBuilder("| ").append(String.join(" | ", header)).append(" |\n|");
        for (boolean r : right) {
            sb.append(r ? "---:|" : "---|");
        }
        sb.append('\n');
        for (List<String> r : rows) {
            sb.append("| ")
                    .append(String.join(
                            " | ", r.stream().map(c -> c.replace("|", "\\|")).toList()))
                    .append(" |\n");
        }
        return sb.toString();
    }

    /** Column names (without the alignment mark). */
    public List<String> header() {
        return List.copyOf(header);
    }

    /** The rows added so far. */
    public List<List<String>> rows() {
        return List.copyOf(rows);
    }

    private int[] widths() {
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = header.get(i).length();
            for (List<String> r : rows) {
                w[i] = Math.max(w[i], r.get(i).length());
            }
        }
        return w;
    }

    private void line(StringBuilder sb, List<String> cells, int[] w) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            String c = cells.get(i);
            String pad = " ".repeat(w[i] - c.length());
            l.append(i == 0 ? "" : "  ").append(right[i] ? pad + c : c + pad);
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }

    /** A whole number with thousands separators ({@code 157,578}). */
    public static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** A fraction as a percentage with two decimals; {@code -} for NaN. */
    public static String percent(double fraction) {
        return Double.isNaN(fraction) ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
    }

    /** Seconds with one decimal; {@code -} for NaN. */
    public static String seconds(double s) {
        return Double.isNaN(s) ? "-" : String.format(Locale.ROOT, "%.1f s", s);
    }

    /** Images per second: whole numbers from 10 up, one decimal below (full-size models on a CPU do ~1). */
    public static String rate(double r) {
        return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, r >= 10 ? "%.0f" : "%.1f", r);
    }
}
