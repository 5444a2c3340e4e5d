package org.dl4jpe.cli;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code pe demo}: ViT-PE micro against its baseline on the shipped Fashion-MNIST subset. */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Compare vit_pe_micro_patch4_28 (tied attention and MLP, 157,578 parameters) with"
                + " vit_micro_patch4_28 (baseline, 305,034) on the Fashion-MNIST subset shipped with dl4j-pe:"
                + " same data, epochs and seed. Needs no arguments; a few minutes on 2 cores.")
final class DemoCommand implements Runnable {
    static final String PE_MODEL = "vit_pe_micro_patch4_28";
    static final String BASELINE = "vit_micro_patch4_28";

    @ParentCommand
    PeCommand pe;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs for each model (default: 5).")
    int epochs = 5;

    @Option(
            names = "--batch",
            paramLabel = "B",
            description = "Training batch size (default: " + org.dl4jpe.zoo.train.RunConfig.DEFAULT_BATCH_SIZE + ").")
    int batch = org.dl4jpe.zoo.train.RunConfig.DEFAULT_BATCH_SIZE;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: runs/demo-TIME).")
    Path out;

    @Override
    public void run() {
        DataOptionsMixin data = new DataOptionsMixin();
        data.data = RunSetup.DEFAULT_DATA;
        CompareCommand.compare(
                pe,
                List.of(PE_MODEL, BASELINE),
                new ModelOptionsMixin(),
                data,
                epochs,
                batch,
                null,
                out != null ? out : RunSetup.defaultOut("demo"),
                null);
    }
}
