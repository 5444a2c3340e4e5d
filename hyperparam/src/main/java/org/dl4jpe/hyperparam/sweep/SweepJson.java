package org.dl4jpe.hyperparam.sweep;

import java.io.IOException;
import java.nio.file.Path;
import org.dl4jpe.zoo.train.Json;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/** JSON of sweep files: the project's one mapper ({@link Json}: duplicate keys are errors), with a final newline. */
final class SweepJson {
    static final ObjectMapper MAPPER = Json.mapper();

    private SweepJson() {
    }

    static String write(Object value) {
        return Json.write(value) + "\n";
    }

    static <T> T read(Path file, Class<T> type) throws IOException {
        return Json.read(file, type);
    }
}
