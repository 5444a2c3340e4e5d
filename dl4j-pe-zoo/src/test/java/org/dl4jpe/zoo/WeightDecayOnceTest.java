package org.dl4jpe.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * One AdamW step of a whole zoo model equals the step computed here by hand from the gradient DL4J computed:
 * Adam's first step on the data gradient, then decoupled weight decay {@code lr · wd · w} on weight matrices and
 * kernels only, once. Biases, LayerNorm and BatchNorm γ/β, the class token and the positional embedding are not
 * decayed; BatchNorm running statistics are state (no updater) and are not compared. Before
 * {@link org.dl4jpe.layers.Regularizations} the head (and the ResNet stem convolution) decayed twice.
 */
class WeightDecayOnceTest {
    private static final double LR = 1e-3;
    private static final double WD = 0.05;
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;

    /** Weight matrices and kernels by parameter name (the part after the layer's name); everything else is not decayed. */
    static boolean isDecayedWeight(String param) {
        // DL4J's W (head, stem conv), patch W, attention Wq/Wkv/Wk/Wv/Wo, MLP W/W2, the stage's shared W and S
        // and its per-block kernels; not: b, clsToken, posEmbed, gamma/beta, *Gamma/*Beta, attnB*, mlpB*.
        return param.matches("W\\d*|S|(attn|mlp)W\\w*|block\\d+(Conv\\d+|Down)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"vit_pe_micro_patch4_28", "resnet_pe_mini_28"})
    void oneAdamWStepDecaysEachWeightOnce(String model) {
        ComputationGraph net = Zoo.create(
                model,
                o -> o.withDataType(DataType.DOUBLE)
                        .withSeed(3)
                        .withUpdater(UpdaterKind.ADAMW)
                        .withLearningRate(LR)
                        .withWeightDecay(WD));
        Nd4j.getRandom().setSeed(11);
        int n = 2;
        INDArray x = Nd4j.rand(DataType.DOUBLE, n, 1, 28, 28);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, n, 10);
        y.putScalar(0, 3, 1.0);
        y.putScalar(1, 7, 1.0);
        DataSet ds = new DataSet(x, y);

        net.setInputs(x);
        net.setLabels(y);
        net.computeGradientAndScore();
        Map<String, INDArray> grad = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e :
                net.gradient().gradientForVariable().entrySet()) {
            grad.put(e.getKey(), e.getValue().dup());
        }
        Map<String, INDArray> before = copy(net.paramTable());

        net.fit(ds);
        Map<String, INDArray> after = net.paramTable();

        List<String> decayed = new ArrayList<>();
        int compared = 0;
        for (Layer layer : net.getLayers()) {
            String layerName = layer.conf().getLayer().getLayerName();
            for (String p : layer.paramTable().keySet()) {
                String key = layerName + "_" + p;
                if (layer.conf().getLayer().getUpdaterByParam(p) instanceof NoOp) {
                    continue; // BatchNorm running statistics: state, not trained
                }
                assertTrue(grad.get(key) != null, model + ": no gradient for " + key);
                // DL4J's gradient() is of the summed loss; its updater divides by the minibatch size first
                INDArray g = grad.get(key).div(n);
                INDArray w0 = before.get(key);
                // Adam, first step (DL4J's AdamUpdater: bias-corrected step size, epsilon outside the root)
                INDArray m = g.mul(1 - BETA1);
                INDArray v = g.mul(g).muli(1 - BETA2);
                double alpha = LR * Math.sqrt(1 - BETA2) / (1 - BETA1);
                INDArray update = m.mul(alpha).divi(Nd4j.math().sqrt(v).addi(EPS));
                boolean decay = isDecayedWeight(p);
                if (decay) {
                    update.addi(w0.mul(LR * WD));
                    decayed.add(key);
                }
                INDArray expected = w0.sub(update);
                INDArray diff = after.get(key).sub(expected);
                double scale = Math.max(1e-12, update.norm2Number().doubleValue());
                double rel = diff.norm2Number().doubleValue() / scale;
                assertTrue(
                        rel < 1e-9,
                        () -> String.format(
                                "%s: parameter %s (%s) differs from one AdamW step with decoupled weight decay %s "
                                        + "applied %s: |actual - expected| / |update| = %.3g; the weight-decay part alone "
                                        + "is %.3g of the update",
                                model,
                                key,
                                decay ? "weight" : "not a weight",
                                WD,
                                decay ? "once" : "not at all",
                                rel,
                                w0.mul(LR * WD).norm2Number().doubleValue() / scale));
                compared++;
            }
        }
        assertTrue(compared > 10, model + ": compared only " + compared + " parameters");
        assertTrue(
                decayed.stream().anyMatch(k -> k.startsWith("head_")),
                model + ": the head was not decayed: " + decayed);
        assertTrue(decayed.size() >= 4, model + ": only " + decayed + " were treated as weights");
        assertEquals(before.keySet(), after.keySet());
    }

    private static Map<String, INDArray> copy(Map<String, INDArray> table) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : table.entrySet()) {
            out.put(e.getKey(), e.getValue().dup());
        }
        return out;
    }
}
