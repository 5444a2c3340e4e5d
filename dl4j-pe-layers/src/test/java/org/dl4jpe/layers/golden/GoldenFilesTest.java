package org.dl4jpe.layers.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Saved models of an earlier version still load and compute what they computed: the golden files were written by
 * {@link GoldenGraph} with the code of the revision that added them (DL4J stores layer class names and fields, so
 * renaming a layer class or a field breaks users' saved models). Outputs are compared at float rounding of an
 * engine that may sum in another order (1e-5 on softmax probabilities).
 */
class GoldenFilesTest {

    private static byte[] resource(String name) throws Exception {
        try (InputStream in = GoldenFilesTest.class.getResourceAsStream("/golden/" + name)) {
            if (in == null) {
                throw new IllegalStateException("golden file " + name + " is missing");
            }
            return in.readAllBytes();
        }
    }

    private static float[] expectedOutput() throws Exception {
        String[] cells = new String(resource(GoldenGraph.IO), StandardCharsets.UTF_8)
                .trim()
                .split(" ");
        float[] v = new float[cells.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = Float.parseFloat(cells[i]);
        }
        return v;
    }

    @Test
    void aSavedModelOfAnEarlierVersionLoadsAndGivesTheSameOutput() throws Exception {
        ComputationGraph net;
        try (InputStream in = GoldenFilesTest.class.getResourceAsStream("/golden/" + GoldenGraph.ZIP)) {
            net = ModelSerializer.restoreComputationGraph(in, true);
        }
        float[] out =
                net.outputSingle(false, GoldenGraph.input()).dup('c').data().asFloat();
        assertArrayEquals(expectedOutput(), out, 1e-5f, Arrays.toString(out));
        // its updater state came along: one more step trains on from it
        INDArray y = Nd4j.zeros(DataType.FLOAT, 2, 3);
        y.putScalar(0, 1, 1);
        y.putScalar(1, 2, 1);
        double before = net.score(new DataSet(GoldenGraph.input(), y));
        net.fit(new DataSet(GoldenGraph.input(), y));
        assertTrue(net.score(new DataSet(GoldenGraph.input(), y)) < before, "a restored model trains on");
        assertEquals(2, net.getConfiguration().getIterationCount() - 1, "two steps before saving, one after");
    }

    @Test
    void aJsonConfigurationOfAnEarlierVersionBuildsTheSameNetwork() throws Exception {
        String json = new String(resource(GoldenGraph.JSON), StandardCharsets.UTF_8);
        for (String layer : new String[] {
            "PatchEmbedding", "TransformerBlock", "LayerNorm", "TiedSelfAttention", "TiedFeedForward", "ClassTokenPool"
        }) {
            assertTrue(json.contains("\"org.dl4jpe.layers." + layer + "\""), layer + " is named in the golden JSON");
        }
        ComputationGraphConfiguration conf = ComputationGraphConfiguration.fromJson(json);
        assertEquals(
                GoldenGraph.configuration().getVertices().keySet(),
                conf.getVertices().keySet());
        ComputationGraph fromJson = new ComputationGraph(conf);
        fromJson.init();
        ComputationGraph saved;
        try (InputStream in = GoldenFilesTest.class.getResourceAsStream("/golden/" + GoldenGraph.ZIP)) {
            saved = ModelSerializer.restoreComputationGraph(in, false);
        }
        assertEquals(saved.numParams(), fromJson.numParams());
        fromJson.setParams(saved.params());
        float[] out = fromJson.outputSingle(false, GoldenGraph.input())
                .dup('c')
                .data()
                .asFloat();
        assertArrayEquals(expectedOutput(), out, 1e-5f);
    }
}
