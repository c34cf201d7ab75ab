// A paper design at a small shape, lowered all the way to an isa::Program: what the sim and
// levels tests run. The model is BERT with the batch, heads and head size given; `edit`
// changes a copy of the design's arch first (a smaller array, more ports, ...).
#pragma once

#include <functional>
#include <memory>

#include "einfuse/einsum/shape.hpp"
#include "einfuse/isa/program.hpp"
#include "einfuse/mapper/paper.hpp"
#include "einfuse/mapper/schedule.hpp"
#include "paper_fixture.hpp"

namespace einfuse::test {

struct PaperProgram {
  mapper::paper::DesignInstance design;
  const einsum::Cascade* cascade = nullptr;
  einsum::BoundShape shape;
  mapper::Workload workload;
  mapper::CostReport cost;
  std::unique_ptr<mapper::Schedule> schedule;
  std::unique_ptr<isa::Program> program;
};

inline PaperProgram paper_program(mapper::paper::Design design, std::int64_t batch, std::int64_t heads, std::int64_t len,
                                  const std::function<void(mapper::ArchSpec&)>& edit = {}, std::int64_t dim = 64) {
  mapper::paper::Context ctx = paper_context();
  if (edit)
    for (const char* stem : {"fusemax", "flat", "unfused"}) {
      ctx.arch(stem);  // loads it
      edit(ctx.archs.at(stem));
    }
  einsum::ModelSpec m = paper_model("BERT");
  m.batch = batch;
  m.heads = m.kv_heads = heads;
  m.head_dim = m.value_dim = dim;
  PaperProgram p;
  p.design = mapper::paper::attention_design(ctx, design, m, len, false);
  p.cascade = &paper_context().cascade(p.design.cascade);
  p.shape = einsum::bind_shape(*p.cascade, p.design.shape);
  p.workload = mapper::make_workload(*p.cascade, p.shape);
  p.cost = mapper::evaluate(p.workload, p.design.arch, p.design.mapping, p.design.options);
  p.schedule = std::make_unique<mapper::Schedule>(p.workload, p.design.arch, p.design.mapping);
  p.program = std::make_unique<isa::Program>(*p.schedule, isa::buffer_footprints(p.cost));
  return p;
}

}  // namespace einfuse::test
