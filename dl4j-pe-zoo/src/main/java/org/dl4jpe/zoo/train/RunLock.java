package org.dl4jpe.zoo.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The lock of a run or sweep directory: {@code .pe-lock}, held with {@link FileChannel#tryLock()} for as long as
 * a process writes there, and holding that process's pid, host and start time. A second process (or a second run
 * in the same JVM) is refused at once with a message naming the holder. The operating system releases the lock
 * when its process dies (kill -9 included), so a stale file of a dead process never blocks a resume; the file
 * itself stays (emptied on a clean release) so that no two processes can ever lock two different files.
 */
public final class RunLock implements AutoCloseable {
    public static final String FILE = ".pe-lock";

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code dir} (created if missing) for {@code what} ("pe train", "pe sweep").
     *
     * @throws DirectoryInUseException when another process or run holds it
     */
    public static RunLock acquire(Path dir, String what) {
        Path file = dir.resolve(FILE);
        try {
            Files.createDirectories(dir);
            FileChannel ch = FileChannel.open(
                    file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                String holder = read(ch);
                ch.close();
                throw new DirectoryInUseException(dir + " is in use by another run: "
                        + (holder.isBlank() ? "a process that has just started" : holder)
                        + "; wait for it to end, stop it, or choose"
                        + " another directory");
            }
            ch.truncate(0);
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                host = "unknown host";
            }
            String record =
                    what + " (pid " + ProcessHandle.current().pid() + " on " + host + ", since " + Instant.now() + ")";
            ch.write(ByteBuffer.wrap(record.getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(false);
            return new RunLock(file, ch, l);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot lock " + dir + " (" + file.getFileName() + "): " + e.getMessage(), e);
        }
    }

    private static String read(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1024);
        ch.read(b, 0);
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
    }

    public Path file() {
        return file;
    }

    /** Releases the lock (the file stays, emptied). */
    @Override
    public void close() {
        try {
            if (lock.isValid()) {
                channel.truncate(0);
                lock.release();
            }
            channel.close();
        } catch (IOException e) {
            // the lock goes with the channel or the process
        }
    }

    /** Another process or run holds the directory. */
    public static final class DirectoryInUseException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public DirectoryInUseException(String message) {
            super(message);
        }
    }
}
