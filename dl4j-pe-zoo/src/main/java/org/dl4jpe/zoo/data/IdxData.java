package org.dl4jpe.zoo.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * IDX datasets laid out as MNIST ships them: {@code {split}-images-idx3-ubyte[.gz]} and
 * {@code {split}-labels-idx1-ubyte[.gz]} for the splits {@code train} and {@code t10k}, in a directory or
 * under a class-path folder. Class names come from {@code classes.txt} (one per line) when the directory has
 * one.
 */
public final class IdxData {
    /** The training split's file prefix. */
    public static final String TRAIN = "train";
    /** The test split's file prefix. */
    public static final String TEST = "t10k";
    /** Optional file with one class name per line. */
    public static final String CLASSES_FILE = "classes.txt";

    private IdxData() {}

    public static String imagesFile(String split) {
        return split + "-images-idx3-ubyte";
    }

    public static String labelsFile(String split) {
        return split + "-labels-idx1-ubyte";
    }

    /** Whether {@code dir} holds a training split ({@code train-images-idx3-ubyte[.gz]}). */
    public static boolean isIdxDirectory(Path dir) {
        return Files.isDirectory(dir)
                && (Files.isRegularFile(dir.resolve(imagesFile(TRAIN) + ".gz"))
                        || Files.isRegularFile(dir.resolve(imagesFile(TRAIN))));
    }

    /** The {@code .gz} file if present, else the plain one; the error lists both names. */
    static Path find(Path dir, String base) {
        Path gz = dir.resolve(base + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        Path plain = dir.resolve(base);
        if (Files.isRegularFile(plain)) {
            return plain;
        }
        throw new InvalidDataException("IDX directory " + dir + " has no " + base + ".gz or " + base);
    }

    /** Loads split {@code split} of directory {@code dir} with the given class names. */
    public static ImageSet load(Path dir, String split, List<String> classNames) {
        if (!Files.isDirectory(dir)) {
            throw new InvalidDataException("IDX directory " + dir + " does not exist");
        }
        Path images = find(dir, imagesFile(split));
        Path labels = find(dir, labelsFile(split));
        return ImageSet.of(Idx.readImages(images), Idx.readLabels(labels), labels.toString(), classNames);
    }

    /** Loads split {@code split} from class-path folder {@code folder} (files must be {@code .gz}). */
    public static ImageSet loadResource(String folder, String split, List<String> classNames) {
        String imagesName = folder + "/" + imagesFile(split) + ".gz";
        String labelsName = folder + "/" + labelsFile(split) + ".gz";
        Idx.Images images;
        int[] labels;
        try (InputStream in = resource(imagesName)) {
            images = Idx.readImages(in, "classpath:" + imagesName);
        } catch (IOException e) {
            throw new InvalidDataException("cannot read classpath:" + imagesName + ": " + e.getMessage(), e);
        }
        try (InputStream in = resource(labelsName)) {
            labels = Idx.readLabels(in, "classpath:" + labelsName);
        } catch (IOException e) {
            throw new InvalidDataException("cannot read classpath:" + labelsName + ": " + e.getMessage(), e);
        }
        return ImageSet.of(images, labels, "classpath:" + labelsName, classNames);
    }

    private static InputStream resource(String name) {
        InputStream in = IdxData.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new InvalidDataException("classpath:" + name + " is missing from the class path");
        }
        return in;
    }

    /**
     * Class names for directory {@code dir}: its {@code classes.txt} if present, else Fashion-MNIST's when
     * {@code dir} is Debian's Fashion-MNIST directory, else "0".."9".
     */
    public static List<String> classNames(Path dir) {
        Path file = dir.resolve(CLASSES_FILE);
        if (Files.isRegularFile(file)) {
            try {
                List<String> names = new ArrayList<>();
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) {
                        names.add(line.strip());
                    }
                }
                if (names.size() < 2) {
                    throw new InvalidDataException(
                            file + " names " + names.size() + " classes; it needs one class name per line, at least 2");
                }
                return names;
            } catch (IOException e) {
                throw new InvalidDataException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        try {
            if (Files.isDirectory(FashionMnist.DEFAULT_DIR) && Files.isSameFile(dir, FashionMnist.DEFAULT_DIR)) {
                return FashionMnist.CLASS_NAMES;
            }
        } catch (IOException e) {
            // fall through to numbered classes
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            names.add(Integer.toString(i));
        }
        return names;
    }
}
