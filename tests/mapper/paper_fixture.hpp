// Test helpers shared by the mapper tests that use the paper's designs: one loaded
// paper::Context (cascades, archs, FLAT dataflows) and the models by name, each loaded once.
#pragma once

#include <map>
#include <string>

#include "einfuse/einsum/model.hpp"
#include "einfuse/mapper/paper.hpp"

namespace einfuse::test {

inline mapper::paper::Context& paper_context() {
  static mapper::paper::Context ctx = mapper::paper::Context::load_default();
  return ctx;
}

inline const einsum::ModelSpec& paper_model(const std::string& name) {
  static std::map<std::string, einsum::ModelSpec> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, einsum::load_model(name, paper_context().models_dir)).first;
  return it->second;
}

}  // namespace einfuse::test
