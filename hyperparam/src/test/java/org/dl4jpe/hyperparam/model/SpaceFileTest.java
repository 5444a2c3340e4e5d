package org.dl4jpe.hyperparam.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.arbiter.optimize.parameter.FixedValue;
import org.deeplearning4j.arbiter.optimize.parameter.continuous.ContinuousParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.discrete.DiscreteParameterSpace;
import org.deeplearning4j.arbiter.optimize.parameter.integer.IntegerParameterSpace;
import org.dl4jpe.zoo.Zoo;
import org.dl4jpe.zoo.data.InvalidDataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The space file format: the shipped example and every preset parse; mistakes get messages naming them. */
class SpaceFileTest {
    @TempDir
    Path tmp;

    @Test
    void theExampleInTheRepositoryParses() {
        Path example = Path.of("examples/vit-micro-space.json");
        assertTrue(Files.isRegularFile(example), "run from the hyperparam module: " + example.toAbsolutePath());
        SpaceFile f = SpaceFile.read(example, Zoo.registry());
        ModelSpace s = f.space();
        assertEquals("vit_pe_micro_patch4_28", s.baseModel());
        assertEquals(
                List.of("attention", "mlpTie", "embedDim", "depth", "learningRate", "weightDecay"), s.searchedAxes());
        assertInstanceOf(DiscreteParameterSpace.class, s.axes().get("attention"));
        assertInstanceOf(IntegerParameterSpace.class, s.axes().get("depth"));
        assertInstanceOf(ContinuousParameterSpace.class, s.axes().get("learningRate"));
        assertInstanceOf(FixedValue.class, s.axes().get("numHeads"));
        assertEquals(8, f.defaults().get("candidates"));

        SpaceFile grid = SpaceFile.read(Path.of("examples/vit-micro-tie-grid.json"), Zoo.registry());
        assertEquals(List.of("attention", "mlpTie"), grid.space().searchedAxes());
        assertEquals("grid", grid.defaults().get("generator"));
    }

    @Test
    void everyPresetParses() {
        for (String name : Presets.NAMES) {
            SpaceFile f = Presets.load(name, Zoo.registry());
            assertTrue(!f.description().isBlank(), name);
            assertTrue(f.space().searchedAxes().size() >= 2, name + " searches something");
            assertTrue(f.defaults().containsKey("candidates"), name + " states its budget");
        }
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Presets.load("nope", Zoo.registry()));
        assertEquals("preset = 'nope' is not one of " + String.join(", ", Presets.NAMES), e.getMessage());
    }

    private static String error(String json) {
        return assertThrows(InvalidDataException.class, () -> SpaceFile.parse(json, "s.json", Zoo.registry()))
                .getMessage();
    }

    private static String space(String axes) {
        return "{\"model\": \"vit_pe_micro_patch4_28\", \"axes\": {" + axes + "}}";
    }

    @Test
    void mistakesAreNamed() {
        assertTrue(error("{\"model\": ").startsWith("s.json: not valid JSON"), error("{\"model\": "));
        assertEquals(
                "s.json: unknown key \"axis\"; a space file has model, axes, defaults and description",
                error("{\"model\": \"vit_pe_micro_patch4_28\", \"axis\": {}}"));
        assertTrue(error("{\"model\": \"vit_huge\", \"axes\": {}}")
                .startsWith("s.json: model 'vit_huge' is not" + " registered"));
        assertEquals(
                "s.json: axis attention: value 'QK_V0' is not one of QO_KV, QK_VO, NONE",
                error(space("\"attention\": [\"QO_KV\", \"QK_V0\"]")));
        assertEquals("s.json: axis depth: value 2.5 is not a whole number", error(space("\"depth\": [2, 2.5]")));
        assertEquals("s.json: axis depth: the list of values is empty", error(space("\"depth\": []")));
        assertEquals("s.json: axis depth: value 4 is listed twice", error(space("\"depth\": [4, 4]")));
        assertEquals(
                "s.json: axis learningRate: logUniform needs min > 0, got 0.0",
                error(space("\"learningRate\": {\"logUniform\": [0, 1e-3]}")));
        assertEquals(
                "s.json: axis learningRate: range [0.01, 0.001] needs min < max",
                error(space("\"learningRate\": {\"uniform\": [1e-2, 1e-3]}")));
        assertEquals(
                "s.json: axis depth takes int; \"uniform\" gives real numbers (use \"int\")",
                error(space("\"depth\": {\"uniform\": [2, 6]}")));
        assertEquals(
                "s.json: axis mlpRatio: unknown range \"normal\"; use uniform, logUniform or int",
                error(space("\"mlpRatio\": {\"normal\": [2, 6]}")));
        assertTrue(error(space("\"heads\": [2, 4]")).startsWith("s.json: axis 'heads' cannot be searched"));
        assertTrue(error("{\"model\": \"vit_pe_micro_patch4_28\", \"axes\": {}, \"defaults\": {\"budget\": 3}}")
                .startsWith("s.json: unknown default \"budget\"; defaults may set candidates, data"));
    }

    @Test
    void valuesNoCandidateCouldTrainWithAreRefusedWhenTheFileIsRead() {
        assertEquals(
                "s.json: axis batchSize: value 0 is not valid: must be positive", error(space("\"batchSize\": 0")));
        assertEquals(
                "s.json: axis epochs: value -1 is not valid: must be positive", error(space("\"epochs\": [1, -1]")));
        assertEquals(
                "s.json: axis learningRate: value -1.0 is not valid: learningRate -1.0 must be positive and"
                        + " finite",
                error(space("\"learningRate\": -1")));
        assertEquals(
                "s.json: axis dropout: value 1.5 is not valid: dropout 1.5 must be in [0, 1)",
                error(space("\"dropout\": {\"uniform\": [0, 1.5]}")));
        assertEquals(
                "s.json: axis batchSize: value 0 is not valid: must be positive",
                error(space("\"batchSize\": {\"int\": [0, 64]}")));
        assertTrue(error("{\"model\": \"vit_pe_micro_patch4_28\", \"model\": \"x\", \"axes\": {}}")
                .contains("Duplicate field 'model'"));
    }

    @Test
    void listAxesTakeAListAsOneValueAndAListOfListsAsChoices() {
        SpaceFile f = SpaceFile.parse(
                "{\"model\": \"resnet_pe_mini_28\", \"axes\": {\"blocks\": [[1, 1, 1], [2, 2, 2]],"
                        + " \"midWidths\": [8, 16, 32], \"sharing\": [\"NONE\", \"STAGE\"]}}",
                "r.json",
                Zoo.registry());
        assertEquals(List.of("blocks", "sharing"), f.space().searchedAxes());
        assertTrue(
                f.space().toString().contains("midWidths=FixedValue([8, 16, 32])"),
                f.space().toString());
        assertEquals(
                "r.json: axis blocks[1]: value 1.5 is not a whole number",
                assertThrows(
                                InvalidDataException.class,
                                () -> SpaceFile.parse(
                                        "{\"model\": \"resnet_pe_mini_28\","
                                                + " \"axes\": {\"blocks\": [[1, 1.5, 1]]}}",
                                        "r.json",
                                        Zoo.registry()))
                        .getMessage());
    }

    @Test
    void aSpaceFileOnDiskIsReadWithItsName() throws Exception {
        Path f = tmp.resolve("mine.json");
        Files.writeString(f, space("\"mlpRatio\": [2, 4.0], \"epochs\": 2"));
        SpaceFile s = SpaceFile.read(f, Zoo.registry());
        assertEquals(List.of("mlpRatio"), s.space().searchedAxes());
        assertEquals("space = " + f, s.source());
        assertTrue(
                s.space().toString().contains("mlpRatio=DiscreteParameterSpace("),
                s.space().toString());
        assertEquals(
                s.space().toString(),
                SpaceFile.parse(s.text(), "again", Zoo.registry()).space().toString(),
                "the same text gives the same space (what --resume checks)");
    }
}
