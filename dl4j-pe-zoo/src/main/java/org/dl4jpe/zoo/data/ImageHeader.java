package org.dl4jpe.zoo.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * What an image file's header says, read without decoding the pixels: its format, size and the largest sample
 * value it can hold. The decoder (OpenCV through DataVec) keeps 16-bit samples as they are, so
 * {@link #toEightBit()} is the factor that puts every depth on the 8-bit scale (0..255).
 *
 * @param format    png, jpeg, bmp, gif, tiff, pnm or webp
 * @param width     width in pixels (0 when the format's header was only checked for its signature)
 * @param height    height in pixels (likewise)
 * @param maxSample largest sample value the decoder yields: 255 for 8-bit and below (the decoder expands 1-, 2-
 *                  and 4-bit and palette images to 8-bit), 65535 for 16-bit, the PNM maxval above 255
 */
public record ImageHeader(String format, int width, int height, int maxSample) {

    /** Factor from decoded samples to the 8-bit scale. */
    public float toEightBit() {
        return maxSample <= 255 ? 1f : 255f / maxSample;
    }

    /** Reads the header of {@code file}; the message of the exception says what is wrong (not the file name). */
    public static ImageHeader read(Path file) throws IOException {
        byte[] h;
        try (InputStream in = Files.newInputStream(file)) {
            h = in.readNBytes(512);
        }
        if (h.length == 0) {
            throw new IOException("the file is empty (0 bytes)");
        }
        if (starts(h, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return png(h);
        }
        if (starts(h, 0xFF, 0xD8, 0xFF)) {
            return new ImageHeader("jpeg", 0, 0, 255);
        }
        if (starts(h, 'B', 'M') && h.length >= 26) {
            return new ImageHeader("bmp", 0, 0, 255);
        }
        if (starts(h, 'G', 'I', 'F', '8')) {
            return new ImageHeader("gif", 0, 0, 255);
        }
        if (starts(h, 'I', 'I', 42, 0) || starts(h, 'M', 'M', 0, 42)) {
            return tiff(file);
        }
        if (starts(h, 'R', 'I', 'F', 'F')
                && h.length >= 12
                && h[8] == 'W'
                && h[9] == 'E'
                && h[10] == 'B'
                && h[11] == 'P') {
            return new ImageHeader("webp", 0, 0, 255);
        }
        if (h.length >= 2 && h[0] == 'P' && h[1] >= '1' && h[1] <= '6') {
            return pnm(h);
        }
        throw new IOException("not an image: the file starts with " + describe(h) + ", which is no PNG, JPEG, BMP,"
                + " GIF, TIFF, PNM or WebP signature");
    }

    private static ImageHeader png(byte[] h) throws IOException {
        if (h.length < 33 || !(h[12] == 'I' && h[13] == 'H' && h[14] == 'D' && h[15] == 'R')) {
            throw new IOException("PNG without its IHDR header (truncated or corrupt)");
        }
        int w = int32(h, 16);
        int ht = int32(h, 20);
        int depth = h[24] & 0xFF;
        int colour = h[25] & 0xFF;
        if (w <= 0 || ht <= 0) {
            throw new IOException("PNG of size " + w + "x" + ht);
        }
        boolean valid = switch (colour) {
            case 0 -> depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
            case 3 -> depth == 1 || depth == 2 || depth == 4 || depth == 8;
            case 2, 4, 6 -> depth == 8 || depth == 16;
            default -> false;
        };
        if (!valid) {
            throw new IOException("PNG with bit depth " + depth + " and colour type " + colour
                    + ", which the PNG standard does not allow");
        }
        return new ImageHeader("png", w, ht, depth == 16 ? 65535 : 255);
    }

    /**
     * TIFF is refused up front: DataVec's OpenCV decodes an 8-bit TIFF in a fresh JVM but not once ND4J's native
     * libraries were loaded first (seen on this project's test machine; the order a training run has), so a TIFF
     * would fail in the middle of training. The header is still read, for a clear message.
     */
    private static ImageHeader tiff(Path file) throws IOException {
        ImageHeader h = tiffHeader(file);
        throw new IOException("a TIFF image (" + h.width() + "x" + h.height() + "): TIFF is not read (OpenCV's TIFF"
                + " decoder fails once ND4J is loaded); convert it to PNG");
    }

    private static ImageHeader tiffHeader(Path file) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("tiff");
            if (in == null || !readers.hasNext()) {
                return new ImageHeader("tiff", 0, 0, 255);
            }
            ImageReader r = readers.next();
            try {
                r.setInput(in, true, true);
                int bits = r.getRawImageType(0) != null
                        ? r.getRawImageType(0).getSampleModel().getSampleSize(0)
                        : 8;
                return new ImageHeader("tiff", r.getWidth(0), r.getHeight(0), bits > 8 ? (1 << bits) - 1 : 255);
            } catch (IOException | RuntimeException e) {
                throw new IOException("TIFF header cannot be read: " + e.getMessage(), e);
            } finally {
                r.dispose();
            }
        }
    }

    private static ImageHeader pnm(byte[] h) throws IOException {
        String text = new String(h, StandardCharsets.ISO_8859_1);
        String[] fields = new String[4];
        int n = 0;
        int i = 0;
        int kind = h[1] - '0';
        int wanted = kind == 1 || kind == 4 ? 3 : 4;
        while (n < wanted && i < text.length()) {
            char c = text.charAt(i);
            if (c == '#') {
                while (i < text.length() && text.charAt(i) != '\n') {
                    i++;
                }
            } else if (Character.isWhitespace(c)) {
                i++;
            } else {
                int start = i;
                while (i < text.length() && !Character.isWhitespace(text.charAt(i)) && text.charAt(i) != '#') {
                    i++;
                }
                fields[n++] = text.substring(start, i);
            }
        }
        if (n < wanted) {
            throw new IOException("PNM header incomplete");
        }
        try {
            int w = Integer.parseInt(fields[1]);
            int ht = Integer.parseInt(fields[2]);
            int max = wanted == 4 ? Integer.parseInt(fields[3]) : 1;
            if (w <= 0 || ht <= 0 || max <= 0 || max > 65535) {
                throw new IOException("PNM header with size " + w + "x" + ht + " and maxval " + max);
            }
            return new ImageHeader("pnm", w, ht, Math.max(max, 255));
        } catch (NumberFormatException e) {
            throw new IOException("PNM header is not numeric: " + String.join(" ", java.util.Arrays.copyOf(fields, n)));
        }
    }

    private static boolean starts(byte[] h, int... sig) {
        if (h.length < sig.length) {
            return false;
        }
        for (int i = 0; i < sig.length; i++) {
            if ((h[i] & 0xFF) != (sig[i] & 0xFF)) {
                return false;
            }
        }
        return true;
    }

    private static int int32(byte[] h, int at) {
        return ((h[at] & 0xFF) << 24) | ((h[at + 1] & 0xFF) << 16) | ((h[at + 2] & 0xFF) << 8) | (h[at + 3] & 0xFF);
    }

    private static String describe(byte[] h) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < Math.min(8, h.length); i++) {
            int b = h[i] & 0xFF;
            sb.append(b >= 32 && b < 127 ? String.valueOf((char) b) : String.format(Locale.ROOT, "\\x%02x", b));
        }
        return sb.append('"').toString();
    }
}
