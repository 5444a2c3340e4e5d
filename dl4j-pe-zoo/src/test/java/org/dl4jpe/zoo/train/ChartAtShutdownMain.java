package org.dl4jpe.zoo.train;

import java.nio.file.Path;
import java.util.List;

/**
 * Writes training curves from inside a JVM shutdown hook, as the trainer does when Ctrl-C or SIGTERM arrives while
 * an epoch ends; prints {@code ok} or the exception. Run by {@link ChartAtShutdownTest} in a child JVM.
 */
public final class ChartAtShutdownMain {
    private ChartAtShutdownMain() {}

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        Path png = Path.of(args[0]);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Charts.trainingCurves(
                        "at shutdown",
                        List.of(
                                new EpochMetrics(1, 1.0, 0.0, 0.5, 1.1, 0.4, 1.0, 10.0),
                                new EpochMetrics(2, 0.8, 0.0, 0.6, 0.9, 0.5, 1.0, 10.0)),
                        png);
                System.out.println("ok");
            } catch (Throwable t) {
                System.out.println("failed: " + t);
            }
            System.out.flush();
        }));
        System.exit(0);
    }
}
