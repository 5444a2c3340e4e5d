package org.dl4jpe.cli;

import org.dl4jpe.zoo.RegisteredModel;
import org.dl4jpe.zoo.train.TextTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code pe models}: every registered model with its exact trainable parameter count. */
@Command(
        name = "models",
        mixinStandardHelpOptions = true,
        description = "List every registered model with its exact trainable parameter count and a description.")
final class ModelsCommand implements Runnable {
    @ParentCommand
    PeCommand pe;

    @Override
    public void run() {
        if (pe.registry().models().isEmpty()) {
            pe.err.println("pe models: no model family is on the class path (families register through"
                    + " META-INF/services/org.dl4jpe.zoo.ModelFamily)");
        }
        TextTable t = new TextTable("model", ">parameters", "input", ">classes", "description");
        for (RegisteredModel m : pe.registry().models()) {
            var o = m.defaultOptions();
            t.row(
                    m.name(),
                    TextTable.count(m.trainableParameters()),
                    o.inputHeight() + "x" + o.inputWidth() + "x" + o.inputChannels(),
                    o.numClasses(),
                    m.description());
        }
        pe.out.print(t.text());
        pe.out.flush();
    }
}
