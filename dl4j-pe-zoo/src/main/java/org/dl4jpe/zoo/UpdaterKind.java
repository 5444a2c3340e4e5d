package org.dl4jpe.zoo;

import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;

/** The optimisers the zoo's options name; weight decay is applied as {@link ModelOptions#weightDecay()} says. */
public enum UpdaterKind {
    /** Adam with decoupled weight decay (DL4J's {@code WeightDecay} regularisation): timm's default for ViTs. */
    ADAMW,
    /** Adam; weight decay becomes an L2 penalty added to the loss. */
    ADAM,
    /** SGD with Nesterov momentum 0.9 and decoupled weight decay: torchvision's ResNet recipe. */
    NESTEROVS,
    /** Plain SGD with decoupled weight decay. */
    SGD;

    /** The DL4J updater at learning rate {@code learningRate}. */
    public IUpdater create(double learningRate) {
        return switch (this) {
            case ADAMW, ADAM -> new Adam(learningRate);
            case NESTEROVS -> new Nesterovs(learningRate, 0.9);
            case SGD -> new Sgd(learningRate);
        };
    }

    /** Whether weight decay is decoupled from the gradient ({@code true}) or an L2 term ({@code false}). */
    public boolean decoupledWeightDecay() {
        return this != ADAM;
    }

    /** Parses a command-line spelling ({@code adamw}, {@code AdamW}, ...); the message lists the valid names. */
    public static UpdaterKind parse(String name) {
        for (UpdaterKind k : values()) {
            if (k.name().equalsIgnoreCase(name.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException("updater '" + name + "' is not one of adamw, adam, nesterovs, sgd");
    }
}
