package org.dl4jpe.layers.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.dl4jpe.layers.SharedBottleneckStage;
import org.dl4jpe.layers.SingleThreadedNd4j;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A ModelSerializer zip of two stages written by the code of commit 77d603f (before the stage was restructured
 * and before the BatchNorm convention and initialization changed) still loads, with the same configuration, and
 * gives the same inference output; its saved updater state lets training continue.
 */
@ExtendWith(SingleThreadedNd4j.class)
class StageGoldenFileTest {

    private static InputStream resource(String name) {
        InputStream in = StageGoldenFileTest.class.getResourceAsStream("/golden/" + name);
        if (in == null) {
            throw new IllegalStateException("missing test resource golden/" + name);
        }
        return in;
    }

    @Test
    void stageSavedBeforeTheRestructureLoadsAndGivesTheSameOutput() throws Exception {
        ComputationGraph g;
        try (InputStream in = resource(StageGoldenFiles.MODEL)) {
            g = ModelSerializer.restoreComputationGraph(in, true);
        }
        INDArray x;
        INDArray expected;
        try (InputStream in = resource(StageGoldenFiles.INPUT)) {
            x = Nd4j.read(in);
        }
        try (InputStream in = resource(StageGoldenFiles.OUTPUT)) {
            expected = Nd4j.read(in);
        }
        SharedBottleneckStage s2 =
                (SharedBottleneckStage) g.getLayer("s2").conf().getLayer();
        assertEquals(SharedBottleneckStage.Sharing.STAGE_FIRST_3X3, s2.getSharing());
        assertEquals(2, s2.getStride());
        assertEquals(0.2, s2.getBnMomentum());
        assertEquals(1e-3, s2.getBnEps());
        assertEquals(3, s2.getNumBlocks());
        // the configuration reads back as what today's builder makes from the same values (defaults for new fields)
        assertEquals(
                StageGoldenFiles.graph().getConfiguration().getVertices().get("s2"),
                g.getConfiguration().getVertices().get("s2"),
                "s2's configuration");

        INDArray out = g.outputSingle(x);
        double diff = out.sub(expected).amaxNumber().doubleValue();
        assertTrue(diff < 1e-12, "inference output differs from the golden file's by " + diff);

        INDArray before = g.params().dup();
        g.fit(new org.nd4j.linalg.dataset.DataSet(
                x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 4)),
                Nd4j.eye(3).getRows(0, 1, 2, 0).castTo(x.dataType())));
        assertTrue(g.params().sub(before).amaxNumber().doubleValue() > 0, "training continues from the saved state");
    }
}
