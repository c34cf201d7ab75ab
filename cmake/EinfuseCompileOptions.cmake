# Compile options shared by every Einfuse target.
# Bit-exact numeric code must never be contracted into FMAs nor reassociated:
# -ffp-contract=off everywhere, and -ffast-math is never used.
add_library(einfuse_options INTERFACE)
target_compile_options(einfuse_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -ffp-contract=off -fno-fast-math)
if(EINFUSE_SANITIZE)
  target_compile_options(einfuse_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(einfuse_options INTERFACE -fsanitize=address,undefined)
endif()
if(EINFUSE_BUILD_FUZZ)
  # Coverage instrumentation for libFuzzer plus ASan/UBSan in every Einfuse target; the
  # fuzz targets themselves add -fsanitize=fuzzer (fuzz/CMakeLists.txt), which links the
  # libFuzzer driver. UB aborts so that the fuzzer records it as a crash.
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "EINFUSE_BUILD_FUZZ needs clang (libFuzzer); use the `fuzz` preset")
  endif()
  target_compile_options(einfuse_options INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(einfuse_options INTERFACE -fsanitize=address,undefined)
endif()
