package org.dl4jpe.layers;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs a test class with ND4J's native ops on one thread, restoring the previous setting afterwards.
 *
 * <p>The tests here work on tiny arrays, where each op's cost is its fixed overhead; on a small machine shared with
 * other processes, waking a second OpenMP thread for every op made gradient checks five to ten times slower
 * (measured: about 5 ms instead of 50 ms per forward pass of a D = 4 attention layer). Results do not depend on the
 * thread count.
 */
public final class SingleThreadedNd4j implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SingleThreadedNd4j.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        Environment env = Nd4j.getEnvironment();
        context.getStore(NS).put("threads", new int[] {env.maxThreads(), env.maxMasterThreads()});
        env.setMaxThreads(1);
        env.setMaxMasterThreads(1);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        int[] saved = context.getStore(NS).get("threads", int[].class);
        if (saved != null) {
            Nd4j.getEnvironment().setMaxThreads(saved[0]);
            Nd4j.getEnvironment().setMaxMasterThreads(saved[1]);
        }
    }
}
