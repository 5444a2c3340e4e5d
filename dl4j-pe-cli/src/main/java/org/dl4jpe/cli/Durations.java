package org.dl4jpe.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Durations on the command line: {@code 90s}, {@code 30m}, {@code 2h}, {@code 1h30m}, read by picocli into seconds
 * ({@code @Option(converter = Durations.Seconds.class) Long seconds}); a bad one is a usage error naming the option.
 */
public final class Durations {
    private static final Pattern FORM = Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");

    private Durations() {}

    /** A duration longer than zero, in seconds. */
    public static final class Seconds implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String text) {
            return seconds(text);
        }
    }

    /** {@code 0} (none) or a duration longer than zero, in seconds. */
    public static final class SecondsOrZero implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String text) {
            return text.strip().equals("0") ? 0L : seconds(text);
        }
    }

    /** Seconds in {@code text}; the message names the accepted forms (picocli prefixes the option). */
    static long seconds(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        Matcher m = FORM.matcher(t);
        if (t.isEmpty() || !m.matches() || (m.group(1) == null && m.group(2) == null && m.group(3) == null)) {
            throw new CommandLine.TypeConversionException(
                    "'" + text + "' is not a duration; write it as 90s, 30m," + " 2h or 1h30m");
        }
        long s = 0;
        if (m.group(1) != null) {
            s += Long.parseLong(m.group(1)) * 3600;
        }
        if (m.group(2) != null) {
            s += Long.parseLong(m.group(2)) * 60;
        }
        if (m.group(3) != null) {
            s += Long.parseLong(m.group(3));
        }
        if (s <= 0) {
            throw new CommandLine.TypeConversionException("'" + text + "' must be longer than zero");
        }
        return s;
    }
}
