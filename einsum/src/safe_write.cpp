// Safe writes (safe_write.hpp): exclusive temporaries, fsync, rename(2).
#include "einfuse/einsum/safe_write.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <stdexcept>
#include <streambuf>
#include <system_error>
#include <vector>

namespace einfuse::einsum {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& what, const std::string& path, int error) {
  throw std::runtime_error(what + " '" + path + "': " + std::strerror(error));
}

// The folder and the last name of `path`; a trailing '/' is dropped (a folder given as "out/").
// A path with no last name ("", "/", "a/..") has nothing to rename into and is refused.
std::pair<fs::path, std::string> split_target(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const fs::path target(p);
  const std::string name = target.filename().string();
  if (name.empty() || name == "." || name == ".." || name == "/") {
    throw std::runtime_error("cannot write '" + path + "': not a file or folder name");
  }
  fs::path dir = target.parent_path();
  return {dir.empty() ? fs::path(".") : dir, name};
}

// Creates something at a fresh unpredictable name ".NAME.<16 hex>.tmp" in `dir`: `create`
// must create exclusively (O_EXCL, mkdir) and return 0 or an errno. A name someone else took
// (or planted, as a link) is EEXIST and another is drawn; the planted thing is never opened.
std::string create_fresh(const fs::path& dir, const std::string& name, const std::string& target,
                         const std::function<int(const std::string&)>& create, const char* what) {
  thread_local std::mt19937_64 random{std::random_device{}() ^ (static_cast<std::uint64_t>(::getpid()) << 32)};
  // Long names are cut so the temporary stays within NAME_MAX (255).
  std::string stem(1, '.');
  stem.append(name, 0, 200).push_back('.');
  for (int attempt = 0; attempt < 100; ++attempt) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(random()));
    const std::string candidate = (dir / (stem + hex + ".tmp")).string();
    const int error = create(candidate);
    if (error == 0) return candidate;
    if (error != EEXIST) fail(std::string("cannot create a temporary ") + what + " for", target, error);
  }
  fail(std::string("cannot create a temporary ") + what + " for", target, EEXIST);
}

// Writes all of [data, data + size) to `fd`; 0 or the errno of the failure.
int write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return 0;
}

void remove_tree(const std::string& path) noexcept {
  std::error_code ignored;
  fs::remove_all(path, ignored);  // does not follow links inside
}

}  // namespace

// --- one file ---------------------------------------------------------------------------

// A put area over the temporary's descriptor. Errors are kept (the first errno), not thrown:
// std::ostream swallows exceptions from its buffer, so OutputFile checks `error` itself.
class OutputFile::Buffer : public std::streambuf {
 public:
  explicit Buffer(int file) : fd(file), data_(std::size_t{1} << 16) { reset(); }
  bool drain() {
    if (error == 0) error = write_all(fd, pbase(), static_cast<std::size_t>(pptr() - pbase()));
    reset();
    return error == 0;
  }
  int fd;
  int error = 0;

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    const auto size = static_cast<std::size_t>(n);
    if (size > static_cast<std::size_t>(epptr() - pptr())) {
      if (!drain()) return 0;
      // Larger than the buffer: straight to the file.
      if (size >= data_.size()) {
        error = write_all(fd, s, size);
        return error == 0 ? n : 0;
      }
    }
    std::memcpy(pptr(), s, size);
    pbump(static_cast<int>(size));
    return n;
  }

 private:
  void reset() { setp(data_.data(), data_.data() + data_.size()); }
  std::vector<char> data_;
};

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  const auto [dir, name] = split_target(path_);
  int fd = -1;
  temporary_ = create_fresh(dir, name, path_, [&fd](const std::string& candidate) {
    fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    return fd < 0 ? errno : 0;
  }, "file");
  buffer_ = std::make_unique<Buffer>(fd);
}

OutputFile::~OutputFile() {
  if (!committed_) discard();
}

void OutputFile::discard() noexcept {
  if (buffer_ && buffer_->fd >= 0) {
    ::close(buffer_->fd);
    buffer_->fd = -1;
  }
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
}

void OutputFile::write(std::string_view bytes) {
  if (committed_) throw std::logic_error("OutputFile::write after commit: " + path_);
  buffer_->sputn(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (buffer_->error != 0) fail("cannot write", path_, buffer_->error);
}

std::ostream& OutputFile::stream() {
  if (!stream_) stream_ = std::make_unique<std::ostream>(buffer_.get());
  return *stream_;
}

void OutputFile::commit() {
  if (committed_) throw std::logic_error("OutputFile::commit twice: " + path_);
  int error = buffer_->drain() ? 0 : buffer_->error;
  if (error == 0 && ::fsync(buffer_->fd) != 0) error = errno;
  const int fd = buffer_->fd;
  buffer_->fd = -1;
  if (::close(fd) != 0 && error == 0) error = errno;
  // rename(2) replaces whatever is at the target, a link included, without following it.
  if (error == 0 && ::rename(temporary_.c_str(), path_.c_str()) != 0) error = errno;
  if (error != 0) {
    discard();
    fail("cannot write", path_, error);
  }
  committed_ = true;
}

void write_file_safely(const std::string& path, std::string_view text) {
  OutputFile file(path);
  file.write(text);
  file.commit();
}

// --- a folder of files ------------------------------------------------------------------

OutputFolder::OutputFolder(std::string path) : path_(std::move(path)) {
  const auto [dir, name] = split_target(path_);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create folder '" + dir.string() + "': " + ec.message());
  // mkdir rather than mkdtemp: the folder keeps the usual permissions (0777 less the umask)
  // once it is renamed into place, where mkdtemp's would be 0700.
  temporary_ = create_fresh(dir, name, path_, [](const std::string& candidate) {
    return ::mkdir(candidate.c_str(), 0777) == 0 ? 0 : errno;
  }, "folder");
}

OutputFolder::~OutputFolder() {
  if (!committed_) remove_tree(temporary_);
}

std::string OutputFolder::file(std::string_view relative) const {
  const fs::path r(relative);
  bool ok = !r.empty() && r.is_relative();
  for (const fs::path& part : r) ok = ok && part != "..";
  if (!ok) throw std::invalid_argument("OutputFolder: '" + std::string(relative) + "' is not a name inside the folder");
  const fs::path full = fs::path(temporary_) / r;
  std::error_code ec;
  fs::create_directories(full.parent_path(), ec);
  if (ec) throw std::runtime_error("cannot create folder '" + full.parent_path().string() + "': " + ec.message());
  return full.string();
}

void OutputFolder::write_file(std::string_view relative, std::string_view text) const {
  write_file_safely(file(relative), text);
}

void OutputFolder::commit(Existing existing) {
  if (committed_) throw std::logic_error("OutputFolder::commit twice: " + path_);
  const char* from = temporary_.c_str();
  const char* to = path_.c_str();
  // Absent, or an empty folder: rename(2) puts the new folder there atomically.
  int error = ::rename(from, to) == 0 ? 0 : errno;
  const bool occupied = error == ENOTEMPTY || error == EEXIST || error == ENOTDIR;
  if (occupied && existing == Existing::refuse) {
    remove_tree(temporary_);
    throw std::runtime_error("cannot write folder '" + path_ +
                             "': it exists and is not an empty folder (nothing was written; remove it or "
                             "choose another name)");
  }
  bool exchanged = false;
  if (occupied) {
    // Swap the two in one step; the old one, now at the temporary name, is then deleted.
    error = ::renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE) == 0 ? 0 : errno;
    exchanged = error == 0;
    if (error == EINVAL || error == ENOSYS || error == EOPNOTSUPP) {
      // No exchange on this filesystem: move the old one into a fresh folder of ours (the
      // name inside it cannot be taken), put the new one in place, then delete the old one.
      const auto [dir, name] = split_target(path_);
      const std::string aside = create_fresh(dir, name, path_, [](const std::string& candidate) {
        return ::mkdir(candidate.c_str(), 0700) == 0 ? 0 : errno;
      }, "folder");
      const std::string old = aside + "/old";
      error = ::rename(to, old.c_str()) == 0 ? 0 : errno;
      if (error == 0 && ::rename(from, to) != 0) {
        error = errno;
        ::rename(old.c_str(), to);  // put the old one back: the target is as it was
      }
      remove_tree(aside);
    }
  }
  if (error != 0) {
    remove_tree(temporary_);
    fail("cannot write folder", path_, error);
  }
  if (exchanged) remove_tree(temporary_);  // the old folder
  committed_ = true;
}

}  // namespace einfuse::einsum
