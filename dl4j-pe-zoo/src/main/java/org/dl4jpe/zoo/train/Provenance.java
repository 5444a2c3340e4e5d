package org.dl4jpe.zoo.train;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Properties;

/**
 * Where a result comes from: project and DL4J versions, the git revision ({@code -Dpe.git.revision}, set by
 * {@code ./pe}), Java version, host processor count, and the time it was recorded.
 */
public record Provenance(
        String project, String dl4j, String gitRevision, String java, int processors, String recorded) {

    /** The provenance of this process, now. */
    public static Provenance current() {
        Properties p = new Properties();
        try (InputStream in = Provenance.class.getResourceAsStream("/org/dl4jpe/zoo/build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // versions stay unknown
        }
        return new Provenance(
                p.getProperty("project.version", "unknown"),
                p.getProperty("dl4j.version", "unknown"),
                System.getProperty("pe.git.revision", "unknown"),
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(),
                Instant.now().toString());
    }

    /** One line for reports. */
    public String describe() {
        return "dl4j-pe " + project + " (git " + gitRevision + "), DL4J " + dl4j + ", Java " + java + ", " + processors
                + " cores, " + recorded;
    }
}
