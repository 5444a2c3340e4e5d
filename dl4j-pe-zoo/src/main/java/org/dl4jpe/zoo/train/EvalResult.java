package org.dl4jpe.zoo.train;

import java.util.List;
import java.util.Locale;

/**
 * Classification results on a set of images.
 *
 * @param count      images evaluated
 * @param loss       mean cross-entropy {@code -ln p(label)} ({@code p} floored at 1e-10)
 * @param confusion  {@code confusion[actual][predicted]} counts
 * @param classNames class names by index
 */
public record EvalResult(long count, double loss, long[][] confusion, List<String> classNames) {

    public long correct() {
        long c = 0;
        for (int i = 0; i < confusion.length; i++) {
            c += confusion[i][i];
        }
        return c;
    }

    /** Fraction correct, in [0, 1]. */
    public double accuracy() {
        return count == 0 ? Double.NaN : correct() / (double) count;
    }

    /** Images of class {@code c}. */
    public long support(int c) {
        long n = 0;
        for (long v : confusion[c]) {
            n += v;
        }
        return n;
    }

    /** Recall of class {@code c} (the fraction of its images classified right); NaN without images. */
    public double classAccuracy(int c) {
        long n = support(c);
        return n == 0 ? Double.NaN : confusion[c][c] / (double) n;
    }

    /** Accuracy, per-class accuracy and the confusion matrix as a plain-text report. */
    public String report() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(
                Locale.ROOT,
                "images    %d%naccuracy  %.4f (%d correct)%nloss      %.4f%n%n",
                count,
                accuracy(),
                correct(),
                loss));
        int w = Math.max(5, classNames.stream().mapToInt(String::length).max().orElse(5));
        sb.append(String.format(Locale.ROOT, "%-" + w + "s  %8s  %7s%n", "class", "accuracy", "images"));
        for (int c = 0; c < classNames.size(); c++) {
            sb.append(String.format(
                    Locale.ROOT, "%-" + w + "s  %8.4f  %7d%n", classNames.get(c), classAccuracy(c), support(c)));
        }
        sb.append("\nconfusion matrix (rows: actual class, columns: predicted class)\n");
        int cw = 6;
        for (long[] row : confusion) {
            for (long v : row) {
                cw = Math.max(cw, Long.toString(v).length() + 1);
            }
        }
        int lw = 0;
        for (int a = 0; a < classNames.size(); a++) {
            lw = Math.max(lw, ("[" + a + "] " + classNames.get(a)).length());
        }
        sb.append(String.format("%" + lw + "s", ""));
        for (int c = 0; c < classNames.size(); c++) {
            sb.append(String.format("%" + cw + "s", "[" + c + "]"));
        }
        sb.append('\n');
        for (int a = 0; a < classNames.size(); a++) {
            sb.append(String.format("%-" + lw + "s", "[" + a + "] " + classNames.get(a)));
            for (int p = 0; p < classNames.size(); p++) {
                sb.append(String.format("%" + cw + "d", confusion[a][p]));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
