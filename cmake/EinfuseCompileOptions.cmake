# Compile options shared by every Einfuse target.
# Bit-exact numeric code must never be contracted into FMAs nor reassociated:
# -ffp-contract=off everywhere, and -ffast-math is never used.
# The compile flags apply to C++ only ($<COMPILE_LANGUAGE:CXX>): CUDA sources
# (gpu_ref/src/*.cu) belong to targets that carry these options, and nvcc does not take
# GCC's warning flags; gpu_ref/CMakeLists.txt gives them their own.
add_library(einfuse_options INTERFACE)
set(_einfuse_cxx_flags -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -ffp-contract=off -fno-fast-math)
target_compile_options(einfuse_options INTERFACE "$<$<COMPILE_LANGUAGE:CXX>:${_einfuse_cxx_flags}>")
if(EINFUSE_SANITIZE)
  set(_einfuse_san_flags -fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_compile_options(einfuse_options INTERFACE "$<$<COMPILE_LANGUAGE:CXX>:${_einfuse_san_flags}>")
  target_link_options(einfuse_options INTERFACE -fsanitize=address,undefined)
endif()
if(EINFUSE_BUILD_FUZZ)
  # Coverage instrumentation for libFuzzer plus ASan/UBSan in every Einfuse target; the
  # fuzz targets themselves add -fsanitize=fuzzer (fuzz/CMakeLists.txt), which links the
  # libFuzzer driver. UB aborts so that the fuzzer records it as a crash.
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "EINFUSE_BUILD_FUZZ needs clang (libFuzzer); use the `fuzz` preset")
  endif()
  set(_einfuse_fuzz_flags -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_compile_options(einfuse_options INTERFACE "$<$<COMPILE_LANGUAGE:CXX>:${_einfuse_fuzz_flags}>")
  target_link_options(einfuse_options INTERFACE -fsanitize=address,undefined)
endif()
