package org.dl4jpe.zoo.data;

/**
 * Data that cannot be used: a missing, truncated, corrupt or mislabelled file or folder. The message names the
 * file or folder, what is wrong and, where it helps, what would be valid.
 */
public class InvalidDataException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidDataException(String message) {
        super(message);
    }

    public InvalidDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
