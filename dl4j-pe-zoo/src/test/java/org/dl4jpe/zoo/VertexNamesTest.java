package org.dl4jpe.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class VertexNamesTest {
    @Test
    void wordsAndNumbers() {
        assertEquals("stage2_block1_conv2", VertexNames.of("stage", 2, "block", 1, "conv", 2));
        assertEquals("blocks11_attn", VertexNames.of("blocks", 11, "attn"));
        assertEquals("head", VertexNames.of("head"));
        assertEquals("patch_embed", VertexNames.of("patch_embed"));
    }

    @Test
    void rejectsWhatIsNotAName() {
        assertEquals(
                "vertex name part 'Conv' must be a lower-case word or a number",
                assertThrows(IllegalArgumentException.class, () -> VertexNames.of("stage", 1, "Conv"))
                        .getMessage());
        assertThrows(IllegalArgumentException.class, () -> VertexNames.of(3, "block"));
        assertThrows(IllegalArgumentException.class, () -> VertexNames.of("block", -1));
        assertThrows(IllegalArgumentException.class, VertexNames::of);
    }
}
