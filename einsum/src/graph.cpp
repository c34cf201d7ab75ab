// Dependency graph, cycle check, evaluation order and DOT output (graph.hpp).
#include "einfuse/einsum/graph.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <queue>
#include <sstream>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/strong_components.hpp>

namespace einfuse::einsum {
namespace {

using StepRead = DependencyEdge::StepRead;

std::size_t idx(int id) { return static_cast<std::size_t>(id); }

// `r+1` written either way round.
bool is_step_plus_one(const Expr& e, RankId step) {
  if (e.kind != Expr::Kind::apply || e.op != Op::add || e.args.size() != 2) return false;
  const Expr& a = *e.args[0];
  const Expr& b = *e.args[1];
  auto is_var = [step](const Expr& x) { return x.kind == Expr::Kind::var && x.id == step; };
  auto is_one = [](const Expr& x) { return x.kind == Expr::Kind::number && x.value == 1.0; };
  return (is_var(a) && is_one(b)) || (is_one(a) && is_var(b));
}

// How one Einsum indexes one slot of every read of tensor `t` (index expressions included).
struct SlotReads {
  bool at_var = false;           ///< indexed by the variable itself (`r`)
  bool at_var_plus_one = false;  ///< indexed `r+1`
  bool elsewhere = false;        ///< any other index (a constant such as `M1`, an expression)
};

void collect_slot_reads(const Expr& e, TensorId t, std::size_t slot, RankId var, SlotReads& out) {
  if (e.kind == Expr::Kind::access && e.id == t) {
    const Expr& index = *e.args[slot];
    if (index.kind == Expr::Kind::var && index.id == var) {
      out.at_var = true;
    } else if (is_step_plus_one(index, var)) {
      out.at_var_plus_one = true;
    } else {
      out.elsewhere = true;
    }
  }
  for (const Expr* a : e.args) collect_slot_reads(*a, t, slot, var, out);
}

SlotReads slot_reads(const Einsum& consumer, TensorId t, std::size_t slot, RankId var) {
  SlotReads out;
  if (consumer.body) collect_slot_reads(*consumer.body, t, slot, var, out);
  if (consumer.where) collect_slot_reads(*consumer.where, t, slot, var, out);
  return out;
}

// The worst read decides: one read of the same slice already orders the two Einsums
// within a step, and one read of any other slice can need the whole rank.
StepRead step_read_of(const Cascade& c, const Einsum& consumer, TensorId t) {
  const Tensor& tensor = c.tensors[idx(t)];
  if (tensor.producer < 0) return StepRead::none;
  const RankId step = c.einsums[idx(tensor.producer)].step_var;
  const auto it = std::find(tensor.iterative.begin(), tensor.iterative.end(), true);
  if (step < 0 || it == tensor.iterative.end()) return StepRead::none;
  const SlotReads r = slot_reads(consumer, t, static_cast<std::size_t>(it - tensor.iterative.begin()), step);
  if (r.elsewhere) return StepRead::other;
  if (r.at_var_plus_one) return StepRead::same_slice;
  return r.at_var ? StepRead::previous_slice : StepRead::none;
}

// Inside a cycle stepping over `step`, how many steps back an edge reaches: 1 for a read
// of the slice an iterative producer wrote in the previous step (`X[r]`), 0 for a read of
// what the producer writes in the same step (`X[r+1]` of an iterative producer, `Y[r]` of a
// non-iterative one, which writes slice r in step r), -1 for anything else.
int step_distance(const Cascade& c, const DependencyEdge& e, RankId step) {
  const Tensor& t = c.tensors[idx(e.tensor)];
  const Einsum& producer = c.einsums[idx(e.producer)];
  if (producer.step_var == step) {
    if (e.step_read == StepRead::previous_slice) return 1;
    if (e.step_read == StepRead::same_slice) return 0;
    return -1;
  }
  const auto it = std::find(t.ranks.begin(), t.ranks.end(), step);
  if (it == t.ranks.end()) return -1;
  const SlotReads r = slot_reads(c.einsums[idx(e.consumer)], e.tensor,
                                 static_cast<std::size_t>(it - t.ranks.begin()), step);
  return (r.elsewhere || r.at_var_plus_one) ? -1 : 0;
}

// Kahn's algorithm over `n` nodes, always taking the ready node with the lowest key, so
// the result is deterministic and follows the source order where dependencies allow.
std::vector<int> ordered_topological_sort(std::size_t n, const std::vector<std::vector<int>>& succ,
                                          const std::vector<int>& key) {
  std::vector<int> indegree(n, 0);
  for (const auto& s : succ) {
    for (int v : s) ++indegree[idx(v)];
  }
  using Item = std::pair<int, int>;  // (key, node)
  std::priority_queue<Item, std::vector<Item>, std::greater<>> ready;
  for (std::size_t v = 0; v < n; ++v) {
    if (indegree[v] == 0) ready.emplace(key[v], static_cast<int>(v));
  }
  std::vector<int> order;
  while (!ready.empty()) {
    const int v = ready.top().second;
    ready.pop();
    order.push_back(v);
    for (int w : succ[idx(v)]) {
      if (--indegree[idx(w)] == 0) ready.emplace(key[idx(w)], w);
    }
  }
  return order;  // shorter than n when there is a cycle
}

// Shortest cycle through `start` using only edges accepted by `allowed`, as a list of
// Einsums in data-flow order starting and ending at `start`; empty when there is none.
std::vector<EinsumId> find_cycle(const DependencyGraph& g, EinsumId start,
                                 const std::function<bool(const DependencyEdge&)>& allowed) {
  std::vector<EinsumId> parent(g.consumers.size(), -2);
  std::deque<EinsumId> queue{start};
  while (!queue.empty()) {
    const EinsumId u = queue.front();
    queue.pop_front();
    for (EinsumId v : g.consumers[idx(u)]) {
      const DependencyEdge* edge = g.find_edge(u, v);
      if (!edge || !allowed(*edge)) continue;
      if (v == start) {
        std::vector<EinsumId> path{start};
        for (EinsumId w = u; w != start; w = parent[idx(w)]) path.push_back(w);
        path.push_back(start);
        std::reverse(path.begin() + 1, path.end() - 1);
        return path;
      }
      if (parent[idx(v)] != -2) continue;
      parent[idx(v)] = u;
      queue.push_back(v);
    }
  }
  return {};
}

std::string cycle_text(const Cascade& c, const std::vector<EinsumId>& cycle) {
  std::string out;
  for (std::size_t i = 0; i < cycle.size(); ++i) {
    if (i) out += " -> ";
    out += c.einsums[idx(cycle[i])].label;
  }
  return out;
}

std::string dot_quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

}  // namespace

const DependencyEdge* DependencyGraph::find_edge(EinsumId producer, EinsumId consumer) const {
  for (const auto& e : edges) {
    if (e.producer == producer && e.consumer == consumer) return &e;
  }
  return nullptr;
}

DependencyGraph dependency_graph(const Cascade& c) {
  const std::size_t n = c.einsums.size();
  DependencyGraph g;
  g.consumers.resize(n);
  g.producers.resize(n);
  for (std::size_t ci = 0; ci < n; ++ci) {
    const Einsum& consumer = c.einsums[ci];
    for (TensorId t : consumer.reads) {
      const EinsumId p = c.tensors[idx(t)].producer;
      if (p < 0) continue;
      const auto cid = static_cast<EinsumId>(ci);
      // An Einsum writes exactly one tensor, so each (producer, consumer) pair has one edge.
      if (std::find(g.producers[ci].begin(), g.producers[ci].end(), p) != g.producers[ci].end()) continue;
      g.producers[ci].push_back(p);
      g.consumers[idx(p)].push_back(cid);
      g.edges.push_back({p, cid, t, step_read_of(c, consumer, t)});
    }
  }
  for (auto& v : g.consumers) std::sort(v.begin(), v.end());
  for (auto& v : g.producers) std::sort(v.begin(), v.end());

  using BoostGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  BoostGraph bg(n);
  for (const auto& e : g.edges) boost::add_edge(idx(e.producer), idx(e.consumer), bg);
  std::vector<int> raw(n, 0);
  const int count = n == 0 ? 0
                           : boost::strong_components(
                                 bg, boost::make_iterator_property_map(raw.begin(), boost::get(boost::vertex_index, bg)));

  // Boost numbers components in an order it does not document; renumber them in a
  // topological order of the condensation with source-order tie-breaking.
  std::vector<std::vector<int>> succ(idx(count));
  std::vector<int> key(idx(count), static_cast<int>(n));
  for (std::size_t v = 0; v < n; ++v) key[idx(raw[v])] = std::min(key[idx(raw[v])], static_cast<int>(v));
  for (const auto& e : g.edges) {
    const int a = raw[idx(e.producer)];
    const int b = raw[idx(e.consumer)];
    if (a != b) succ[idx(a)].push_back(b);
  }
  for (auto& s : succ) {
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
  }
  const std::vector<int> order = ordered_topological_sort(idx(count), succ, key);
  std::vector<int> renumber(idx(count), 0);
  for (std::size_t i = 0; i < order.size(); ++i) renumber[idx(order[i])] = static_cast<int>(i);
  g.component.resize(n);
  g.components.assign(idx(count), {});
  for (std::size_t v = 0; v < n; ++v) {
    g.component[v] = renumber[idx(raw[v])];
    g.components[idx(g.component[v])].push_back(static_cast<EinsumId>(v));
  }
  return g;
}

namespace {

// The common step variable of a cyclic component: the step variable of its iterative
// members when they agree, -1 otherwise.
RankId component_step(const Cascade& c, const std::vector<EinsumId>& members) {
  RankId step = -1;
  for (EinsumId m : members) {
    const RankId s = c.einsums[idx(m)].step_var;
    if (s < 0) continue;
    if (step >= 0 && s != step) return -1;
    step = s;
  }
  return step;
}

// A member of a cycle over `step` writes one slice per step: an iterative Einsum writes
// slice r+1, a non-iterative one must have r on its left side and writes slice r.
bool steps_with(const Einsum& e, RankId step) {
  if (e.step_var >= 0) return e.step_var == step;
  return std::find(e.lhs_vars.begin(), e.lhs_vars.end(), step) != e.lhs_vars.end();
}

}  // namespace

void check_cycles(const Cascade& c) {
  const DependencyGraph g = dependency_graph(c);
  for (const auto& members : g.components) {
    const EinsumId first = members.front();
    if (members.size() == 1 && g.find_edge(first, first) == nullptr) continue;
    const int comp = g.component[idx(first)];
    // Self-edges are legal on their own; naming a cycle through other members shows the
    // problem, so they are left out when there are other members.
    const auto in_component = [&](const DependencyEdge& e) {
      return g.component[idx(e.producer)] == comp && g.component[idx(e.consumer)] == comp &&
             (members.size() == 1 || e.producer != e.consumer);
    };
    const std::string expected =
        "a cycle only through Einsums of one iterative rank r ('X[r+1,...] = ...'), where "
        "each cycle reads at least one tensor at the previous slice r";
    // 1. Every member steps over one common iterative variable.
    const RankId step = component_step(c, members);
    for (EinsumId m : members) {
      const Einsum& e = c.einsums[idx(m)];
      if (step >= 0 && steps_with(e, step)) continue;
      const auto cycle = find_cycle(g, m, in_component);
      throw CascadeError(c.source.get(), e.loc,
                         "dependency cycle outside an iterative rank: " + cycle_text(c, cycle), expected);
    }
    // 2. Inside the component every read is of the previous or the current step.
    for (const auto& edge : g.edges) {
      if (!in_component(edge) || step_distance(c, edge, step) >= 0) continue;
      const auto cycle = find_cycle(g, edge.consumer, in_component);
      const std::string& var = c.ranks[idx(step)].index;
      throw CascadeError(c.source.get(), c.einsums[idx(edge.consumer)].loc,
                         "dependency cycle outside an iterative rank: " + cycle_text(c, cycle) + " (" +
                             c.einsums[idx(edge.consumer)].label + " reads " +
                             c.tensors[idx(edge.tensor)].name + " at a slice other than the step's " +
                             var + " or " + var + "+1)",
                         expected);
    }
    // 3. Reads within one step must not go round: every cycle needs a step back.
    const auto same_step = [&](const DependencyEdge& e) {
      return in_component(e) && step_distance(c, e, step) == 0;
    };
    for (EinsumId m : members) {
      const auto cycle = find_cycle(g, m, same_step);
      if (cycle.empty()) continue;
      throw CascadeError(c.source.get(), c.einsums[idx(m)].loc,
                         "dependency cycle within one step of iterative rank " + c.ranks[idx(step)].name +
                             ": " + cycle_text(c, cycle),
                         "at least one read of the previous slice " + c.ranks[idx(step)].index +
                             " on the cycle");
    }
  }
}

std::vector<std::vector<EinsumId>> evaluation_order(const Cascade& c) {
  const DependencyGraph g = dependency_graph(c);
  std::vector<std::vector<EinsumId>> groups;
  for (const auto& members : g.components) {
    if (members.size() == 1) {
      groups.push_back(members);
      continue;
    }
    // Within a step, an Einsum that reads what another member writes in the same step
    // runs after it; source order breaks ties.
    const int comp = g.component[idx(members.front())];
    const RankId step = component_step(c, members);
    auto local = [&](EinsumId e) {
      return static_cast<int>(std::find(members.begin(), members.end(), e) - members.begin());
    };
    std::vector<std::vector<int>> succ(members.size());
    std::vector<int> key(members.begin(), members.end());
    for (const auto& e : g.edges) {
      if (e.producer == e.consumer || g.component[idx(e.producer)] != comp ||
          g.component[idx(e.consumer)] != comp || step_distance(c, e, step) != 0) {
        continue;
      }
      succ[idx(local(e.producer))].push_back(local(e.consumer));
    }
    std::vector<EinsumId> group;
    for (int i : ordered_topological_sort(members.size(), succ, key)) group.push_back(members[idx(i)]);
    if (group.size() != members.size()) group = members;  // illegal cycle: check_cycles reports it
    groups.push_back(std::move(group));
  }
  return groups;
}

std::string to_dot(const Cascade& c) {
  const DependencyGraph g = dependency_graph(c);
  std::ostringstream out;
  out << "digraph " << dot_quote(c.name) << " {\n"
      << "  rankdir=TB;\n  node [fontname=\"monospace\"];\n";
  for (TensorId t : c.inputs()) {
    out << "  " << dot_quote("in:" + c.tensors[idx(t)].name) << " [shape=ellipse, label="
        << dot_quote(c.tensors[idx(t)].name) << "];\n";
  }
  for (std::size_t i = 0; i < c.einsums.size(); ++i) {
    const Einsum& e = c.einsums[i];
    const bool is_output = c.tensors[idx(e.output)].role == Tensor::Role::output;
    out << "  e" << i << " [shape=box, label=" << dot_quote(e.label)
        << (is_output ? ", peripheries=2" : "") << "];\n";
  }
  for (std::size_t i = 0; i < c.einsums.size(); ++i) {
    for (TensorId t : c.einsums[i].reads) {
      if (c.tensors[idx(t)].producer < 0) {
        out << "  " << dot_quote("in:" + c.tensors[idx(t)].name) << " -> e" << i << ";\n";
      }
    }
  }
  for (const auto& e : g.edges) {
    out << "  e" << e.producer << " -> e" << e.consumer
        << " [label=" << dot_quote(c.tensors[idx(e.tensor)].name)
        << (e.step_read == StepRead::previous_slice ? ", style=dashed" : "") << "];\n";
  }
  out << "}\n";
  return out.str();
}

}  // namespace einfuse::einsum
