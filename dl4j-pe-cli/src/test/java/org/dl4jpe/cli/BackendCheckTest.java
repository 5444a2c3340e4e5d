package org.dl4jpe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/**
 * The start-up check of the CUDA backend. On this (CPU) build it does nothing; the message for a machine without
 * a GPU was checked by hand with a {@code -Pcuda} build (hyperparam/README.md shows it).
 */
class BackendCheckTest {

    @Test
    void theCpuBuildNeedsNoCheck() {
        assertFalse(BackendCheck.onClassPath(BackendCheck.CUDA_BACKEND), "this test runs the CPU build");
        assertNull(BackendCheck.problem(new String[] {"models"}, System.err));
    }

    @Test
    void theCauseIsReadFromWhatNd4jReports() {
        assertEquals(
                "no NVIDIA driver: libcuda.so.1 was not found",
                BackendCheck.why(
                        new RuntimeException("Please ensure that you have an nd4j backend"),
                        "java.lang.UnsatisfiedLinkError: /root/.javacpp/cache/"
                                + "cuda-11.6-8.3-1.5.7-linux-x86_64.jar/org/bytedeco/cuda/linux-x86_64/libjnicudart.so: libcuda.so.1:"
                                + " cannot open shared object file"));
        assertEquals(
                "the CUDA 11.6 or cuDNN 8.3 libraries were not found",
                BackendCheck.why(new UnsatisfiedLinkError("libcudnn.so.8: cannot open shared object file"), ""));
        assertEquals(
                "IllegalStateException: odd",
                BackendCheck.why(new RuntimeException(new IllegalStateException("odd")), ""));
        String m = String.format(BackendCheck.NO_GPU, "x");
        assertEquals(1, m.lines().count());
        assertFalse(m.contains(". "), "one sentence: " + m);
    }
}
