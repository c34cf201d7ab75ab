// Test helper: a loader call must fail with a CascadeError at file:line:col, naming
// `fragment` in its message and saying what was expected (the contract of every Einsum input
// error: cascades, models, arch specs, mappings).
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "einfuse/einsum/diagnostics.hpp"

namespace einfuse::test {

template <class Load>
void expect_load_error(Load&& load, const std::string& path, std::uint32_t line, std::uint32_t col,
                       const std::string& fragment, const std::string& text) {
  try {
    load();
  } catch (const einsum::CascadeError& e) {
    INFO(e.what());
    CHECK(e.file() == path);
    CHECK(e.loc().line == line);
    CHECK(e.loc().col == col);
    CHECK(e.message().find(fragment) != std::string::npos);
    CHECK_FALSE(e.expected().empty());
    return;
  }
  FAIL("no error for:\n" << text);
}

}  // namespace einfuse::test
