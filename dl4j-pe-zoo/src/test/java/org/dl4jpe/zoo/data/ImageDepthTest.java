package org.dl4jpe.zoo.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every bit depth and colour type the decoder accepts lands on the 8-bit scale (0..255): the same picture saved as
 * 1-, 8- and 16-bit grey, palette, RGB, RGBA, grey+alpha, JPEG, BMP and 16-bit PGM decodes to
 * the same raw values.
 * The images are made here with javax.imageio.
 */
class ImageDepthTest {
    @TempDir
    Path tmp;

    private static final int W = 8;
    private static final int H = 8;

    /** The picture: black and white halves (exact in every format, 1-bit included), with a grey bar. */
    private static int grey(int x, int y) {
        if (y >= 6) {
            return 128;
        }
        return x < 4 ? 0 : 255;
    }

    private static BufferedImage component(int bits, boolean colour, boolean alpha) {
        ColorSpace cs = ColorSpace.getInstance(colour ? ColorSpace.CS_sRGB : ColorSpace.CS_GRAY);
        int bands = (colour ? 3 : 1) + (alpha ? 1 : 0);
        int[] sizes = new int[bands];
        Arrays.fill(sizes, bits);
        int type = bits == 16 ? DataBuffer.TYPE_USHORT : DataBuffer.TYPE_BYTE;
        ComponentColorModel cm = new ComponentColorModel(
                cs, sizes, alpha, false, alpha ? Transparency.TRANSLUCENT : Transparency.OPAQUE, type);
        WritableRaster r = cm.createCompatibleWritableRaster(W, H);
        int max = (1 << bits) - 1;
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int v = grey(x, y) * max / 255;
                for (int b = 0; b < bands; b++) {
                    r.setSample(x, y, b, alpha && b == bands - 1 ? max : v);
                }
            }
        }
        return new BufferedImage(cm, r, false, null);
    }

    private static BufferedImage oneBit() {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_BINARY);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                img.setRGB(x, y, grey(x, y) >= 128 && y < 6 ? 0xFFFFFF : y >= 6 ? 0 : grey(x, y) == 0 ? 0 : 0xFFFFFF);
            }
        }
        return img;
    }

    private static BufferedImage palette() {
        byte[] lut = new byte[256];
        for (int i = 0; i < 256; i++) {
            lut[i] = (byte) i;
        }
        IndexColorModel cm = new IndexColorModel(8, 256, lut, lut, lut);
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_INDEXED, cm);
        WritableRaster r = img.getRaster();
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                r.setSample(x, y, 0, grey(x, y));
            }
        }
        return img;
    }

    private float[] decode(Path file, int channels) {
        Path root = tmp.resolve("set-" + channels + "-" + file.getFileName());
        try {
            Files.createDirectories(root.resolve("a"));
            Files.createDirectories(root.resolve("b"));
            Files.copy(file, root.resolve("a").resolve(file.getFileName()));
            Files.copy(file, root.resolve("b").resolve(file.getFileName()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        ImageFolderSource src = new ImageFolderSource(root, channels, H, W);
        float[] x = new float[channels * H * W];
        src.load(new int[] {0}, false, 0, x, new int[1]);
        return x;
    }

    @Test
    void everyDepthAndColourTypeDecodesToTheEightBitScale() throws IOException {
        Map<String, BufferedImage> images = new LinkedHashMap<>();
        images.put("grey8.png", component(8, false, false));
        images.put("grey16.png", component(16, false, false));
        images.put("grey1.png", oneBit());
        images.put("palette.png", palette());
        images.put("rgb8.png", component(8, true, false));
        images.put("rgb16.png", component(16, true, false));
        images.put("rgba8.png", component(8, true, true));
        images.put("rgba16.png", component(16, true, true));
        images.put("greyalpha8.png", component(8, false, true));
        images.put("greyalpha16.png", component(16, false, true));
        images.put("rgb.jpg", component(8, true, false));
        images.put("rgb.bmp", component(8, true, false));
        Files.createDirectories(tmp.resolve("img"));
        for (Map.Entry<String, BufferedImage> e : images.entrySet()) {
            String name = e.getKey();
            String format = name.substring(name.lastIndexOf('.') + 1).replace("jpg", "jpeg");
            assertTrue(
                    ImageIO.write(
                            e.getValue(),
                            format,
                            tmp.resolve("img").resolve(name).toFile()),
                    name);
        }
        // 16-bit PGM (maxval 65535), by hand: javax.imageio has no PNM writer
        byte[] header = ("P5\n" + W + " " + H + "\n65535\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] pgm = Arrays.copyOf(header, header.length + 2 * W * H);
        for (int i = 0; i < W * H; i++) {
            int v = grey(i % W, i / W) * 257;
            pgm[header.length + 2 * i] = (byte) (v >> 8);
            pgm[header.length + 2 * i + 1] = (byte) v;
        }
        Files.write(tmp.resolve("img").resolve("grey16.pgm"), pgm);
        byte[] h1000 = ("P2\n" + W + " " + H + "\n1000\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        StringBuilder plain = new StringBuilder(new String(h1000, java.nio.charset.StandardCharsets.US_ASCII));
        for (int i = 0; i < W * H; i++) {
            plain.append(Math.round(grey(i % W, i / W) * 1000 / 255.0)).append(' ');
        }
        Files.writeString(tmp.resolve("img").resolve("grey1000.pgm"), plain);

        float[] expected = new float[W * H];
        for (int i = 0; i < W * H; i++) {
            expected[i] = grey(i % W, i / W);
        }
        StringBuilder wrong = new StringBuilder();
        try (var files = Files.list(tmp.resolve("img"))) {
            for (Path f : files.sorted().toList()) {
                for (int channels : new int[] {1, 3}) {
                    float[] x = decode(f, channels);
                    float maxErr = 0;
                    boolean binary = f.getFileName().toString().equals("grey1.png");
                    for (int c = 0; c < channels; c++) {
                        for (int i = 0; i < W * H; i++) {
                            float want = binary && expected[i] == 128 ? 0 : expected[i];
                            maxErr = Math.max(maxErr, Math.abs(x[c * W * H + i] - want));
                        }
                    }
                    float tol = f.toString().endsWith(".jpg") ? 24f : 1f;
                    if (!(maxErr <= tol)) {
                        wrong.append(f.getFileName())
                                .append(" (")
                                .append(channels)
                                .append(" channels): max error ")
                                .append(maxErr)
                                .append(", first row ")
                                .append(Arrays.toString(Arrays.copyOf(x, W)))
                                .append('\n');
                    }
                }
            }
        }
        assertEquals("", wrong.toString());
    }

    @Test
    void aTiffIsNamedBeforeTrainingInsteadOfFailingInIt() throws IOException {
        Path root = tmp.resolve("tiff");
        Files.createDirectories(root.resolve("a"));
        Files.createDirectories(root.resolve("b"));
        assertTrue(ImageIO.write(
                component(8, true, false),
                "tiff",
                root.resolve("a").resolve("x.tiff").toFile()));
        assertTrue(ImageIO.write(
                component(8, true, false),
                "png",
                root.resolve("b").resolve("y.png").toFile()));
        java.util.List<String> problems = new ImageFolderSource(root, 1, H, W).problems();
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(
                problems.get(0).contains("x.tiff")
                        && problems.get(0).contains("TIFF is not read")
                        && problems.get(0).contains("convert it to PNG"),
                problems.get(0));
    }
}
