package org.dl4jpe.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** StageBenchmark's command line: picocli options with the defaults of ResNet50's stage 3. */
class StageBenchmarkOptionsTest {

    @Test
    void defaultsAreResNet50Stage3() {
        StageBenchmark.Options o = StageBenchmark.Options.parse();
        assertEquals(512, o.inChannels);
        assertEquals(256, o.midChannels);
        assertEquals(6, o.numBlocks);
        assertEquals(5, o.reps);
        assertFalse(o.sameDiff);
    }

    @Test
    void optionsAreRead() {
        StageBenchmark.Options o = StageBenchmark.Options.parse(
                "--reps", "3", "--warmup", "1", "--mid", "8", "--samediff", "1", "--threads", "1");
        assertEquals(3, o.reps);
        assertEquals(1, o.warmup);
        assertEquals(8, o.midChannels);
        assertTrue(o.sameDiff);
        assertEquals(1, o.threads);
    }

    @Test
    void badOptionsAreNamed() {
        CommandLine.ParameterException e = assertThrows(
                CommandLine.ParameterException.class, () -> StageBenchmark.Options.parse("--samediff", "2"));
        assertTrue(
                e.getMessage().contains("--samediff") && e.getMessage().contains("'2' is not 0 or 1"), e.getMessage());
        e = assertThrows(CommandLine.ParameterException.class, () -> StageBenchmark.Options.parse("--blockz", "2"));
        assertTrue(e.getMessage().contains("--blockz"), e.getMessage());
        IllegalArgumentException r =
                assertThrows(IllegalArgumentException.class, () -> StageBenchmark.Options.parse("--reps", "0"));
        assertTrue(r.getMessage().contains("--reps must be ≥ 1"), r.getMessage());
    }
}
