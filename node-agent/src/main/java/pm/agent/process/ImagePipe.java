package pm.agent.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * Connects an image writer to an image reader without holding the image: the writer runs on an
 * executor thread into a pipe, the reader consumes it on the calling thread. A failure on either
 * side ends both and is rethrown here.
 */
final class ImagePipe {
    /** Writes an image to a stream. */
    interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Reads an image from a stream. */
    interface Reader<T> {
        T read(InputStream in) throws IOException;
    }

    private static final int BUFFER = 4 << 20;

    private ImagePipe() {}

    static <T> T pipe(Executor executor, Writer writer, Reader<T> reader) {
        PipedInputStream in = new PipedInputStream(BUFFER);
        CompletableFuture<Void> written;
        try {
            PipedOutputStream out = new PipedOutputStream(in);
            written = CompletableFuture.runAsync(
                    () -> {
                        try (out) {
                            writer.write(out);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    },
                    executor);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        T result;
        try (in) {
            result = reader.read(in);
        } catch (IOException e) {
            written.cancel(true);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            written.cancel(true);
            throw e;
        }
        try {
            written.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        return result;
    }
}
