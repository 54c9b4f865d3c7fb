package gamboge.hadoop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Hadoop's LocalFileSystem, setting permissions with java.nio instead of a chmod process.
 *
 * <p>Without Hadoop's native library (pyspark ships none) RawLocalFileSystem runs `chmod` for every
 * file and directory it creates: a process, and a thread to read its output, for each of them. The
 * modes set are the same. Built by gamboge.spark.localfs for local sessions only.
 */
public class NioLocalFileSystem extends LocalFileSystem {
  public NioLocalFileSystem() {
    super(new Raw());
  }

  public static class Raw extends RawLocalFileSystem {
    public void setPermission(Path p, FsPermission permission) throws IOException {
      // FsPermission's low nine bits, owner's read first; PosixFilePermission lists them in that order.
      int mode = permission.toShort();
      PosixFilePermission[] all = PosixFilePermission.values();
      Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
      for (int i = 0; i < all.length; i++) {
        if ((mode & (1 << (all.length - 1 - i))) != 0) {
          set.add(all[i]);
        }
      }
      Files.setPosixFilePermissions(pathToFile(p).toPath(), set);
    }
  }
}
