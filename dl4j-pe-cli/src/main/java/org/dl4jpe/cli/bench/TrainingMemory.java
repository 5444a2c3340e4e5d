package org.dl4jpe.cli.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Memory of a model's training steps, measured around them by {@link ModelThroughput}:
 *
 * <ul>
 *   <li>{@code peakRssBytes}: the process's peak resident set size while the steps ran (Linux {@code VmHWM},
 *       reset through {@code /proc/self/clear_refs} before the steps): JVM heap, off-heap arrays, native code and
 *       libraries, the same quantity as a Python process's peak RSS; -1 where {@code /proc} does not offer it;</li>
 *   <li>{@code heapPeakBytes}: the JVM heap pools' peak usage over the steps (reset before them);</li>
 *   <li>{@code parameterBytes} and {@code updaterBytes}: the parameters (BatchNorm's running statistics included)
 *       and the updater's state (AdamW: two moments per parameter).</li>
 * </ul>
 */
public record TrainingMemory(long peakRssBytes, long heapPeakBytes, long parameterBytes, long updaterBytes) {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");
    private static final Pattern HWM = Pattern.compile("VmHWM:\\s+(\\d+) kB");

    /** Parameters and updater state together. */
    public long modelStateBytes() {
        return parameterBytes + updaterBytes;
    }

    /** Starts a measurement: resets the peak counters. */
    static Probe start() {
        resetPeakRss();
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                p.resetPeakUsage();
            }
        }
        return new Probe();
    }

    /** Started by {@link #start}, then {@link #finish} after the steps (the kernel and the JVM keep the peaks). */
    static final class Probe {
        TrainingMemory finish(ComputationGraph net) {
            long heapPeak = 0;
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) {
                    heapPeak += p.getPeakUsage().getUsed();
                }
            }
            INDArray state = net.getUpdater() == null ? null : net.getUpdater().getStateViewArray();
            return new TrainingMemory(peakRss(), heapPeak, bytes(net.params()), bytes(state));
        }
    }

    private static long bytes(INDArray a) {
        return a == null ? 0 : a.length() * a.dataType().width();
    }

    /** Sets the kernel's peak-RSS mark to the current RSS ("5" to clear_refs, Linux 4.0+); silent where absent. */
    private static void resetPeakRss() {
        try {
            Files.writeString(CLEAR_REFS, "5", StandardCharsets.US_ASCII);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // not Linux, or not allowed: peakRss() then reports the process's lifetime peak or -1
        }
    }

    private static long peakRss() {
        try {
            Matcher m = HWM.matcher(Files.readString(STATUS, StandardCharsets.US_ASCII));
            return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
        } catch (IOException | SecurityException e) {
            return -1;
        }
    }
}
