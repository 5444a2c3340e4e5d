package org.dl4jpe.zoo.data;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Reads and writes the IDX format of MNIST and Fashion-MNIST, plain or gzip-compressed (detected from the first
 * bytes, not the file name). Every error is an {@link InvalidDataException} naming the file.
 *
 * <p>Images: magic {@code 0x00000803}, count, rows, cols (big-endian int32), then count·rows·cols unsigned bytes,
 * row-major. Labels: magic {@code 0x00000801}, count, then count unsigned bytes.
 */
public final class Idx {
    public static final int IMAGES_MAGIC = 0x00000803;
    public static final int LABELS_MAGIC = 0x00000801;

    private Idx() {}

    /** IDX images: {@code count} images of {@code rows}×{@code cols} unsigned bytes, image after image. */
    public record Images(String source, int count, int rows, int cols, byte[] pixels) {}

    /** Reads an images file (.gz or plain). */
    public static Images readImages(Path file) {
        try (InputStream in = open(file)) {
            return readImages(in, file.toString());
        } catch (IOException e) {
            throw new InvalidDataException("cannot read IDX images file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a labels file (.gz or plain): one unsigned byte per item. */
    public static int[] readLabels(Path file) {
        try (InputStream in = open(file)) {
            return readLabels(in, file.toString());
        } catch (IOException e) {
            throw new InvalidDataException("cannot read IDX labels file " + file + ": " + e.getMessage(), e);
        }
    }

    private static InputStream open(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new InvalidDataException("IDX file " + file + " does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw new InvalidDataException("IDX file " + file + " is not a regular file");
        }
        try {
            return Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new InvalidDataException("IDX file " + file + " does not exist", e);
        }
    }

    /** Reads images from {@code raw} (gzip-compressed or not); {@code source} names it in messages. */
    public static Images readImages(InputStream raw, String source) {
        try (DataInputStream in = new DataInputStream(decompressIfGzip(raw, source))) {
            int magic = header(in, source, "magic number");
            if (magic != IMAGES_MAGIC) {
                throw new InvalidDataException(badMagic(source, magic, IMAGES_MAGIC, "images (idx3-ubyte)"));
            }
            int count = header(in, source, "image count");
            int rows = header(in, source, "row count");
            int cols = header(in, source, "column count");
            if (count < 0 || rows <= 0 || cols <= 0) {
                throw new InvalidDataException("IDX images file " + source + " has an invalid header: " + count
                        + " images of " + rows + "x" + cols + " (need count >= 0, rows and cols > 0)");
            }
            long bytes = (long) count * rows * cols;
            if (bytes > Integer.MAX_VALUE - 16) {
                throw new InvalidDataException("IDX images file " + source + " is too large: " + count + " images of "
                        + rows + "x" + cols + " (" + bytes + " bytes; at most " + (Integer.MAX_VALUE - 16) + ")");
            }
            byte[] pixels = new byte[(int) bytes];
            int read = readFully(in, pixels, source);
            if (read < pixels.length) {
                throw new InvalidDataException("IDX images file " + source + " is truncated: the header says " + count
                        + " images of " + rows + "x" + cols + " (" + bytes + " bytes) but only " + read
                        + " bytes follow");
            }
            requireEnd(in, source);
            return new Images(source, count, rows, cols, pixels);
        } catch (IOException e) {
            throw new InvalidDataException("cannot read IDX images file " + source + ": " + e.getMessage(), e);
        }
    }

    /** Reads labels from {@code raw} (gzip-compressed or not); {@code source} names it in messages. */
    public static int[] readLabels(InputStream raw, String source) {
        try (DataInputStream in = new DataInputStream(decompressIfGzip(raw, source))) {
            int magic = header(in, source, "magic number");
            if (magic != LABELS_MAGIC) {
                throw new InvalidDataException(badMagic(source, magic, LABELS_MAGIC, "labels (idx1-ubyte)"));
            }
            int count = header(in, source, "label count");
            if (count < 0 || count > Integer.MAX_VALUE - 16) {
                throw new InvalidDataException("IDX labels file " + source + " has an invalid label count " + count);
            }
            byte[] bytes = new byte[count];
            int read = readFully(in, bytes, source);
            if (read < count) {
                throw new InvalidDataException("IDX labels file " + source + " is truncated: the header says " + count
                        + " labels but only " + read + " follow");
            }
            requireEnd(in, source);
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) {
                labels[i] = bytes[i] & 0xFF;
            }
            return labels;
        } catch (IOException e) {
            throw new InvalidDataException("cannot read IDX labels file " + source + ": " + e.getMessage(), e);
        }
    }

    private static String badMagic(String source, int magic, int expected, String what) {
        String hint = magic == IMAGES_MAGIC
                ? " (that is an images file)"
                : magic == LABELS_MAGIC ? " (that is a labels file)" : "";
        return String.format(
                "IDX file %s has magic number 0x%08X%s; an IDX %s file starts with 0x%08X",
                source, magic, hint, what, expected);
    }

    private static InputStream decompressIfGzip(InputStream raw, String source) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            try {
                return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
            } catch (IOException e) {
                throw new InvalidDataException("IDX file " + source + " is not valid gzip: " + e.getMessage(), e);
            }
        }
        return in;
    }

    private static int header(DataInputStream in, String source, String field) throws IOException {
        try {
            return in.readInt();
        } catch (EOFException e) {
            throw new InvalidDataException(
                    "IDX file " + source + " is truncated: it ends inside the header (" + field + ")", e);
        } catch (IOException e) {
            throw corrupt(source, e);
        }
    }

    /** Reads until {@code buf} is full or the stream ends; returns the bytes read. */
    private static int readFully(InputStream in, byte[] buf, String source) {
        int off = 0;
        try {
            while (off < buf.length) {
                int n = in.read(buf, off, buf.length - off);
                if (n < 0) {
                    break;
                }
                off += n;
            }
        } catch (EOFException e) {
            // A gzip stream cut short: report it as truncation with the count read so far.
            return off;
        } catch (IOException e) {
            throw corrupt(source, e);
        }
        return off;
    }

    private static void requireEnd(InputStream in, String source) {
        try {
            long extra = 0;
            while (in.read() >= 0) {
                extra++;
                if (extra > 1 << 20) {
                    break;
                }
            }
            if (extra > 0) {
                throw new InvalidDataException(
                        "IDX file " + source + " has " + (extra > 1 << 20 ? "more than 1 MiB of" : extra + " bytes of")
                                + " data after the items its header announces");
            }
        } catch (EOFException e) {
            throw new InvalidDataException("IDX file " + source + " is truncated (the gzip stream ends early)", e);
        } catch (IOException e) {
            throw corrupt(source, e);
        }
    }

    private static InvalidDataException corrupt(String source, IOException e) {
        return new InvalidDataException("IDX file " + source + " is corrupt or truncated: " + e.getMessage(), e);
    }

    /** Writes an images file, gzip-compressed if the name ends in {@code .gz} (deterministic: gzip mtime 0). */
    public static void writeImages(Path file, int rows, int cols, byte[] pixels) throws IOException {
        if (rows <= 0 || cols <= 0 || pixels.length % (rows * cols) != 0) {
            throw new IllegalArgumentException(
                    "pixels length " + pixels.length + " is not a multiple of " + rows + "x" + cols);
        }
        try (DataOutputStream out = new DataOutputStream(create(file))) {
            out.writeInt(IMAGES_MAGIC);
            out.writeInt(pixels.length / (rows * cols));
            out.writeInt(rows);
            out.writeInt(cols);
            out.write(pixels);
        }
    }

    /** Writes a labels file (values 0..255), gzip-compressed if the name ends in {@code .gz}. */
    public static void writeLabels(Path file, int[] labels) throws IOException {
        try (DataOutputStream out = new DataOutputStream(create(file))) {
            out.writeInt(LABELS_MAGIC);
            out.writeInt(labels.length);
            for (int label : labels) {
                if (label < 0 || label > 255) {
                    throw new IllegalArgumentException("label " + label + " does not fit an unsigned byte");
                }
                out.writeByte(label);
            }
        }
    }

    private static OutputStream create(Path file) throws IOException {
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        return file.getFileName().toString().endsWith(".gz") ? new GZIPOutputStream(out, 1 << 16) : out;
    }
}
