package org.dl4jpe.layers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dl4jpe.layers.SharedBottleneckStage.Sharing;
import org.dl4jpe.layers.SharedBottleneckStage.WeightUse;

/**
 * The one description of a {@link SharedBottleneckStage}'s structure, derived from its sharing level: its blocks,
 * their convolutions (which weight each reads, transposed or not, kernel, stride, widths, the BatchNorm after it),
 * the weights that exist and the BatchNorms. Everything else reads it: the parameter declarations and their
 * initialization, the SameDiff definition, the direct engine and the FLOP count.
 *
 * <p>Which weight a convolution reads (docs/what-it-computes.md; blocks numbered from 1; block 1's reduce P₁ is
 * never shared):
 * <ul>
 *   <li>reduce Pᵢ: its own {@code blockIConv1}, except blocks ≥ 2 of STAGE, STAGE_FIRST and STAGE_FIRST_3X3, which
 *       read the stage's W;</li>
 *   <li>3×3 Sᵢ: its own {@code blockIConv2}, except blocks ≥ 2 of STAGE_FIRST_3X3, which read S;</li>
 *   <li>expand Qᵢ: its own {@code blockIConv3} under NONE (and in block 1 under TIED and STAGE); otherwise the
 *       transpose of the block's own reduce (TIED) or of W.</li>
 * </ul>
 */
final class StagePlan {
    /** A convolution's position in its block. */
    enum Role {
        REDUCE,
        CONV3X3,
        EXPAND,
        SHORTCUT
    }

    /**
     * One weight parameter: its name and stored shape ({@code [out, in]} for a 1×1 matrix, {@code [out, in, 3, 3]}
     * for a 3×3 kernel). {@code shape[0]} is the output width of the convolutions that read it untransposed.
     * {@code block} is the block that declares it (0 for the stage's shared W and S).
     */
    record Weight(String name, long[] shape, int block) {
        /**
         * torchvision's {@code kaiming_normal_(w, mode="fan_out", nonlinearity="relu")} standard deviation for the
         * stored tensor: {@code √(2 / (shape[0]·kH·kW))}. For a shared matrix W {@code [m, 4m]} that is the
         * fan-out of its untransposed use (the reduce, m outputs), as PyTorch computes it for the tensor.
         */
        double heFanOutStd() {
            long fanOut = shape[0];
            for (int d = 2; d < shape.length; d++) {
                fanOut *= shape[d];
            }
            return Math.sqrt(2.0 / fanOut);
        }
    }

    /**
     * One convolution followed by BatchNorm (and ReLU if {@code relu}).
     *
     * @param block  the block, from 1
     * @param role   reduce, 3×3, expand or the projection shortcut
     * @param weight the parameter it reads and whether it uses its transpose
     * @param kernel 1 or 3 (padding kernel / 2)
     * @param stride its stride
     * @param in     input channels
     * @param out    output channels
     * @param bn     the BatchNorm's parameter name prefix
     * @param relu   whether ReLU follows the BatchNorm directly (reduce and 3×3)
     * @param inputStride how much smaller its input is than the stage's: 1 for block 1's reduce, 3×3 and
     *                    shortcut (they read the stage input or its full-resolution reduce), the stage stride for
     *                    the rest
     */
    record Conv(
            int block,
            Role role,
            WeightUse weight,
            int kernel,
            int stride,
            long in,
            long out,
            String bn,
            boolean relu,
            int inputStride) {
        /** Its output's height (or width) for a stage input of height (or width) {@code size}. */
        long outSize(long size) {
            long inSize = (size - 1) / inputStride + 1;
            return (inSize - 1) / stride + 1;
        }

        /** How much smaller its output is than the stage input (BatchNorms with equal values see equal N·H·W). */
        int outputStride() {
            return inputStride * stride;
        }
    }

    /** One block: reduce, 3×3, expand and (block 1 only) the projection shortcut, else null. */
    record Block(int index, Conv reduce, Conv conv3x3, Conv expand, Conv shortcut) {
        List<Conv> convs() {
            List<Conv> c = new ArrayList<>(List.of(reduce, conv3x3, expand));
            if (shortcut != null) {
                c.add(shortcut);
            }
            return c;
        }
    }

    private final List<Block> blocks;
    private final Map<String, Weight> weights;
    /** BatchNorm name prefix → width, in block order. */
    private final Map<String, Long> batchNorms;

    private StagePlan(List<Block> blocks, Map<String, Weight> weights, Map<String, Long> batchNorms) {
        this.blocks = List.copyOf(blocks);
        this.weights = Collections.unmodifiableMap(weights);
        this.batchNorms = Collections.unmodifiableMap(batchNorms);
    }

    /** The plan of a stage with these numbers. */
    static StagePlan of(long inChannels, long midChannels, int numBlocks, int stride, Sharing sharing) {
        long m = midChannels;
        long out = 4 * m;
        Map<String, Weight> weights = new LinkedHashMap<>();
        if (sharing == Sharing.STAGE_FIRST
                || sharing == Sharing.STAGE_FIRST_3X3
                || (sharing == Sharing.STAGE && numBlocks >= 2)) {
            weights.put(
                    SharedBottleneckStage.SHARED_1X1,
                    new Weight(SharedBottleneckStage.SHARED_1X1, new long[] {m, out}, 0));
        }
        if (sharing == Sharing.STAGE_FIRST_3X3 && numBlocks >= 2) {
            weights.put(
                    SharedBottleneckStage.SHARED_3X3,
                    new Weight(SharedBottleneckStage.SHARED_3X3, new long[] {m, m, 3, 3}, 0));
        }
        Map<String, Long> bns = new LinkedHashMap<>();
        List<Block> blocks = new ArrayList<>();
        for (int i = 1; i <= numBlocks; i++) {
            long in = i == 1 ? inChannels : out;
            int s = i == 1 ? stride : 1;
            boolean ownReduce = i == 1 || sharing == Sharing.NONE || sharing == Sharing.TIED;
            boolean ownConv3x3 = i == 1 || sharing != Sharing.STAGE_FIRST_3X3;
            boolean ownExpand =
                    sharing == Sharing.NONE || (i == 1 && (sharing == Sharing.TIED || sharing == Sharing.STAGE));
            String p = SharedBottleneckStage.convParam(i, 1);
            String q = SharedBottleneckStage.convParam(i, 3);
            String sParam = SharedBottleneckStage.convParam(i, 2);
            if (ownReduce) {
                weights.put(p, new Weight(p, new long[] {m, in}, i));
            }
            if (ownConv3x3) {
                weights.put(sParam, new Weight(sParam, new long[] {m, m, 3, 3}, i));
            }
            if (ownExpand) {
                weights.put(q, new Weight(q, new long[] {out, m}, i));
            }
            WeightUse reduceUse = new WeightUse(ownReduce ? p : SharedBottleneckStage.SHARED_1X1, false);
            WeightUse conv3x3Use = new WeightUse(ownConv3x3 ? sParam : SharedBottleneckStage.SHARED_3X3, false);
            WeightUse expandUse = ownExpand
                    ? new WeightUse(q, false)
                    : new WeightUse(sharing == Sharing.TIED ? p : SharedBottleneckStage.SHARED_1X1, true);
            int at = i == 1 ? 1 : stride; // the resolution of the block's input, as a stride from the stage input
            Conv reduce =
                    conv(bns, i, Role.REDUCE, reduceUse, 1, 1, in, m, SharedBottleneckStage.bnParam(i, 1, ""), at);
            Conv conv3x3 =
                    conv(bns, i, Role.CONV3X3, conv3x3Use, 3, s, m, m, SharedBottleneckStage.bnParam(i, 2, ""), at);
            Conv expand =
                    conv(bns, i, Role.EXPAND, expandUse, 1, 1, m, out, SharedBottleneckStage.bnParam(i, 3, ""), stride);
            Conv shortcut = null;
            if (i == 1) {
                String d = SharedBottleneckStage.downParam();
                weights.put(d, new Weight(d, new long[] {out, inChannels}, i));
                shortcut = conv(
                        bns,
                        i,
                        Role.SHORTCUT,
                        new WeightUse(d, false),
                        1,
                        s,
                        inChannels,
                        out,
                        SharedBottleneckStage.downBnParam(""),
                        1);
            }
            blocks.add(new Block(i, reduce, conv3x3, expand, shortcut));
        }
        return new StagePlan(blocks, weights, bns);
    }

    private static Conv conv(
            Map<String, Long> bns,
            int block,
            Role role,
            WeightUse w,
            int kernel,
            int stride,
            long in,
            long out,
            String bn,
            int inputStride) {
        bns.put(bn, out);
        return new Conv(
                block, role, w, kernel, stride, in, out, bn, role == Role.REDUCE || role == Role.CONV3X3, inputStride);
    }

    List<Block> blocks() {
        return blocks;
    }

    /** The weights that exist (only those some convolution reads), shared ones first. */
    Map<String, Weight> weights() {
        return weights;
    }

    /** Every BatchNorm: name prefix → width. */
    Map<String, Long> batchNorms() {
        return batchNorms;
    }

    /** Every convolution, block by block (reduce, 3×3, expand, shortcut). */
    List<Conv> convs() {
        List<Conv> all = new ArrayList<>();
        for (Block b : blocks) {
            all.addAll(b.convs());
        }
        return all;
    }

    /** The running statistics of every BatchNorm. */
    Set<String> stateParams() {
        Set<String> s = new LinkedHashSet<>();
        for (String bn : batchNorms.keySet()) {
            s.add(bn + SharedBottleneckStage.MEAN);
            s.add(bn + SharedBottleneckStage.VAR);
        }
        return s;
    }

    /** The BatchNorms whose γ {@code zeroInitLastBnGamma} zeroes: each block's last (after the expand). */
    Set<String> lastBatchNorms() {
        Set<String> s = new LinkedHashSet<>();
        for (Block b : blocks) {
            s.add(b.expand().bn());
        }
        return s;
    }
}
