package org.dl4jpe.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Checks at start-up, when the CUDA backend is on the class path (a {@code -Pcuda} build), that ND4J can start it,
 * so that a machine without a usable GPU gets one sentence instead of ND4J's native stack traces (which are kept
 * for {@code --verbose}).
 */
public final class BackendCheck {
    static final String CUDA_BACKEND = "org.nd4j.linalg.jcublas.JCublasBackend";

    /** The start of the message when the CUDA backend is built in and cannot start; {@link #problem} adds why. */
    static final String NO_GPU = "the CUDA backend could not start (%s): DL4J 1.0.0-M2.1's CUDA 11.6 build runs on"
            + " NVIDIA GPUs of compute capability 3.7 to 8.6 (Kepler K80 to Ampere) with a driver for CUDA 11.6 and"
            + " the CUDA 11.6 and cuDNN 8.3 libraries; rebuild without -Pcuda (PE_MVN_ARGS=) to run on the CPU";

    private BackendCheck() {}

    /** A message when the command needs a backend that cannot start, else null. Help and version need none. */
    public static String problem(String[] args, PrintStream err) {
        List<String> a = Arrays.asList(args);
        if (a.isEmpty()
                || a.contains("--help")
                || a.contains("-h")
                || a.contains("--version")
                || a.contains("-V")
                || a.contains("--print-space")
                || !onClassPath(CUDA_BACKEND)) {
            return null;
        }
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            org.nd4j.linalg.factory.Nd4j.create(1).addi(1);
            System.setErr(original);
            original.print(captured.toString(StandardCharsets.UTF_8));
            return null;
        } catch (Throwable t) {
            String log = captured.toString(StandardCharsets.UTF_8);
            if (a.contains("--verbose")) {
                original.print(log);
                t.printStackTrace(original);
            }
            return String.format(NO_GPU, why(t, log));
        } finally {
            System.setErr(original);
        }
    }

    /** The likely cause, from the exception chain and what ND4J printed. */
    static String why(Throwable t, String log) {
        StringBuilder all = new StringBuilder(log);
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            all.append('\n').append(c);
        }
        String s = all.toString();
        if (s.contains("libcuda.so")) {
            return "no NVIDIA driver: libcuda.so.1 was not found";
        }
        if (s.contains("libcudart") || s.contains("libcublas") || s.contains("libcudnn") || s.contains("libcusolver")) {
            return "the CUDA 11.6 or cuDNN 8.3 libraries were not found";
        }
        if (s.contains("no CUDA-capable device") || s.contains("cudaErrorNoDevice") || s.contains("NoDevice")) {
            return "no CUDA-capable GPU was found";
        }
        if (s.contains("insufficient") || s.contains("InsufficientDriver")) {
            return "the NVIDIA driver is older than CUDA 11.6 needs";
        }
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        String m = r.getMessage() == null
                ? ""
                : ": " + r.getMessage().strip().lines().findFirst().orElse("");
        String msg = r.getClass().getSimpleName() + m;
        return msg.length() > 160 ? msg.substring(0, 160) + " ..." : msg;
    }

    static boolean onClassPath(String className) {
        try {
            Class.forName(className, false, BackendCheck.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
