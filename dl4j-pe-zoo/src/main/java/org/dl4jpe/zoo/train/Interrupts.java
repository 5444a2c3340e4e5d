package org.dl4jpe.zoo.train;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ctrl-C and SIGTERM for the whole process: one JVM shutdown hook that asks every active {@link Guard} to stop
 * (a trainer stops after its current batch and saves a checkpoint) and then waits, up to five minutes, until
 * every guard has closed: until the checkpoint is saved and the one line saying so has been printed. A signal
 * that comes before a guard opens is remembered: the guard's action runs as soon as it opens.
 */
public final class Interrupts {
    private static final AtomicBoolean INSTALLED = new AtomicBoolean();
    private static final AtomicBoolean REQUESTED = new AtomicBoolean();
    private static final Set<Guard> ACTIVE = ConcurrentHashMap.newKeySet();
    private static final Object IDLE = new Object();

    private Interrupts() {}

    /** Installs the shutdown hook (once per process). */
    public static void install() {
        if (INSTALLED.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(new Thread(Interrupts::signalled, "pe-interrupt"));
        }
    }

    /** Whether a signal has come. */
    public static boolean requested() {
        return REQUESTED.get();
    }

    /** What the shutdown hook does: stop every guard, then wait until all have closed (tests call it directly). */
    static void signalled() {
        REQUESTED.set(true);
        for (Guard g : ACTIVE) {
            g.onInterrupt.run();
        }
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        synchronized (IDLE) {
            while (!ACTIVE.isEmpty() && System.nanoTime() < deadline) {
                try {
                    IDLE.wait(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Forgets a signal (tests that simulate one). */
    static void reset() {
        REQUESTED.set(false);
    }

    /**
     * Opens a guard: until it is closed, a signal runs {@code onInterrupt} and the process waits for the close. If a
     * signal came already, {@code onInterrupt} runs now.
     */
    public static Guard enter(Runnable onInterrupt) {
        Guard g = new Guard(onInterrupt);
        ACTIVE.add(g);
        if (REQUESTED.get()) {
            onInterrupt.run();
        }
        return g;
    }

    /** An open section whose end a signal waits for. */
    public static final class Guard implements AutoCloseable {
        private final Runnable onInterrupt;

        private Guard(Runnable onInterrupt) {
            this.onInterrupt = onInterrupt;
        }

        @Override
        public void close() {
            ACTIVE.remove(this);
            synchronized (IDLE) {
                IDLE.notifyAll();
            }
        }
    }
}
