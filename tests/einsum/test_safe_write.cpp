// Safe writes (einsum/safe_write.hpp): a planted link is replaced, never written through; a
// failed write leaves nothing behind; a folder of outputs is complete or absent.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "einfuse/einsum/safe_write.hpp"
#include "temp_file.hpp"

using namespace einfuse::einsum;
namespace fs = std::filesystem;
using einfuse::test::names_in;
using einfuse::test::read_file;

namespace {

// While alive, files may not grow past `bytes` (writes fail with EFBIG instead of SIGXFSZ):
// a real failing write, which an unwritable folder cannot give when the tests run as root.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &old_);
    rlimit limit = old_;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit old_{};
  void (*old_handler_)(int) = nullptr;
};

}  // namespace

TEST_CASE("write_file_safely writes the whole text and leaves no temporary", "[einsum][safe_write]") {
  einfuse::test::TempFile tmp("old", "out.txt");
  write_file_safely(tmp.path(), "new text\n");
  CHECK(read_file(tmp.path()) == "new text\n");
  CHECK(names_in(tmp.dir()) == std::vector<std::string>{"out.txt"});
  // The usual permissions (0666 less the umask), not a temporary's 0600.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  CHECK((fs::status(tmp.path()).permissions() & fs::perms::all) == static_cast<fs::perms>(0666 & ~mask));
}

TEST_CASE("a link planted at the target is replaced, not followed", "[einsum][safe_write]") {
  einfuse::test::TempFile tmp("precious\n", "victim.txt");
  const fs::path dir = tmp.dir();
  fs::create_symlink(dir / "victim.txt", dir / "out.txt");
  write_file_safely((dir / "out.txt").string(), "output\n");
  CHECK(read_file((dir / "victim.txt").string()) == "precious\n");
  CHECK_FALSE(fs::is_symlink(dir / "out.txt"));
  CHECK(read_file((dir / "out.txt").string()) == "output\n");

  // A dangling link too: nothing is created where it points.
  fs::create_symlink(dir / "created-through-link", dir / "dangling");
  write_file_safely((dir / "dangling").string(), "x");
  CHECK_FALSE(fs::exists(dir / "created-through-link"));
  CHECK(read_file((dir / "dangling").string()) == "x");
}

TEST_CASE("links planted at predictable temporary names are irrelevant", "[einsum][safe_write]") {
  einfuse::test::TempFile tmp("precious\n", "victim.txt");
  const fs::path dir = tmp.dir();
  // The names the old writers used (PATH.tmp, .NAME.partial): never opened now.
  fs::create_symlink(dir / "victim.txt", dir / "out.txt.tmp");
  fs::create_symlink(dir / "victim.txt", dir / ".out.txt.partial");
  write_file_safely((dir / "out.txt").string(), "output\n");
  OutputFile streamed((dir / "out.txt").string());
  streamed.stream() << "streamed " << 42 << "\n";
  streamed.commit();
  CHECK(read_file((dir / "victim.txt").string()) == "precious\n");
  CHECK(read_file((dir / "out.txt").string()) == "streamed 42\n");
  CHECK(names_in(dir) == std::vector<std::string>{".out.txt.partial", "out.txt", "out.txt.tmp", "victim.txt"});
}

TEST_CASE("a failed write leaves nothing behind and says why", "[einsum][safe_write]") {
  einfuse::test::TempFile tmp("old\n", "out.txt");
  const fs::path dir = tmp.dir();
  SECTION("the disk refuses the bytes") {
    const std::string big(1 << 20, 'x');
    {
      FileSizeLimit limit(4096);
      CHECK_THROWS_WITH(write_file_safely(tmp.path(), big),
                        Catch::StartsWith("cannot write '" + tmp.path() + "': File too large"));
    }
    CHECK(read_file(tmp.path()) == "old\n");  // the old file is untouched
  }
  SECTION("the folder does not exist") {
    const std::string path = (dir / "missing" / "out.txt").string();
    CHECK_THROWS_WITH(write_file_safely(path, "x"), Catch::EndsWith("'" + path + "': No such file or directory"));
  }
  SECTION("a folder is in the way") {
    fs::create_directories(dir / "taken" / "inside");
    CHECK_THROWS_WITH(write_file_safely((dir / "taken").string(), "x"),
                      Catch::StartsWith("cannot write '" + (dir / "taken").string() + "'"));
    CHECK(fs::is_directory(dir / "taken" / "inside"));
  }
  SECTION("a streamed file dropped without a commit") {
    {
      OutputFile f(tmp.path());
      f.write("half of a trace");
      CHECK(fs::exists(f.temporary_path()));
    }
  }
  CHECK(read_file(tmp.path()) == "old\n");
  std::vector<std::string> left = names_in(dir);
  left.erase(std::remove(left.begin(), left.end(), "taken"), left.end());
  CHECK(left == std::vector<std::string>{"out.txt"});
}

TEST_CASE("a folder of outputs is complete or absent", "[einsum][safe_write]") {
  einfuse::test::TempFile tmp("", "unused");
  const fs::path out = fs::path(tmp.dir()) / "nested" / "out";
  SECTION("a failure before the commit leaves nothing") {
    CHECK_THROWS_AS(([&] {
                      OutputFolder folder(out.string());
                      folder.write_file("a.csv", "a\n");
                      folder.write_file("sub/b.csv", "b\n");
                      throw std::runtime_error("the run failed");
                    }()),
                    std::runtime_error);
    CHECK_FALSE(fs::exists(out));
    CHECK(names_in(out.parent_path()).empty());
  }
  SECTION("a commit puts every file in place at once") {
    OutputFolder folder(out.string());
    folder.write_file("a.csv", "a\n");
    write_file_safely(folder.file("sub/b.csv"), "b\n");
    CHECK_FALSE(fs::exists(out));
    folder.commit();
    CHECK(read_file((out / "a.csv").string()) == "a\n");
    CHECK(read_file((out / "sub" / "b.csv").string()) == "b\n");
    CHECK(names_in(out.parent_path()) == std::vector<std::string>{"out"});
  }
  SECTION("an existing empty folder is filled; a non-empty one is refused unless replaced") {
    fs::create_directories(out);
    {
      OutputFolder folder(out.string());
      folder.write_file("a.csv", "first\n");
      folder.commit();
    }
    OutputFolder second(out.string());
    second.write_file("b.csv", "second\n");
    CHECK_THROWS_WITH(second.commit(), "cannot write folder '" + out.string() +
                                           "': it exists and is not an empty folder (nothing was written; remove "
                                           "it or choose another name)");
    CHECK(names_in(out) == std::vector<std::string>{"a.csv"});
    CHECK(names_in(out.parent_path()) == std::vector<std::string>{"out"});

    OutputFolder third(out.string());
    third.write_file("b.csv", "third\n");
    third.commit(OutputFolder::Existing::replace);
    CHECK(names_in(out) == std::vector<std::string>{"b.csv"});  // the old files are gone
    CHECK(read_file((out / "b.csv").string()) == "third\n");
    CHECK(names_in(out.parent_path()) == std::vector<std::string>{"out"});
  }
  SECTION("a link at the target is replaced, and where it points is untouched") {
    const fs::path victim = fs::path(tmp.dir()) / "victim";
    fs::create_directories(victim);
    write_file_safely((victim / "keep.txt").string(), "keep\n");
    fs::create_directories(out.parent_path());
    fs::create_symlink(victim, out);
    OutputFolder refused(out.string());
    refused.write_file("a.csv", "a\n");
    CHECK_THROWS_WITH(refused.commit(), Catch::Contains("it exists and is not an empty folder"));
    OutputFolder folder(out.string());
    folder.write_file("a.csv", "a\n");
    folder.commit(OutputFolder::Existing::replace);
    CHECK_FALSE(fs::is_symlink(out));
    CHECK(names_in(out) == std::vector<std::string>{"a.csv"});
    CHECK(names_in(victim) == std::vector<std::string>{"keep.txt"});
  }
  SECTION("names that leave the folder are refused") {
    OutputFolder folder(out.string());
    CHECK_THROWS_AS(folder.file("../escape.csv"), std::invalid_argument);
    CHECK_THROWS_AS(folder.file("/tmp/escape.csv"), std::invalid_argument);
    CHECK_THROWS_AS(folder.file(""), std::invalid_argument);
  }
}
