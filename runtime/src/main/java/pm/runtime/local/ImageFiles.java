package pm.runtime.local;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import pm.runtime.process.WasiProcess;

/**
 * Where a frozen program goes: its image in the file the user named (the runtime's ordinary image,
 * what {@code pmctl import} reads) and, beside it as {@code FILE.wasm}, a copy of its module,
 * because an image names its module only by hash. Both are written beside their targets and
 * renamed at the end, so a failed freeze never leaves half an image under the name.
 */
final class ImageFiles {
    private ImageFiles() {}

    /** The module copy a resume of {@code image} reads unless told {@code --module}. */
    static Path moduleBeside(Path image) {
        return image.resolveSibling(image.getFileName() + ".wasm");
    }

    static void write(WasiProcess process, byte[] module, Path image) throws IOException {
        Path partial = image.resolveSibling(image.getFileName() + ".partial");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(partial), 1 << 20)) {
            process.writeImage(out, true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        Path moduleCopy = moduleBeside(image);
        Path modulePartial = moduleCopy.resolveSibling(moduleCopy.getFileName() + ".partial");
        Files.write(modulePartial, module);
        Files.move(modulePartial, moduleCopy, StandardCopyOption.REPLACE_EXISTING);
        Files.move(partial, image, StandardCopyOption.REPLACE_EXISTING);
    }
}
