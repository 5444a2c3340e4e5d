package org.dl4jpe.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations on the command line: {@code 90s}, {@code 30m}, {@code 2h}, {@code 1h30m}. */
public final class Durations {
    private static final Pattern FORM = Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?");

    private Durations() {
    }

    /** Seconds in {@code text}; the message names the option and the accepted forms. */
    public static long seconds(String option, String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        Matcher m = FORM.matcher(t);
        if (t.isEmpty() || !m.matches() || (m.group(1) == null && m.group(2) == null && m.group(3) == null)) {
            throw new IllegalArgumentException(option + " '" + text + "' is not a duration; write it as 90s, 30m, 2h"
                    + " or 1h30m");
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
            throw new IllegalArgumentException(option + " '" + text + "' must be longer than zero");
        }
        return s;
    }
}
