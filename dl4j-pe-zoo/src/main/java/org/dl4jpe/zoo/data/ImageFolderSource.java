package org.dl4jpe.zoo.data;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.datavec.api.io.labels.ParentPathLabelGenerator;
import org.datavec.api.records.listener.RecordListener;
import org.datavec.api.records.reader.RecordReader;
import org.datavec.api.records.writer.RecordWriter;
import org.datavec.api.split.CollectionInputSplit;
import org.datavec.api.writable.NDArrayWritable;
import org.datavec.api.writable.Writable;
import org.datavec.image.recordreader.ImageRecordReader;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A folder of images laid out as ImageNet is: one subfolder per class ({@code root/<class>/<image>}), class
 * indices in sorted folder-name order. Images are read with DataVec's {@link ImageRecordReader} and
 * {@link ParentPathLabelGenerator}, converted to the requested channels (grey or BGR, DataVec's order) and resized
 * to the requested height and width; training augmentation is {@link RandomCropFlip}.
 *
 * <p>Errors name the folder or file: a missing or empty root, a class folder with no images, an image that
 * cannot be decoded.
 */
public final class ImageFolderSource implements ImageSource {
    /** File extensions read as images (case-insensitive). */
    public static final Set<String> EXTENSIONS =
            Set.of("jpg", "jpeg", "png", "bmp", "gif", "tif", "tiff", "pgm", "ppm", "pbm", "webp");

    private final Path root;
    private final int channels;
    private final int height;
    private final int width;
    private final List<String> classNames;
    private final List<Path> files;
    private final int[] labels;
    /** Per file: the factor to the 8-bit scale from its header, 0 until read. */
    private final float[] scale;

    private final RandomCropFlip augmentation;
    private final ImageRecordReader trainReader;
    private final ImageRecordReader evalReader;
    private long augmentSeed;

    /**
     * Scans {@code root}.
     *
     * @param root     folder with one subfolder per class
     * @param channels channels the model takes (1 grey, 3 colour)
     * @param height   image height the model takes
     * @param width    image width the model takes
     */
    public ImageFolderSource(Path root, int channels, int height, int width) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("image folders give 1 (grey) or 3 (colour) channels, not " + channels);
        }
        this.root = root;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.classNames = classFolders(root);
        this.files = new ArrayList<>();
        List<Integer> lab = new ArrayList<>();
        for (int c = 0; c < classNames.size(); c++) {
            List<Path> images = images(root.resolve(classNames.get(c)));
            files.addAll(images);
            for (int i = 0; i < images.size(); i++) {
                lab.add(c);
            }
        }
        this.labels = lab.stream().mapToInt(Integer::intValue).toArray();
        this.scale = new float[files.size()];
        this.augmentation = new RandomCropFlip(height, width);
        this.trainReader = reader(augmentation);
        this.evalReader = reader(null);
    }

    private ImageRecordReader reader(RandomCropFlip transform) {
        ImageRecordReader r = new ImageRecordReader(height, width, channels, new ParentPathLabelGenerator(), transform);
        r.setLogLabelCountOnInit(false);
        if (transform != null) {
            r.setListeners(new Reseeder());
        }
        return r;
    }

    /** Whether {@code dir} looks like an image folder: a directory with at least one non-hidden subfolder. */
    public static boolean isImageFolder(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(
                    p -> Files.isDirectory(p) && !p.getFileName().toString().startsWith("."));
        } catch (IOException e) {
            return false;
        }
    }

    /** Sorted class-folder names of {@code root}; errors name the folder. */
    public static List<String> classFolders(Path root) {
        if (!Files.exists(root)) {
            throw new InvalidDataException("image folder " + root + " does not exist");
        }
        if (!Files.isDirectory(root)) {
            throw new InvalidDataException("image folder " + root + " is not a directory");
        }
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            s.filter(Files::isDirectory)
                    .map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith("."))
                    .forEach(names::add);
        } catch (IOException e) {
            throw new InvalidDataException("cannot list image folder " + root + ": " + e.getMessage(), e);
        }
        if (names.isEmpty()) {
            throw new InvalidDataException("image folder " + root
                    + " has no class subfolders; expected one folder per class: " + root + "/<class>/<image>");
        }
        if (names.size() < 2) {
            throw new InvalidDataException("image folder " + root + " has only one class folder (" + names.get(0)
                    + "); classification needs at least 2");
        }
        Collections.sort(names);
        return names;
    }

    private static List<Path> images(Path classDir) {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(classDir)) {
            s.filter(Files::isRegularFile)
                    .filter(ImageFolderSource::isImageFile)
                    .sorted()
                    .forEach(out::add);
        } catch (IOException e) {
            throw new InvalidDataException("cannot list class folder " + classDir + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new InvalidDataException("class folder " + classDir + " has no images (looked for "
                    + String.join(", ", new java.util.TreeSet<>(EXTENSIONS)) + ")");
        }
        return out;
    }

    static boolean isImageFile(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    public Path root() {
        return root;
    }

    /** The image files, in position order (class by class, sorted by name). */
    public List<Path> files() {
        return Collections.unmodifiableList(files);
    }

    @Override
    public String description() {
        return root.toString();
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public int height() {
        return height;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    @Override
    public synchronized void load(int[] indices, boolean augment, long augmentSeed, float[] features, int[] outLabels) {
        List<URI> uris = new ArrayList<>(indices.length);
        for (int i : indices) {
            uris.add(files.get(i).toUri());
        }
        ImageRecordReader reader = augment ? trainReader : evalReader;
        this.augmentSeed = augmentSeed;
        try {
            reader.initialize(new CollectionInputSplit(uris));
        } catch (IOException e) {
            throw new InvalidDataException("cannot open images of " + root + ": " + e.getMessage(), e);
        }
        // Every class, whatever this batch holds: label indices must not depend on the batch.
        reader.setLabels(new ArrayList<>(classNames));
        int per = channels * height * width;
        for (int b = 0; b < indices.length; b++) {
            Path file = files.get(indices[b]);
            List<Writable> record;
            try {
                record = reader.next();
            } catch (RuntimeException e) {
                File current = reader.getCurrentFile();
                throw new InvalidDataException(
                        "cannot read image " + (current != null ? current : file) + ": " + rootMessage(e), e);
            }
            INDArray img = ((NDArrayWritable) record.get(0)).get();
            if (img.length() != per) {
                throw new InvalidDataException("image " + file + " decoded to shape "
                        + java.util.Arrays.toString(img.shape()) + ", expected [1, " + channels + ", " + height + ", "
                        + width + "]");
            }
            float[] data =
                    img.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).data().asFloat();
            float s = scale(indices[b]);
            if (s == 1f) {
                System.arraycopy(data, 0, features, b * per, per);
            } else {
                for (int i = 0; i < per; i++) {
                    features[b * per + i] = data[i] * s;
                }
            }
            int label = record.get(1).toInt();
            if (label != labels[indices[b]]) {
                throw new IllegalStateException(
                        "label " + label + " of " + file + " disagrees with its folder (" + labels[indices[b]] + ")");
            }
            outLabels[b] = label;
        }
    }

    /** The factor from decoded samples of image {@code index} to 0..255 (16-bit images decode to 0..65535). */
    private float scale(int index) {
        if (scale[index] == 0f) {
            Path file = files.get(index);
            try {
                scale[index] = ImageHeader.read(file).toEightBit();
            } catch (IOException e) {
                throw new InvalidDataException("cannot read image " + file + ": " + e.getMessage(), e);
            }
        }
        return scale[index];
    }

    /**
     * Checks the folder structure and the header of every image, without decoding pixels (a few seconds for tens of
     * thousands of files): images directly in the root or in folders nested inside a class folder (which would not
     * be read), and files whose header is not an image's (a text file named {@code .png}, an empty or truncated
     * file).
     *
     * @return one line per problem, naming the file; empty when all is well
     */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            s.filter(Files::isRegularFile)
                    .filter(ImageFolderSource::isImageFile)
                    .sorted()
                    .forEach(p -> out.add(p + ": an image outside the class folders (" + root
                            + "/<class>/<image>); it would not be read"));
        } catch (IOException e) {
            out.add(root + ": cannot list it: " + e.getMessage());
        }
        for (String c : classNames) {
            try (Stream<Path> s = Files.list(root.resolve(c))) {
                s.filter(Files::isDirectory)
                        .filter(p -> !p.getFileName().toString().startsWith("."))
                        .sorted()
                        .forEach(p -> out.add(p + ": a folder inside class folder " + c + "; nested folders are not"
                                + " read (one level of class folders only)"));
            } catch (IOException e) {
                out.add(root.resolve(c) + ": cannot list it: " + e.getMessage());
            }
        }
        for (int i = 0; i < files.size(); i++) {
            try {
                scale[i] = ImageHeader.read(files.get(i)).toEightBit();
            } catch (IOException e) {
                out.add(files.get(i) + ": " + e.getMessage());
            }
        }
        return out;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    /** Reseeds the augmentation before each image with (run seed, epoch) and the image's path. */
    private final class Reseeder implements RecordListener {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean invoked() {
            return true;
        }

        @Override
        public void invoke() {}

        @Override
        public void recordRead(RecordReader reader, Object record) {
            if (record instanceof File f) {
                String relative = f.getParentFile().getName() + "/" + f.getName();
                augmentation.reseed(Seeds.mix(augmentSeed, relative.hashCode()));
            }
        }

        @Override
        public void recordWrite(RecordWriter writer, Object record) {}
    }
}
