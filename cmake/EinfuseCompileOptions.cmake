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
