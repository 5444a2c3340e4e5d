package org.dl4jpe.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.dl4jpe.zoo.train.Json;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/** {@link ModelOptions}: named parts in Java, one flat object of {@link ModelOptions#FIELDS} in files. */
class ModelOptionsTest {

    @Test
    void filesHoldTheFlatFieldsInTheirOrderAndReadBack() throws IOException {
        ModelOptions o = ModelOptions.DEFAULTS
                .withInputShape(32, 28, 3)
                .withNumClasses(7)
                .withSeed(5)
                .withUpdater(UpdaterKind.SGD)
                .withLearningRate(0.25)
                .withWeightDecay(0.5)
                .withDropout(0.125)
                .withDropPath(0.0625)
                .withWorkspaceMode(WorkspaceMode.NONE)
                .withDataType(DataType.DOUBLE);
        JsonNode n = Json.mapper().readTree(Json.write(o));
        List<String> keys = new ArrayList<>();
        n.fieldNames().forEachRemaining(keys::add);
        assertEquals(
                List.of(
                        "numClasses",
                        "inputHeight",
                        "inputWidth",
                        "inputChannels",
                        "seed",
                        "updater",
                        "learningRate",
                        "weightDecay",
                        "dropout",
                        "dropPath",
                        "workspaceMode",
                        "cacheMode",
                        "dataType"),
                keys);
        assertEquals(ModelOptions.FIELDS, keys);
        assertEquals(32, n.get("inputHeight").intValue());
        assertEquals("SGD", n.get("updater").textValue());
        assertEquals(o, Json.read(Json.write(o), ModelOptions.class));
        assertEquals(new InputShape(32, 28, 3), o.input());
        assertEquals(new ModelOptions.Optimiser(UpdaterKind.SGD, 0.25, 0.5), o.optimiser());
        assertEquals(new ModelOptions.DropRates(0.125, 0.0625), o.drop());
    }

    @Test
    void fieldsAreChangedByNameWithTheirTypesChecked() {
        ModelOptions o = ModelOptions.DEFAULTS.withFields(
                Map.of("inputHeight", 28, "inputWidth", 28, "inputChannels", 1, "learningRate", 0.5));
        assertEquals(InputShape.FASHION_MNIST, o.input());
        assertEquals(0.5, o.learningRate());
        assertEquals(ModelOptions.DEFAULTS.fields().get("seed"), o.seed());
        assertEquals(double.class, ModelOptions.fieldType("dropout"));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> ModelOptions.DEFAULTS.withFields(Map.of("learningRate", "fast")));
        assertEquals("option learningRate: value fast is not a double", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelOptions.DEFAULTS.withFields(Map.of("lr", 1.0)));
        assertTrue(e.getMessage().startsWith("options have no field 'lr'; the fields: numClasses, "), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class, () -> ModelOptions.DEFAULTS.withFields(Map.of("dropout", 1.0)));
        assertEquals("dropout 1.0 must be in [0, 1)", e.getMessage());
    }

    @Test
    void aFileLackingAFieldOrWithAWrongValueIsNamed() throws IOException {
        ObjectNode n = (ObjectNode) Json.mapper().readTree(Json.write(ModelOptions.DEFAULTS));
        n.remove("seed");
        n.remove("dropPath");
        IOException e = assertThrows(IOException.class, () -> Json.read(n.toString(), ModelOptions.class));
        assertTrue(e.getMessage().contains("options lack field(s) seed, dropPath"), e.getMessage());
        ObjectNode m = (ObjectNode) Json.mapper().readTree(Json.write(ModelOptions.DEFAULTS));
        m.put("updater", "LION");
        e = assertThrows(IOException.class, () -> Json.read(m.toString(), ModelOptions.class));
        assertTrue(
                e.getMessage().contains("option updater: 'LION' is not one of ADAMW, ADAM, NESTEROVS, SGD"),
                e.getMessage());
    }
}
