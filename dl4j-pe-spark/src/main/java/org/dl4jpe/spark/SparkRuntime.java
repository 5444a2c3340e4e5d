package org.dl4jpe.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A Spark context started by {@code pe} for one command, with a private Aeron directory (gradient sharing's
 * media driver) that is deleted when it closes.
 */
public final class SparkRuntime implements AutoCloseable {
    private final JavaSparkContext sc;
    private final Path aeronDir;

    private SparkRuntime(JavaSparkContext sc, Path aeronDir) {
        this.sc = sc;
        this.aeronDir = aeronDir;
    }

    /** Starts Spark for {@code master} ({@link PeSpark#start}); {@code aeron}: also set up Aeron for sharing. */
    public static SparkRuntime start(String master, String appName, boolean aeron) {
        Path dir = null;
        if (aeron) {
            // read when Aeron's classes load: before the first SharedTrainingMaster of this JVM
            if (System.getProperty("aeron.publication.unblock.timeout") == null) {
                System.setProperty("aeron.publication.unblock.timeout", "60s");
            }
            if (System.getProperty("aeron.dir") == null) {
                try {
                    dir = Files.createTempDirectory("pe-aeron-");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException("cannot create a directory for Aeron: " + e.getMessage(), e);
                }
                System.setProperty("aeron.dir", dir.toString());
            }
        }
        try {
            return new SparkRuntime(PeSpark.start(master, appName), dir);
        } catch (RuntimeException e) {
            delete(dir);
            throw e;
        }
    }

    public JavaSparkContext context() {
        return sc;
    }

    @Override
    public void close() {
        try {
            sc.stop();
        } finally {
            if (aeronDir != null) {
                System.clearProperty("aeron.dir");
                delete(aeronDir);
            }
        }
    }

    private static void delete(Path p) {
        if (p == null || !Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        } catch (IOException e) {
            // best effort: a temporary directory
        }
    }
}
