// The dependency graph of a cascade: which Einsum feeds which, through which tensor.
// Einsums are the nodes; an edge P -> C means C reads a tensor that P writes. An iterative
// Einsum (`X[r+1,...] = f(X[r,...])`) has a self-edge. Strongly connected components are
// computed with Boost.Graph, but Boost stays out of this header: callers get plain vectors.
#pragma once

#include <string>
#include <vector>

#include "einfuse/einsum/cascade.hpp"

namespace einfuse::einsum {

/// One producer -> consumer edge through one tensor.
struct DependencyEdge {
  EinsumId producer = -1;
  EinsumId consumer = -1;
  TensorId tensor = -1;
  /// How the consumer reads the producer's step slot (only meaningful when the producer is
  /// iterative): every read at the step variable `r` (the previous slice) -> previous_slice;
  /// some read at `r+1` (the slice written in the same step) -> same_slice; any other index
  /// (a constant such as the final slice `M1`, or an expression) -> other.
  enum class StepRead { none, previous_slice, same_slice, other };
  StepRead step_read = StepRead::none;
};

struct DependencyGraph {
  /// By EinsumId: the Einsums that read this one's output / that this one reads from.
  /// Sorted, without duplicates; an iterative Einsum lists itself.
  std::vector<std::vector<EinsumId>> consumers;
  std::vector<std::vector<EinsumId>> producers;
  /// Every edge, one per (producer, consumer) pair, grouped by consumer in EinsumId order.
  std::vector<DependencyEdge> edges;
  /// Strongly connected components of the Einsum graph, numbered in a topological order of
  /// the condensation (producers before consumers; ties broken by the lowest EinsumId so
  /// the order follows the source text where the data allow it).
  std::vector<int> component;                   ///< by EinsumId
  std::vector<std::vector<EinsumId>> components;  ///< members of each component, sorted

  const DependencyEdge* find_edge(EinsumId producer, EinsumId consumer) const;
};

/// Builds the graph. Never throws for a resolved cascade; cycles are reported, not checked.
DependencyGraph dependency_graph(const Cascade& c);

/// Throws CascadeError at an Einsum of an illegal cycle, naming the cycle in data-flow
/// order ("dependency cycle outside an iterative rank: A -> B -> A"). A cycle is legal only
/// when it steps over one iterative variable r: every Einsum of its strongly connected
/// component is iterative over r (writes slice r+1) or has r on its left side (writes
/// slice r in step r, e.g. FuseMax's SPD[m1,p] = PRM[m1,p] * RD[m1,p]); every read inside
/// the component is of the previous step (`X[r]` of an iterative X) or of the same step
/// (`X[r+1]`, `Y[r]` of a non-iterative Y); and the same-step reads form no cycle, so that
/// every cycle goes back at least one step. Called by the resolver.
void check_cycles(const Cascade& c);

/// The order in which an interpreter evaluates the cascade: one group per strongly
/// connected component, groups in topological order. A group of several Einsums is
/// evaluated step by step over the step variable of its iterative members; inside a group
/// the Einsums are ordered so that an Einsum reading what another writes in the same step
/// comes after it. Ties follow the source order. Assumes check_cycles() passed.
std::vector<std::vector<EinsumId>> evaluation_order(const Cascade& c);

/// Graphviz DOT text of the cascade. Einsums are boxes labelled with their output tensor;
/// inputs are ellipses; outputs are doubled boxes. An edge is labelled with the tensor it
/// carries; reads of the previous slice of an iterative tensor are dashed (they cross a
/// step of the iterative rank), so the picture shows which cycles are carried by steps.
std::string to_dot(const Cascade& c);

}  // namespace einfuse::einsum
