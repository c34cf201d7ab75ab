// Writing files and folders safely (DESIGN.md: "Writing a file or a folder of files safely is
// one function in the lowest library, used by every command that writes"). Every file the tool
// writes goes to a fresh temporary name in the target's folder, created exclusively (a link or
// file planted at any name is never opened or followed), is flushed to disk and then renamed
// over the target: a reader sees the old file or the whole new one, never half of one, and a
// link at the target is replaced, not written through. A folder of outputs is built under a
// temporary name beside the target and renamed into place whole: complete or absent.
//
// Errors throw std::runtime_error naming the target and the system's reason; whatever was
// half-written is removed before the error leaves.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace einfuse::einsum {

/// Writes `text` to `path` through a fresh temporary file and a rename. The folder of `path`
/// must exist. The new file gets the usual permissions (0666 less the umask).
void write_file_safely(const std::string& path, std::string_view text);

/// A file written in pieces (traces too large to hold in memory): the bytes go to a fresh
/// temporary beside `path`; commit() renames it over `path`. Destroyed without a commit (an
/// exception, a failed run), it removes the temporary, so nothing is left behind.
class OutputFile {
 public:
  /// Creates the temporary now, so an unwritable target fails before any work is done.
  explicit OutputFile(std::string path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  /// Appends bytes (buffered). Throws when the disk refuses them.
  void write(std::string_view bytes);
  /// The same file as a std::ostream (for writers that take one); its errors are thrown
  /// by the next write() or by commit() at the latest.
  std::ostream& stream();
  /// Flushes, syncs to disk and renames the temporary over the target. Once only.
  void commit();

  const std::string& path() const { return path_; }
  const std::string& temporary_path() const { return temporary_; }

 private:
  class Buffer;
  void discard() noexcept;
  std::string path_, temporary_;
  std::unique_ptr<Buffer> buffer_;
  std::unique_ptr<std::ostream> stream_;
  bool committed_ = false;
};

/// A folder of outputs: created under a fresh temporary name beside `path` (its parent
/// folders are created), filled through file()/write_file(), renamed into place by commit().
/// Destroyed without a commit, it removes the temporary folder and everything in it.
class OutputFolder {
 public:
  explicit OutputFolder(std::string path);
  ~OutputFolder();
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;

  /// Where `relative` ("a.csv", "sub/b.csv") lives until the commit, for writers that take a
  /// path; its subfolders are created. `relative` may not be absolute or contain "..".
  std::string file(std::string_view relative) const;
  /// write_file_safely(file(relative), text).
  void write_file(std::string_view relative, std::string_view text) const;

  enum class Existing {
    refuse,   ///< an existing folder must be empty (a file or a non-empty folder is an error)
    replace,  ///< the caller knows the existing folder is its own earlier output: it goes
  };
  /// Renames the folder into place. Once only. With `replace`, an existing target is swapped
  /// out atomically (renameat2 RENAME_EXCHANGE; where the filesystem lacks it, renamed aside
  /// first, so the target is briefly absent but never partial) and then deleted.
  void commit(Existing existing = Existing::refuse);

  const std::string& path() const { return path_; }
  const std::string& temporary_path() const { return temporary_; }

 private:
  std::string path_, temporary_;
  bool committed_ = false;
};

}  // namespace einfuse::einsum
