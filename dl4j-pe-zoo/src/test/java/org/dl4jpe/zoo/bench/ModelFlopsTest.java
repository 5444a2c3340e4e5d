package org.dl4jpe.zoo.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.RegisteredModel;
import org.dl4jpe.zoo.Zoo;
import org.junit.jupiter.api.Test;

class ModelFlopsTest {
    private static double forward(String name) {
        RegisteredModel m = Zoo.registry().get(name);
        ModelOptions o = m.defaultOptions();
        return ModelFlops.forward(
                m.configure(o), InputType.convolutional(o.inputHeight(), o.inputWidth(), o.inputChannels()));
    }

    /**
     * ViT micro by hand: 50 tokens (49 patches and the class token), D 64, hidden 256, 6 blocks. Patches
     * 2·49·16·64 = 100,352; per block attention 2·(4·50·64² + 2·50²·64) = 2,278,400 and MLP 2·2·50·64·256 =
     * 3,276,800; head 2·64·10 = 1,280.
     */
    @Test
    void vitMicroCountsByHandAndTyingChangesNothing() {
        double expected = 100_352 + 6 * (2_278_400 + 3_276_800) + 1_280;
        assertEquals(33_432_832, expected);
        assertEquals(expected, forward("vit_micro_patch4_28"));
        assertEquals(expected, forward("vit_pe_micro_patch4_28"));
    }

    @Test
    void vitMicroPerLayerNamesEveryBlock() {
        RegisteredModel m = Zoo.registry().get("vit_pe_micro_patch4_28");
        Map<String, Double> per =
                ModelFlops.perLayer(m.configure(m.defaultOptions()), InputType.convolutional(28, 28, 1));
        assertEquals(8, per.size(), per.toString()); // patch_embed, 6 blocks, head
        assertEquals(100_352, per.get("patch_embed"));
        assertEquals(1_280, per.get("head"));
    }

    /**
     * Mini ResNet by hand: stem 2·28²·9·32 = 451,584; stage 1 (28², m 16) 22,880,256; stage 2 (28² → 14², m 32)
     * 32,112,640; stage 3 (14² → 7², m 64) 25,288,704; head 2·256·10 = 5,120. Sharing changes no count.
     */
    @Test
    void resnetMiniCountsByHandAtEverySharingLevel() {
        double expected = 451_584 + 22_880_256 + 32_112_640 + 25_288_704 + 5_120;
        assertEquals(expected, forward("resnet_mini_28"));
        assertEquals(expected, forward("resnet_pe_mini_28"));
    }

    /** Published figures: torchvision's ResNet50 4.09 GMAC, DeiT-S 4.6 GMAC (2 FLOPs per multiply-add). */
    @Test
    void fullSizeModelsMatchPublishedCounts() {
        assertEquals(2 * 4.089e9, forward("resnet50"), 2 * 0.001e9);
        assertEquals(forward("resnet50"), forward("resnet50_pe"));
        assertEquals(2 * 4.6e9, forward("vit_small_patch16_224"), 2 * 0.05e9);
        assertEquals(forward("vit_small_patch16_224"), forward("vit_pe_small_patch16_224"));
    }
}
