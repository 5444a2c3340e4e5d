package org.dl4jpe.layers;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * The standard ResNet v1.5 bottleneck stage ({@code SharedBottleneckStage} at {@code Sharing.NONE}) built from DL4J's
 * own layers: {@code ConvolutionLayer} without bias, {@code BatchNormalization} (decay {@code 1 − momentum}, eps,
 * variance stored as variance), {@code ActivationLayer} ReLU and an {@code ElementWiseVertex} add. It is the
 * reference the stage is tested against and the baseline it is timed against.
 *
 * <p>Vertex names come from {@link #name}: {@code prefix + "block" + i + "_" + part}, parts {@code conv1},
 * {@code bn1}, {@code relu1}, {@code conv2}, {@code bn2}, {@code relu2}, {@code conv3}, {@code bn3}, {@code down},
 * {@code downBn}, {@code add}, {@code out}. Convolution weights are {@code [out, in, kH, kW]}; BatchNorm parameters
 * {@code gamma}, {@code beta}, {@code mean}, {@code var} are {@code [1, C]}.
 */
public final class BuiltInStage {
    private BuiltInStage() {}

    /** The name of one vertex of the stage. */
    public static String name(String prefix, int block, String part) {
        return prefix + "block" + block + "_" + part;
    }

    /**
     * Adds the stage to {@code g} after vertex {@code input}; returns the name of its output vertex.
     *
     * @param momentum BatchNorm momentum (PyTorch convention); DL4J's decay is {@code 1 − momentum}
     */
    public static String add(
            ComputationGraphConfiguration.GraphBuilder g,
            String prefix,
            String input,
            long inChannels,
            long midChannels,
            int numBlocks,
            int stride,
            double momentum,
            double eps) {
        long m = midChannels;
        String x = input;
        for (int i = 1; i <= numBlocks; i++) {
            int s = i == 1 ? stride : 1;
            long in = i == 1 ? inChannels : 4 * m;
            g.addLayer(name(prefix, i, "conv1"), conv(1, 1, 0, in, m), x);
            g.addLayer(name(prefix, i, "bn1"), bn(m, momentum, eps), name(prefix, i, "conv1"));
            g.addLayer(name(prefix, i, "relu1"), relu(), name(prefix, i, "bn1"));
            g.addLayer(name(prefix, i, "conv2"), conv(3, s, 1, m, m), name(prefix, i, "relu1"));
            g.addLayer(name(prefix, i, "bn2"), bn(m, momentum, eps), name(prefix, i, "conv2"));
            g.addLayer(name(prefix, i, "relu2"), relu(), name(prefix, i, "bn2"));
            g.addLayer(name(prefix, i, "conv3"), conv(1, 1, 0, m, 4 * m), name(prefix, i, "relu2"));
            g.addLayer(name(prefix, i, "bn3"), bn(4 * m, momentum, eps), name(prefix, i, "conv3"));
            String shortcut = x;
            if (i == 1) {
                g.addLayer(name(prefix, i, "down"), conv(1, s, 0, in, 4 * m), x);
                g.addLayer(name(prefix, i, "downBn"), bn(4 * m, momentum, eps), name(prefix, i, "down"));
                shortcut = name(prefix, i, "downBn");
            }
            g.addVertex(
                    name(prefix, i, "add"),
                    new ElementWiseVertex(ElementWiseVertex.Op.Add),
                    name(prefix, i, "bn3"),
                    shortcut);
            g.addLayer(name(prefix, i, "out"), relu(), name(prefix, i, "add"));
            x = name(prefix, i, "out");
        }
        return x;
    }

    private static ConvolutionLayer conv(int k, int stride, int pad, long in, long out) {
        return new ConvolutionLayer.Builder(k, k)
                .stride(stride, stride)
                .padding(pad, pad)
                .convolutionMode(ConvolutionMode.Truncate)
                .nIn(in)
                .nOut(out)
                .hasBias(false)
                .activation(Activation.IDENTITY)
                .build();
    }

    private static BatchNormalization bn(long width, double momentum, double eps) {
        return new BatchNormalization.Builder()
                .nIn(width)
                .nOut(width)
                .decay(1.0 - momentum)
                .eps(eps)
                .useLogStd(false)
                .build();
    }

    private static ActivationLayer relu() {
        return new ActivationLayer.Builder().activation(Activation.RELU).build();
    }
}
