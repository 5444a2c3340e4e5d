package org.dl4jpe.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, item 9: a signal while an epoch's curves.png is written ended with "internal error:
 * java.lang.IllegalStateException: Shutdown in progress" and a {@code .curves.png.tmp} left behind (ImageIO's file
 * cache registers a shutdown hook on first use). Only a real JVM shutdown shows it: a child JVM writes the chart
 * from inside its shutdown hook.
 */
class ChartAtShutdownTest {
    @TempDir
    Path tmp;

    @Test
    void curvesAreWrittenDuringJvmShutdown() throws Exception {
        Path png = tmp.resolve("curves.png");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(
                        java.toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        ChartAtShutdownMain.class.getName(),
                        png.toString())
                .redirectErrorStream(true)
                .start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM ends");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(out.lines().anyMatch("ok"::equals), out);
        assertTrue(Files.size(png) > 0);
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(png), s.toList(), "no temporary file is left");
        }
    }
}
