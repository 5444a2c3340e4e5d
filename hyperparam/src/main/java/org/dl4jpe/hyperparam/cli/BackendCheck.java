package org.dl4jpe.hyperparam.cli;

import java.util.Arrays;
import java.util.List;

/**
 * Checks at start-up, when the CUDA backend is on the class path ({@code -Pcuda} build), that ND4J can start it,
 * so that a machine without a usable GPU gets one sentence instead of a native stack trace.
 */
final class BackendCheck {
    static final String CUDA_BACKEND = "org.nd4j.linalg.jcublas.JCublasBackend";

    /** The one-sentence message when the CUDA backend is built in and cannot start. */
    static final String NO_GPU = "the CUDA backend could not start (no usable NVIDIA GPU or driver): DL4J 1.0.0-M2.1's"
            + " CUDA 11.6 build needs an NVIDIA driver for CUDA 11.6 (450.80.02 or newer) and a GPU of compute"
            + " capability 3.5 to 8.6 (Kepler to Ampere); rebuild without -Pcuda to run on the CPU";

    private BackendCheck() {
    }

    /** A message when the command needs a backend that cannot start, else null. Help and version need none. */
    static String problem(String[] args) {
        List<String> a = Arrays.asList(args);
        if (a.isEmpty() || a.contains("--help") || a.contains("-h") || a.contains("--version") || a.contains("-V")
                || a.contains("--print-space")) {
            return null;
        }
        if (!onClassPath(CUDA_BACKEND)) {
            return null;
        }
        try {
            org.nd4j.linalg.factory.Nd4j.create(1).addi(1);
            return null;
        } catch (Throwable t) {
            return NO_GPU + " (" + rootMessage(t) + ")";
        }
    }

    static boolean onClassPath(String className) {
        try {
            Class.forName(className, false, BackendCheck.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        String m = r.getMessage();
        String s = r.getClass().getSimpleName() + (m == null ? "" : ": " + m.strip().lines().findFirst().orElse(""));
        return s.length() > 200 ? s.substring(0, 200) + " ..." : s;
    }
}
