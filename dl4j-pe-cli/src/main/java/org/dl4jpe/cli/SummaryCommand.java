package org.dl4jpe.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.dl4jpe.zoo.ModelOptions;
import org.dl4jpe.zoo.ParameterCounts;
import org.dl4jpe.zoo.RegisteredModel;
import org.dl4jpe.zoo.train.TextTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code pe summary MODEL}: the layer table of a model, computed from its configuration (nothing allocated). */
@Command(
        name = "summary",
        mixinStandardHelpOptions = true,
        description = "Print a model's layers in order with their output shapes and trainable parameters.")
final class SummaryCommand implements Runnable {
    @ParentCommand
    PeCommand pe;

    @Parameters(index = "0", paramLabel = "MODEL", description = "A registered model name (see 'pe models').")
    String model;

    @Mixin
    ModelOptionsMixin modelOptions;

    @Override
    public void run() {
        RegisteredModel m = pe.registry().get(model);
        ModelOptions o = modelOptions.apply(m.defaultOptions());
        ComputationGraphConfiguration conf = m.configure(o);
        InputType in = InputType.convolutional(o.inputHeight(), o.inputWidth(), o.inputChannels());
        Map<String, InputType> types = conf.getLayerActivationTypes(false, false, in);
        Map<String, Long> params = ParameterCounts.byVertex(conf);
        TextTable t = new TextTable("vertex", "type", "inputs", "output shape", ">parameters");
        for (Map.Entry<String, InputType> e : types.entrySet()) {
            String name = e.getKey();
            GraphVertex v = conf.getVertices().get(name);
            List<String> inputs = conf.getVertexInputs().get(name);
            t.row(
                    name,
                    v == null ? "Input" : type(v),
                    inputs == null ? "" : String.join(", ", inputs),
                    shape(e.getValue()),
                    v == null ? "" : TextTable.count(params.getOrDefault(name, 0L)));
        }
        long trainable = ParameterCounts.trainable(conf);
        long total = ParameterCounts.total(conf);
        pe.out.println(m.name() + ": " + m.description());
        pe.out.println("options: " + o);
        pe.out.println();
        pe.out.print(t.text());
        pe.out.println();
        pe.out.println("trainable parameters: " + TextTable.count(trainable));
        if (total != trainable) {
            pe.out.println("all parameters (DL4J numParams, with BatchNorm running statistics and layer state): "
                    + TextTable.count(total));
        }
        pe.out.flush();
    }

    private static String type(GraphVertex v) {
        if (v instanceof LayerVertex lv) {
            return lv.getLayerConf().getLayer().getClass().getSimpleName();
        }
        return v.getClass().getSimpleName();
    }

    /** {@code [N, C, H, W]} style, N for the batch. */
    static String shape(InputType t) {
        long[] s = t.getShape(true);
        return "["
                + Arrays.stream(s).mapToObj(d -> d < 0 ? "N" : Long.toString(d)).collect(Collectors.joining(", "))
                + "]";
    }
}
