package org.dl4jpe.zoo;

import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * One model family: one builder and a table of variants (timm's layout). A variant is a {@link Variant}: its name,
 * description, a config value of type {@code C} that states only the numbers that define the architecture, and its
 * default options (input shape and classes stated for each variant); {@link #variants()} is the table.
 *
 * <p>Families are found with {@link java.util.ServiceLoader}: adding one is this class plus its line in
 * {@code META-INF/services/org.dl4jpe.zoo.ModelFamily}. A family needs a public no-argument constructor.
 *
 * <pre>{@code
 * public final class VitFamily implements ModelFamily<VitConfig> {
 *     public static final VitConfig MICRO = VitConfig.of(4, 64, 6, 4);
 *     public String name() { return "vit"; }
 *     public List<Variant<VitConfig>> variants() {
 *         return List.of(
 *                 Variant.of("vit_micro_patch4_28", "ViT micro, baseline attention", MICRO,
 *                         InputShape.FASHION_MNIST, 10),
 *                 Variant.of("vit_pe_micro_patch4_28", "ViT-PE micro, tied attention and MLP", MICRO.tied(),
 *                         InputShape.FASHION_MNIST, 10));
 *     }
 *     public ComputationGraphConfiguration configure(VitConfig c, ModelOptions o) {
 *         ComputationGraphConfiguration.GraphBuilder g = o.baseConfiguration().graphBuilder(); ...
 *     }
 * }
 * }</pre>
 *
 * @param <C> the variant configuration type
 */
public interface ModelFamily<C> {

    /** A short family name for messages and {@code pe models} ("vit", "resnet"). */
    String name();

    /** The variant table: every variant of this family, in the order {@code pe models} lists them. */
    List<Variant<C>> variants();

    /**
     * The graph configuration of {@code config} under {@code options}; validates and throws
     * {@link IllegalArgumentException} naming the field, its value and what is valid. Start from
     * {@link ModelOptions#baseConfiguration()} and set the input type, so that nIn values are inferred.
     */
    ComputationGraphConfiguration configure(C config, ModelOptions options);

    /** The initialised graph; override only if a family needs more than {@code new ComputationGraph(conf).init()}. */
    default ComputationGraph build(C config, ModelOptions options) {
        ComputationGraph net = new ComputationGraph(configure(config, options));
        net.init();
        return net;
    }
}
