package pm.runtime.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import pm.runtime.wasi.Errno;
import pm.runtime.wasi.ErrnoException;
import pm.runtime.wasi.InputSource;
import pm.runtime.wasi.OutputSink;

/**
 * The terminal's streams as a process's stdio. Standard input is read as a stream, in order: a
 * resumed program reads on from where the new terminal's input begins, not from its old position
 * (a pipe cannot be rewound). A read blocks the program's thread until input or end of file.
 */
final class Terminal {
    private Terminal() {}

    static InputSource input(InputStream in) {
        return (position, into, offset, length) -> {
            try {
                return in.read(into, offset, length);
            } catch (IOException e) {
                throw new ErrnoException(Errno.EIO, "cannot read standard input: " + e.getMessage());
            }
        };
    }

    /** Each write goes straight out (flushed), so output interleaves as the program wrote it. */
    static OutputSink output(OutputStream out) {
        return (bytes, offset, length) -> {
            try {
                out.write(bytes, offset, length);
                out.flush();
            } catch (IOException e) {
                throw new ErrnoException(Errno.EPIPE, "cannot write: " + e.getMessage()); // a closed pipe, say
            }
        };
    }
}
