package org.dl4jpe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The duration options' converters: hours, minutes and seconds in any combination; 0 only where it means none. */
class DurationsTest {

    @Test
    void readsEveryForm() {
        Durations.Seconds seconds = new Durations.Seconds();
        assertEquals(90L, seconds.convert("90s"));
        assertEquals(1800L, seconds.convert("30m"));
        assertEquals(7200L, seconds.convert(" 2H "));
        assertEquals(5400L, seconds.convert("1h30m"));
        assertEquals(3661L, seconds.convert("1h1m1s"));
        assertEquals(0L, new Durations.SecondsOrZero().convert("0"));
        assertEquals(300L, new Durations.SecondsOrZero().convert("5m"));
    }

    @Test
    void refusesWhatIsNotADurationOrZeroWhereZeroMeansNothing() {
        Durations.Seconds seconds = new Durations.Seconds();
        assertEquals(
                "'30' is not a duration; write it as 90s, 30m, 2h or 1h30m",
                assertThrows(CommandLine.TypeConversionException.class, () -> seconds.convert("30"))
                        .getMessage());
        assertThrows(CommandLine.TypeConversionException.class, () -> seconds.convert("m30"));
        assertThrows(CommandLine.TypeConversionException.class, () -> seconds.convert(""));
        assertEquals(
                "'0' is not a duration; write it as 90s, 30m, 2h or 1h30m",
                assertThrows(CommandLine.TypeConversionException.class, () -> seconds.convert("0"))
                        .getMessage());
        assertEquals(
                "'0m' must be longer than zero",
                assertThrows(CommandLine.TypeConversionException.class, () -> seconds.convert("0m"))
                        .getMessage());
        assertThrows(CommandLine.TypeConversionException.class, () -> new Durations.SecondsOrZero().convert("0s"));
    }
}
