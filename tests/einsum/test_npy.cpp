// .npy reading and writing: round trips, the exact bytes numpy.save writes, and clear
// errors (naming the file) for what is not supported.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "einfuse/einsum/diagnostics.hpp"
#include "einfuse/einsum/npy.hpp"

using namespace einfuse::einsum;

namespace {

// A file as numpy.save writes it (format 1.0): magic, version, header length, the dict
// padded with spaces to a 64-byte boundary and ended by '\n', then the data.
std::string numpy_bytes(const std::string& dict, const void* data, std::size_t bytes) {
  std::string header = dict;
  const std::size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(static_cast<const char*>(data), bytes);
  return out;
}

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string("einfuse_test_") + name)).string();
}

}  // namespace

TEST_CASE("numpy.save's bytes read back as the array", "[interp][npy]") {
  const double d[] = {0.0, 0.5, 1.0, 1.5, 2.0, -2.5};
  NpyType type;
  DenseTensor t = parse_npy(numpy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", d, sizeof d), "a.npy", &type);
  CHECK(type == NpyType::float64);
  CHECK(t.extents == std::vector<std::int64_t>{2, 3});
  CHECK(t.data == std::vector<double>(std::begin(d), std::end(d)));

  const float f[] = {1.5f, -2.0f, 0.1f};
  t = parse_npy(numpy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f, sizeof f), "b.npy", &type);
  CHECK(type == NpyType::float32);
  CHECK(t.data == std::vector<double>{1.5, -2.0, static_cast<double>(0.1f)});

  const std::int32_t i[] = {-1, 7};
  t = parse_npy(numpy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2), }", i, sizeof i), "c.npy", &type);
  CHECK(type == NpyType::int32);
  CHECK(t.data == std::vector<double>{-1, 7});

  const double s = 3.25;  // a 0-d array
  t = parse_npy(numpy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", &s, sizeof s), "d.npy");
  CHECK(t.extents.empty());
  CHECK(t.data == std::vector<double>{3.25});
}

TEST_CASE("written .npy files are what numpy.save writes and read back", "[interp][npy]") {
  DenseTensor t({2, 3});
  for (std::size_t k = 0; k < t.data.size(); ++k) t.data[k] = static_cast<double>(k) * 0.5;
  const std::string bytes = format_npy(t, NpyType::float64);
  CHECK(bytes == numpy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", t.data.data(), 48));
  CHECK((bytes.size() - 48) % 64 == 0);  // data aligned as numpy aligns it

  const std::string path = temp_path("roundtrip.npy");
  DenseTensor ints({2, 3});
  for (std::size_t k = 0; k < ints.data.size(); ++k) ints.data[k] = static_cast<double>(k) - 2.0;
  for (NpyType type : {NpyType::float64, NpyType::float32, NpyType::int32}) {
    const DenseTensor& src = type == NpyType::int32 ? ints : t;  // halves are exact in float32
    write_npy(path, src, type);
    NpyType got;
    const DenseTensor back = read_npy(path, &got);
    CHECK(got == type);
    CHECK(back.extents == src.extents);
    CHECK(back.data == src.data);
  }
  DenseTensor v({5});
  CHECK(format_npy(v, NpyType::float32).find("'shape': (5,)") != std::string::npos);
  std::filesystem::remove(path);
}

TEST_CASE(".npy errors name the file and say what was expected", "[interp][npy]") {
  const double d[] = {1, 2};
  auto error_of = [](const std::string& bytes) -> std::string {
    try {
      (void)parse_npy(bytes, "x.npy");
    } catch (const CascadeError& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK_THAT(error_of("hello"), Catch::StartsWith("x.npy: error: not a .npy file"));
  CHECK_THAT(error_of(numpy_bytes("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", d, 16)),
             Catch::Contains("big-endian"));
  CHECK_THAT(error_of(numpy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2,), }", d, 16)),
             Catch::Contains("Fortran") && Catch::Contains("ascontiguousarray"));
  CHECK_THAT(error_of(numpy_bytes("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", d, 16)),
             Catch::Contains("dtype '<c16' is not supported"));
  CHECK_THAT(error_of(numpy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", d, 16)),
             Catch::Contains("truncated .npy data"));
  CHECK_THAT(error_of(numpy_bytes("{'descr': '<f8', 'shape': (2,), }", d, 16)),
             Catch::Contains("no 'fortran_order' entry"));

  const std::string missing = temp_path("does_not_exist.npy");
  CHECK_THROWS_WITH(read_npy(missing), Catch::StartsWith(missing + ": error: cannot open"));
  // A directory opens as a stream but fails on the first read (std::ios_base::failure).
  const std::string dir = temp_path("dir.npy");
  std::filesystem::create_directories(dir);
  CHECK_THROWS_WITH(read_npy(dir), Catch::StartsWith(dir + ": error: cannot open"));
  std::filesystem::remove(dir);
  // int32 files hold integers only; nothing is written on failure.
  const std::string path = temp_path("bad_int.npy");
  std::filesystem::remove(path);
  CHECK_THROWS_WITH(write_npy(path, DenseTensor({1}, 0.5), NpyType::int32), Catch::Contains("is not an int32"));
  CHECK_FALSE(std::filesystem::exists(path));
}
