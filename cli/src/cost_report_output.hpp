// Printing a CostReport the way `einfuse cost` and `einfuse map` show it: a table for people,
// one JSON object for scripts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/mapper/cost_model.hpp"
#include "einfuse/mapper/mapping.hpp"

namespace einfuse::cli {

// What was costed, for the heading and the JSON.
struct Costed {
  std::string cascade_file;
  std::string cascade_name;
  mapper::ArchSpec arch;
  mapper::Mapping mapping;
  std::string mode;  ///< "published" or "corrected"
  mapper::CostReport report;
};

nlohmann::json cost_report_json(const Costed& c);
void print_cost_report(const Costed& c);

}  // namespace einfuse::cli
