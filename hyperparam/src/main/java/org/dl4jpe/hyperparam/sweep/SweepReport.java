package org.dl4jpe.hyperparam.sweep;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.dl4jpe.hyperparam.model.ModelSpace;
import org.dl4jpe.zoo.train.EvalResult;
import org.dl4jpe.zoo.train.Provenance;
import org.dl4jpe.zoo.train.RunDirectory;

/**
 * The report of a sweep: {@code report.html} (self-contained: the plots are embedded; they are also written next
 * to it as PNG files), and {@code results.md}, the candidate table in Markdown.
 */
public final class SweepReport {
    public static final String HTML = "report.html";
    public static final String MARKDOWN = "results.md";

    private SweepReport() {}

    /** The candidate table as plain text (the best marked {@code *}). */
    public static String text(SweepResult r, ScoreMetric metric) {
        return new ResultTable(r, metric).text();
    }

    /** The candidate table in Markdown. */
    public static String markdown(SweepResult r, ScoreMetric metric) {
        return new ResultTable(r, metric).markdown();
    }

    /** Writes the plots, {@code report.html} and {@code results.md} into the sweep directory. */
    static void write(SweepResult r, SweepSettings s, ModelSpace space, SweepData data) throws IOException {
        Path dir = r.dir();
        ScoreMetric metric = s.search().score();
        SweepCharts.perCandidate(r, metric, dir.resolve(SweepCharts.PER_CANDIDATE));
        SweepCharts.versusParameters(r, metric, dir.resolve(SweepCharts.VS_PARAMETERS));
        ResultTable table = new ResultTable(r, metric);
        RunDirectory.writeAtomically(dir.resolve(MARKDOWN), table.markdown());

        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Sweep of ")
                .append(esc(space.baseModel()))
                .append("</title>\n<style>\n")
                .append("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\n")
                .append("table{border-collapse:collapse;margin:1em 0;font-size:0.9em}\n")
                .append("th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}\n")
                .append("td.num{text-align:right}\ntr.best{background:#e6f4ea;font-weight:bold}\n")
                .append("tr.failed{color:#a00}\nimg{max-width:100%;border:1px solid #ddd;margin:0.5em 0}\n")
                .append("code{background:#f4f4f4;padding:1px 3px}\n</style></head><body>\n");
        h.append("<h1>Sweep of <code>").append(esc(space.baseModel())).append("</code></h1>\n");

        h.append("<table>\n");
        SweepSettings.SpaceSource src = s.space();
        kv(
                h,
                "space",
                src.preset() != null
                        ? "preset <code>" + esc(src.preset()) + "</code>"
                        : src.spaceJson() != null ? "space file" : "Java <code>ModelSpace</code>");
        kv(h, "searched axes", r.axes().isEmpty() ? "none" : esc(String.join(", ", r.axes())));
        kv(h, "space in full", "<code>" + esc(space.toString()) + "</code>");
        SweepSettings.Search search = s.search();
        kv(
                h,
                "generator",
                esc(search.generator().cliName())
                        + (search.generator() == GeneratorKind.GRID
                                ? " (" + search.gridPoints() + " points per range)"
                                : "")
                        + ", seed " + search.seed());
        kv(
                h,
                "candidates",
                r.records().size() + " recorded of " + r.planned() + " planned (" + r.finishedCount() + " finished, "
                        + r.failedCount() + " failed); " + esc(r.endReason()));
        SweepSettings.Data d = s.data();
        kv(
                h,
                "data",
                "<code>" + esc(d.spec()) + "</code>: " + data.train().size() + " training and "
                        + data.validation().size() + " validation images (" + Math.round(100 * d.valFraction())
                        + "% held out, class by class)"
                        + (d.limitTrain() > 0 ? ", from the first " + d.limitTrain() + " training images" : "")
                        + (data.test() != null ? "; test split " + data.test().size() + " images" : ""));
        kv(
                h,
                "score",
                esc(metric.label()) + " after the last epoch (" + (metric.minimize() ? "lower" : "higher")
                        + " is better)");
        kv(
                h,
                "budget",
                (s.budget().maxTimeSeconds() > 0 ? "at most " + s.budget().maxTimeSeconds() + " s, " : "")
                        + s.budget().parallel() + " candidate(s) at a time");
        kv(h, "provenance", esc(Provenance.current().describe()));
        h.append("</table>\n");

        CandidateRecord best = r.best();
        h.append("<h2>Best candidate</h2>\n");
        if (best == null) {
            h.append("<p>No candidate finished.</p>\n");
        } else {
            h.append("<p>Candidate ")
                    .append(best.candidate())
                    .append(": ")
                    .append(esc(metric.label()))
                    .append(' ')
                    .append(esc(scoreText(metric, best.score().value())))
                    .append(", ")
                    .append(String.format(Locale.ROOT, "%,d", best.trainableParameters()))
                    .append(" trainable parameters");
            if (!r.axes().isEmpty()) {
                h.append(", ");
                StringBuilder c = new StringBuilder();
                for (String a : r.axes()) {
                    c.append(c.length() == 0 ? "" : ", ")
                            .append(a)
                            .append('=')
                            .append(ResultTable.displayExact(best.choices().get(a)));
                }
                h.append("<code>").append(esc(c.toString())).append("</code>");
            }
            h.append(". Model: <code>")
                    .append(RecordStore.BEST_MODEL)
                    .append("</code> (run directory <code>")
                    .append(esc(best.runDirectory()))
                    .append("</code>).</p>\n");
            EvalResult t = r.bestTest();
            if (t != null) {
                h.append("<p>On the test split (")
                        .append(t.count())
                        .append(" images, not used to choose it): accuracy ")
                        .append(String.format(Locale.ROOT, "%.2f%%", 100 * t.accuracy()))
                        .append(", loss ")
                        .append(String.format(Locale.ROOT, "%.4f", t.loss()))
                        .append(".</p>\n");
            }
        }

        h.append("<h2>Plots</h2>\n");
        List<String> groups = SweepCharts.categoricalAxes(r);
        image(
                h,
                dir.resolve(SweepCharts.VS_PARAMETERS),
                "score against trainable parameters",
                "The accuracy/size trade-off: each finished candidate at its trainable parameter count, labelled"
                        + " with its number"
                        + (groups.isEmpty() ? "." : "; marker colour by " + String.join(", ", groups) + "."));
        image(
                h,
                dir.resolve(SweepCharts.PER_CANDIDATE),
                "score per candidate",
                "Each finished candidate's score in the order they ran, and the best so far.");

        h.append("<h2>Candidates</h2>\n<table>\n<tr>");
        for (String col : table.header()) {
            h.append("<th>").append(esc(col)).append("</th>");
        }
        h.append("</tr>\n");
        List<List<String>> rows = table.rows();
        for (int i = 0; i < rows.size(); i++) {
            CandidateRecord c = r.records().get(i);
            boolean isBest = best != null && best.candidate() == c.candidate();
            h.append("<tr")
                    .append(isBest ? " class=\"best\"" : c.finished() ? "" : " class=\"failed\"")
                    .append('>');
            for (String cell : rows.get(i)) {
                boolean num = !cell.isEmpty() && (Character.isDigit(cell.charAt(0)) || cell.equals("-"));
                h.append(num ? "<td class=\"num\">" : "<td>").append(esc(cell)).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n<p>The best candidate is marked <code>*</code>. Every record, with the full configuration,"
                + " options, seed, times and versions: <code>results.csv</code>, <code>results.json</code>,"
                + " <code>records/</code>; each candidate's training curves: <code>candidates/cNNNN/curves.png</code>."
                + "</p>\n</body></html>\n");
        RunDirectory.writeAtomically(dir.resolve(HTML), h.toString());
    }

    static String scoreText(ScoreMetric m, Double v) {
        return m == ScoreMetric.ACCURACY ? ResultTable.percent(v) : ResultTable.decimal(v);
    }

    private static void kv(StringBuilder h, String k, String v) {
        h.append("<tr><th>").append(esc(k)).append("</th><td>").append(v).append("</td></tr>\n");
    }

    private static void image(StringBuilder h, Path png, String alt, String caption) throws IOException {
        String b64 = Base64.getEncoder().encodeToString(Files.readAllBytes(png));
        h.append("<p><img alt=\"")
                .append(esc(alt))
                .append("\" src=\"data:image/png;base64,")
                .append(b64)
                .append("\"><br><small>")
                .append(esc(caption))
                .append(" (")
                .append(esc(png.getFileName().toString()))
                .append(")</small></p>\n");
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
