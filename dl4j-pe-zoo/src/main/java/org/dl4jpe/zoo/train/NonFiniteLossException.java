package org.dl4jpe.zoo.train;

import java.nio.file.Path;

/** Training stopped because the loss became NaN or infinite; the last good checkpoint is kept unchanged. */
public final class NonFiniteLossException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Path lastGoodCheckpoint;

    NonFiniteLossException(String message, Path lastGoodCheckpoint) {
        super(message);
        this.lastGoodCheckpoint = lastGoodCheckpoint;
    }

    /** The checkpoint left in place (null if the run had none yet). */
    public Path lastGoodCheckpoint() {
        return lastGoodCheckpoint;
    }
}
