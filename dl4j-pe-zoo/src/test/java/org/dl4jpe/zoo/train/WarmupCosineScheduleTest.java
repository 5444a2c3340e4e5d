package org.dl4jpe.zoo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.dl4jpe.zoo.Zoo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class WarmupCosineScheduleTest {
    @TempDir
    File tmp;

    @Test
    void warmsUpLinearlyThenDecaysAlongACosine() {
        WarmupCosineSchedule s = new WarmupCosineSchedule(1e-3, 1e-5, 4, 14);
        assertEquals(0.25e-3, s.valueAt(0, 0), 1e-15);
        assertEquals(1e-3, s.valueAt(3, 0), 1e-15);
        assertEquals(1e-3, s.valueAt(4, 0), 1e-15, "the peak right after warm-up");
        assertEquals((1e-3 + 1e-5) / 2, s.valueAt(9, 0), 1e-15, "half way down the cosine");
        assertEquals(1e-5 + (1e-3 - 1e-5) * (1 + Math.cos(Math.PI * 0.9)) / 2, s.valueAt(13, 0), 1e-15);
        assertEquals(1e-5, s.valueAt(14, 0), 0);
        assertEquals(1e-5, s.valueAt(1000, 7), 0);
        for (int i = 4; i < 14; i++) {
            assertTrue(s.valueAt(i + 1, 0) < s.valueAt(i, 0), "decreasing after warm-up at " + i);
        }
        assertEquals(1e-3, new WarmupCosineSchedule(1e-3, 0, 0, 10).valueAt(0, 0), 0, "no warm-up");
    }

    @Test
    void refusesWhatIsNotASchedule() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new WarmupCosineSchedule(1e-3, 0, 10, 10))
                .getMessage()
                .contains("warm-up iterations 10 must be in [0, 10)"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new WarmupCosineSchedule(1e-3, 2e-3, 0, 10))
                .getMessage()
                .contains("final learning rate 0.002 must be in [0, 0.001]"));
        assertThrows(IllegalArgumentException.class, () -> new WarmupCosineSchedule(0, 0, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> new WarmupCosineSchedule(1e-3, 0, 0, 0));
    }

    @Test
    void drivesTheUpdaterOfAZooModelAndSurvivesASavedModel() throws Exception {
        ComputationGraph net = Zoo.create("tiny_cnn_28");
        WarmupCosineSchedule s = new WarmupCosineSchedule(1e-2, 1e-4, 2, 6);
        net.setLearningRate(s);
        Nd4j.getRandom().setSeed(1);
        DataSet ds = new DataSet(Nd4j.rand(4, 1, 28, 28), Nd4j.eye(10).getRows(0, 1, 2, 3));
        String layer = net.getLayer(0).conf().getLayer().getLayerName();
        for (int i = 0; i < 3; i++) {
            assertEquals(s.valueAt(i, 0), net.getLearningRate(layer), 1e-12, "learning rate before step " + i);
            net.fit(ds);
        }
        File f = new File(tmp, "net.zip");
        ModelSerializer.writeModel(net, f, true);
        ComputationGraph back = ModelSerializer.restoreComputationGraph(f, true);
        assertEquals(3, back.getConfiguration().getIterationCount(), "iterations kept by the checkpoint");
        assertEquals(s.valueAt(3, 0), back.getLearningRate(layer), 1e-12, "a restored run continues on the curve");
        assertEquals(net.getConfiguration().toJson(), back.getConfiguration().toJson());
    }
}
