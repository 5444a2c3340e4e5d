package org.dl4jpe.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.dl4jpe.layers.SingleThreadedNd4j;
import org.dl4jpe.layers.testkit.LayerTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

/** The benchmark itself is not a test; this only keeps it runnable and its arithmetic right, on a tiny block. */
@ExtendWith(SingleThreadedNd4j.class)
class BlockBenchmarkTest {

    @Test
    void forwardFlopsOfTheVitSmallBlock() {
        // 8·M·D² + 4·N·T²·D + 4·M·D·R with N 8, T 197, M 1576, D 384, R 1536 (computed in Python)
        assertEquals(6_054_260_736.0, BlockBenchmark.forwardFlops(BlockBenchmark.Options.defaults(), 1536));
    }

    @Test
    void tinyRunPrintsOneTableToTheGivenStreamOnly() throws Exception {
        BlockBenchmark.Options o = BlockBenchmark.Options.parse(
                "--embedDim",
                "8",
                "--numHeads",
                "2",
                "--tokens",
                "5",
                "--batch",
                "2",
                "--mlpRatio",
                "2",
                "--warmup",
                "0",
                "--reps",
                "1");
        ByteArrayOutputStream table = new ByteArrayOutputStream();
        BlockBenchmark.Result[] result = new BlockBenchmark.Result[1];
        String stdout = LayerTestKit.stdoutOf(
                () -> result[0] = BlockBenchmark.run(new PrintStream(table, true, StandardCharsets.UTF_8), o));
        assertEquals("", stdout, "nothing on standard output");
        String text = table.toString(StandardCharsets.UTF_8);
        for (String label : new String[] {
            "(a) TransformerBlock tied",
            "(b) TransformerBlock untied",
            "(c) composed graph, tied",
            "(d) DL4J built-ins",
            "(e) (a), SameDiff engine",
            "GFLOP/s"
        }) {
            assertTrue(text.contains(label), "table has " + label + ":\n" + text);
        }
        assertEquals(5, result[0].rows().size());
        assertEquals(344, result[0].row("(e)").params());
        // D 8, R 16: tied block 4D + (2D² + 4D) + (R·D + R + D) = 32 + 160 + 152; untied 32 + 288 + 280
        assertEquals(344, result[0].row("(a)").params());
        assertEquals(600, result[0].row("(b)").params());
        assertEquals(344, result[0].row("(c)").params());
        assertTrue(result[0].row("(a)").trainMs() > 0 && result[0].row("(d)").inferMs() > 0);
    }

    @Test
    void badOptionsAreNamed() {
        CommandLine.ParameterException e =
                assertThrows(CommandLine.ParameterException.class, () -> BlockBenchmark.Options.parse("--repz", "3"));
        assertTrue(e.getMessage().contains("Unknown option") && e.getMessage().contains("--repz"), e.getMessage());
        e = assertThrows(CommandLine.ParameterException.class, () -> BlockBenchmark.Options.parse("--reps", "many"));
        assertTrue(e.getMessage().contains("--reps") && e.getMessage().contains("many"), e.getMessage());
    }
}
