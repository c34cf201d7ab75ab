// Exact point counts of masked iteration spaces (point_count.hpp, docs/op-counts.md).
//
// The mask is split at && into constraints. Affine comparisons become linear constraints
// `sum a_i x_i + k (>= | == | !=) 0`; anything else stays a general constraint evaluated
// point by point. Split parts that only ever appear as m1*M0 + m0 are merged back into one
// variable, variables are grouped by the constraints that couple them, and each group is
// counted on its own: all variables but one are enumerated and the last one's feasible
// interval is measured in O(1). Only a group whose every variable sits in a general
// constraint, or whose enumerated part is too large, falls back to (bounded) enumeration.
#include "einfuse/einsum/point_count.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <string>

#include "einfuse/einsum/index_eval.hpp"

namespace einfuse::einsum {
namespace {

__extension__ typedef __int128 Wide;  // sums of 64-bit coefficient x value products

std::size_t idx(int id) { return static_cast<std::size_t>(id); }

[[noreturn]] void overflow(const Cascade& c, SourceLoc loc) {
  throw CascadeError(c.source.get(), loc, "count overflows 64 bits", "smaller sizes");
}

std::uint64_t mul_checked(const Cascade& c, SourceLoc loc, std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) overflow(c, loc);
  return r;
}

Wide floor_div_wide(Wide a, Wide b) {
  const Wide q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
Wide ceil_div_wide(Wide a, Wide b) { return -floor_div_wide(-a, b); }

bool reads_tensor(const Expr& e) {
  if (e.kind == Expr::Kind::access) return true;
  return std::any_of(e.args.begin(), e.args.end(), [](const Expr* a) { return reads_tensor(*a); });
}

void flatten_and(const Expr* e, std::vector<const Expr*>& out) {
  if (e->kind == Expr::Kind::apply && e->op == Op::logical_and) {
    flatten_and(e->args[0], out);
    flatten_and(e->args[1], out);
  } else {
    out.push_back(e);
  }
}

void collect_ranks(const Expr& e, std::vector<RankId>& out) {
  if (e.kind == Expr::Kind::var && std::find(out.begin(), out.end(), e.id) == out.end()) out.push_back(e.id);
  for (const Expr* a : e.args) collect_ranks(*a, out);
}

bool is_comparison(Op op) {
  return op == Op::lt || op == Op::le || op == Op::gt || op == Op::ge || op == Op::eq || op == Op::ne;
}
Op negated(Op op) {
  switch (op) {
    case Op::lt: return Op::ge;
    case Op::le: return Op::gt;
    case Op::gt: return Op::le;
    case Op::ge: return Op::lt;
    case Op::eq: return Op::ne;
    default: return Op::eq;
  }
}

/// A counting variable: one rank variable, or consecutive split parts merged into one.
struct Var {
  std::int64_t extent = 1;
  std::int64_t offset = 0;    ///< the box's first value: the variable is offset + [0, extent)
  std::vector<RankId> ranks;  ///< coarsest first
  bool projected = false;
  bool in_general = false;    ///< mentioned by a general constraint (never merged)
};

/// sum coeff[v] * x_v + constant, compared with 0.
struct Linear {
  enum class Kind { ge, eq, ne };
  Kind kind = Kind::ge;
  std::vector<Wide> coeff;  ///< by Var index
  Wide constant = 0;
};

struct General {
  const Expr* expr = nullptr;
  std::vector<std::size_t> vars;  ///< Var indices
};

class Counter {
 public:
  Counter(const Cascade& c, const BoundShape& shape, const PointSpace& space)
      : c_(c), shape_(shape), space_(space), rank_values_(c.ranks.size(), 0) {}

  std::uint64_t run() {
    for (RankId r : space_.vars) {
      Var v;
      v.extent = shape_.extent(r);
      if (!space_.box.empty()) {
        v.offset = space_.box[idx(r)].lo;
        v.extent = std::max<std::int64_t>(0, space_.box[idx(r)].size());
      }
      if (v.extent == 0) return 0;
      v.ranks = {r};
      v.projected = std::find(space_.projected.begin(), space_.projected.end(), r) != space_.projected.end();
      vars_.push_back(std::move(v));
    }
    if (space_.predicate && !build_constraints()) return 0;  // a constant-false constraint
    while (merge_once()) {
    }
    return count_groups();
  }

 private:
  std::size_t var_of(RankId r, const Expr& where) const {
    for (std::size_t i = 0; i < vars_.size(); ++i) {
      if (vars_[i].ranks.front() == r) return i;
    }
    throw CascadeError(c_.source.get(), where.loc,
                       "mask uses variable '" + c_.ranks[idx(r)].index + "' outside the iteration space",
                       "a mask over the Einsum's own index variables");
  }

  // Returns false when some constraint is constant and false: the space is empty.
  bool build_constraints() {
    const Expr& pred = *space_.predicate;
    if (reads_tensor(pred)) {
      throw CascadeError(c_.source.get(), space_.loc,
                         "the mask 'where " + to_string(c_, pred) +
                             "' reads a tensor, so its point count depends on the data",
                         "a mask of index variables, sizes and parameters");
    }
    std::vector<const Expr*> parts;
    flatten_and(&pred, parts);
    for (const Expr* part : parts) {
      if (auto lin = linear_of(*part)) {
        const bool constant = std::all_of(lin->coeff.begin(), lin->coeff.end(), [](Wide a) { return a == 0; });
        if (!constant) {
          linears_.push_back(std::move(*lin));
          continue;
        }
        if (!holds(*lin, {})) return false;
        continue;
      }
      General g;
      g.expr = part;
      std::vector<RankId> ranks;
      collect_ranks(*part, ranks);
      for (RankId r : ranks) g.vars.push_back(var_of(r, *part));
      if (g.vars.empty()) {
        if (eval_index(c_, shape_, *part, rank_values_) == 0) return false;
        continue;
      }
      for (std::size_t v : g.vars) vars_[v].in_general = true;
      generals_.push_back(std::move(g));
    }
    return true;
  }

  std::optional<Linear> linear_of(const Expr& constraint) const {
    const Expr* e = &constraint;
    bool negate = false;
    while (e->kind == Expr::Kind::apply && e->op == Op::logical_not) {
      negate = !negate;
      e = e->args[0];
    }
    if (e->kind != Expr::Kind::apply || !is_comparison(e->op)) return std::nullopt;
    const Op op = negate ? negated(e->op) : e->op;
    const auto a = to_affine(c_, shape_, *e->args[0]);
    const auto b = to_affine(c_, shape_, *e->args[1]);
    if (!a || !b) return std::nullopt;
    Linear lin;
    lin.coeff.assign(vars_.size(), 0);
    Wide k = Wide{a->constant} - Wide{b->constant};
    for (const auto& [r, coeff] : a->terms) lin.coeff[var_of(r, *e)] += coeff;
    for (const auto& [r, coeff] : b->terms) lin.coeff[var_of(r, *e)] -= coeff;
    // Counting runs over [0, extent) of each variable: x = offset + y shifts the constant.
    for (std::size_t v = 0; v < vars_.size(); ++v) k += lin.coeff[v] * vars_[v].offset;
    // Normalise to `f >= 0`, `f == 0` or `f != 0` over the integers.
    const auto flip = [&] {
      for (Wide& x : lin.coeff) x = -x;
      k = -k;
    };
    switch (op) {
      case Op::ge: break;
      case Op::gt: k -= 1; break;
      case Op::le: flip(); break;
      case Op::lt: flip(); k -= 1; break;
      case Op::eq: lin.kind = Linear::Kind::eq; break;
      default: lin.kind = Linear::Kind::ne; break;
    }
    lin.constant = k;
    return lin;
  }

  static bool holds(const Linear& lin, const std::vector<std::int64_t>& values) {
    Wide s = lin.constant;
    for (std::size_t v = 0; v < values.size(); ++v) s += lin.coeff[v] * values[v];
    switch (lin.kind) {
      case Linear::Kind::ge: return s >= 0;
      case Linear::Kind::eq: return s == 0;
      case Linear::Kind::ne: return s != 0;
    }
    return false;
  }

  // Merges a coarser run of split parts A into the next finer run B when every linear
  // constraint weighs A exactly |B| times B (it only sees a*|B| + b, one variable).
  bool merge_once() {
    for (std::size_t a = 0; a < vars_.size(); ++a) {
      for (std::size_t b = 0; b < vars_.size(); ++b) {
        if (a == b || !mergeable(a, b)) continue;
        const Wide extent = Wide{vars_[a].extent} * vars_[b].extent;
        if (extent > std::numeric_limits<std::int64_t>::max()) continue;
        vars_[b].extent = static_cast<std::int64_t>(extent);
        vars_[b].ranks.insert(vars_[b].ranks.begin(), vars_[a].ranks.begin(), vars_[a].ranks.end());
        vars_.erase(vars_.begin() + static_cast<std::ptrdiff_t>(a));
        for (Linear& lin : linears_) lin.coeff.erase(lin.coeff.begin() + static_cast<std::ptrdiff_t>(a));
        for (General& g : generals_) {  // they never mention a merged variable, only shift
          for (std::size_t& v : g.vars) v -= v > a ? 1 : 0;
        }
        return true;
      }
    }
    return false;
  }

  bool mergeable(std::size_t a, std::size_t b) const {
    const Var& va = vars_[a];
    const Var& vb = vars_[b];
    if (va.in_general || vb.in_general || va.projected != vb.projected) return false;
    const Rank& coarse = c_.ranks[idx(va.ranks.back())];
    const Rank& fine = c_.ranks[idx(vb.ranks.front())];
    if (coarse.kind != Rank::Kind::split_part || fine.kind != Rank::Kind::split_part) return false;
    if (coarse.split_of != fine.split_of || coarse.split_level + 1 != fine.split_level) return false;
    return std::all_of(linears_.begin(), linears_.end(),
                       [&](const Linear& lin) { return lin.coeff[a] == lin.coeff[b] * vb.extent; });
  }

  std::uint64_t count_groups() {
    // Union-find over variables coupled by a constraint.
    std::vector<std::size_t> parent(vars_.size());
    std::iota(parent.begin(), parent.end(), std::size_t{0});
    const auto find = [&](std::size_t v) {
      while (parent[v] != v) v = parent[v] = parent[parent[v]];
      return v;
    };
    const auto unite = [&](const std::vector<std::size_t>& vs) {
      for (std::size_t i = 1; i < vs.size(); ++i) parent[find(vs[i])] = find(vs[0]);
    };
    std::vector<bool> constrained(vars_.size(), false);
    for (const Linear& lin : linears_) {
      std::vector<std::size_t> vs;
      for (std::size_t v = 0; v < vars_.size(); ++v) {
        if (lin.coeff[v] != 0) vs.push_back(v);
      }
      for (std::size_t v : vs) constrained[v] = true;
      unite(vs);
    }
    for (const General& g : generals_) {
      for (std::size_t v : g.vars) constrained[v] = true;
      unite(g.vars);
    }
    std::uint64_t total = 1;
    for (std::size_t root = 0; root < vars_.size(); ++root) {
      if (!constrained[root]) {
        // A free projected variable is satisfiable by any of its (>= 1) values.
        if (!vars_[root].projected) total = mul_checked(c_, space_.loc, total, static_cast<std::uint64_t>(vars_[root].extent));
        continue;
      }
      if (find(root) != root) continue;
      std::vector<std::size_t> members;
      for (std::size_t v = 0; v < vars_.size(); ++v) {
        if (constrained[v] && find(v) == root) members.push_back(v);
      }
      total = mul_checked(c_, space_.loc, total, count_group(members));
      if (total == 0) return 0;
    }
    return total;
  }

  std::uint64_t count_group(const std::vector<std::size_t>& members) {
    // Only this group's constraints: the other groups' variables hold stale values.
    const auto in_group = [&](std::size_t v) { return std::find(members.begin(), members.end(), v) != members.end(); };
    group_linears_.clear();
    group_generals_.clear();
    for (const Linear& lin : linears_) {
      for (std::size_t v : members) {
        if (lin.coeff[v] != 0) {
          group_linears_.push_back(&lin);
          break;
        }
      }
    }
    for (const General& g : generals_) {
      if (in_group(g.vars.front())) group_generals_.push_back(&g);
    }
    std::vector<std::size_t> outer, inner;
    bool closed = false;
    bool projected = false;
    for (std::size_t v : members) projected = projected || vars_[v].projected;
    if (!projected) {
      // Measure the widest variable outside general constraints in closed form.
      std::optional<std::size_t> y;
      for (std::size_t v : members) {
        if (!vars_[v].in_general && (!y || vars_[v].extent > vars_[*y].extent)) y = v;
      }
      for (std::size_t v : members) {
        if (v != y) outer.push_back(v);
      }
      if (y) inner = {*y};
      closed = y.has_value();
    } else {
      for (std::size_t v : members) (vars_[v].projected ? inner : outer).push_back(v);
      closed = inner.size() == 1 && !vars_[inner[0]].in_general;
    }
    Wide work = 1;
    // Saturate at 2^64 so the product of up to 63-bit extents never overflows 128 bits.
    const Wide cap = Wide{1} << 64;
    for (std::size_t v : outer) work = std::min<Wide>(work * vars_[v].extent, cap);
    if (!closed) {
      for (std::size_t v : inner) work = std::min<Wide>(work * vars_[v].extent, cap);
    }
    if (work > static_cast<Wide>(kEnumerationLimit)) too_large(members, work);

    if (closed) prepare_bounds(inner[0]);
    values_.assign(vars_.size(), 0);
    Wide total = 0;
    odometer(outer, [&] {
      if (closed) {
        if (!generals_hold()) return true;
        const Wide n = interval_count(vars_[inner[0]].extent);
        total += projected ? (n > 0 ? 1 : 0) : n;
        return true;
      }
      Wide found = 0;
      odometer(inner, [&] {
        if (!all_hold()) return true;
        ++found;
        return !projected;  // one witness is enough for a projected point
      });
      total += found;
      return true;
    });
    if (total > static_cast<Wide>(std::numeric_limits<std::uint64_t>::max())) overflow(c_, space_.loc);
    return static_cast<std::uint64_t>(total);
  }

  [[noreturn]] void too_large(const std::vector<std::size_t>& members, Wide work) const {
    std::string vars;
    for (std::size_t v : members) {
      for (RankId r : vars_[v].ranks) vars += (vars.empty() ? "" : ", ") + c_.ranks[idx(r)].index;
    }
    std::string why = "it couples " + vars;
    for (const General& g : generals_) {
      if (std::find(members.begin(), members.end(), g.vars.front()) != members.end()) {
        why = "'" + to_string(c_, *g.expr) + "' is not affine";
        break;
      }
    }
    const std::string points = work >= (Wide{1} << 64) ? "more than 2^64" : std::to_string(static_cast<unsigned long long>(work));
    throw CascadeError(c_.source.get(), space_.loc,
                       "cannot count the points of the mask 'where " + to_string(c_, *space_.predicate) +
                           "' in closed form (" + why + ") and enumerating it would visit " + points +
                           " points (limit " + std::to_string(kEnumerationLimit) + ")",
                       "affine constraints (sums of variables times constants compared with < <= > >= == !=, "
                       "joined by &&), or smaller sizes");
  }

  // Visits every assignment of `vs` (writing values_ and rank values); `visit` returns
  // false to stop early.
  template <class F>
  void odometer(const std::vector<std::size_t>& vs, F&& visit) {
    for (std::size_t v : vs) set(v, 0);
    while (true) {
      if (!visit()) return;
      std::size_t i = 0;
      for (; i < vs.size(); ++i) {
        if (values_[vs[i]] + 1 < vars_[vs[i]].extent) {
          set(vs[i], values_[vs[i]] + 1);
          break;
        }
        set(vs[i], 0);
      }
      if (i == vs.size()) return;
    }
  }

  void set(std::size_t v, std::int64_t value) {
    values_[v] = value;
    if (vars_[v].ranks.size() == 1) rank_values_[idx(vars_[v].ranks.front())] = vars_[v].offset + value;
  }

  bool generals_hold() {
    for (const General* g : group_generals_) {
      if (eval_index(c_, shape_, *g->expr, rank_values_) == 0) return false;
    }
    return true;
  }

  bool all_hold() {
    for (const Linear* lin : group_linears_) {
      if (!holds(*lin, values_)) return false;
    }
    return generals_hold();
  }

  // The group's linear constraints seen from variable y: a*y + (constant + sum of the
  // other variables' terms). Kept sparse because interval_count runs once per point of
  // the enumerated variables (a million times for a causal mask at 1M tokens).
  struct Bound {
    Linear::Kind kind = Linear::Kind::ge;
    Wide a = 0;
    Wide constant = 0;
    std::vector<std::pair<std::size_t, Wide>> terms;
  };

  void prepare_bounds(std::size_t y) {
    bounds_.clear();
    for (const Linear* lin : group_linears_) {
      Bound b;
      b.kind = lin->kind;
      b.a = lin->coeff[y];
      b.constant = lin->constant;
      for (std::size_t v = 0; v < vars_.size(); ++v) {
        if (v != y && lin->coeff[v] != 0) b.terms.emplace_back(v, lin->coeff[v]);
      }
      bounds_.push_back(std::move(b));
    }
  }

  // Number of values in [0, extent) of the prepared variable y that satisfy every linear
  // constraint, the other variables fixed at values_.
  Wide interval_count(std::int64_t extent) {
    Wide lo = 0;
    Wide hi = Wide{extent} - 1;
    excluded_.clear();
    for (const Bound& b : bounds_) {
      Wide s = b.constant;
      for (const auto& [v, coeff] : b.terms) s += coeff * values_[v];
      const Wide a = b.a;
      switch (b.kind) {
        case Linear::Kind::ge:
          if (a == 0) {
            if (s < 0) return 0;
          } else if (a == 1) {  // the usual case after merging splits: no 128-bit division
            lo = std::max(lo, -s);
          } else if (a == -1) {
            hi = std::min(hi, s);
          } else if (a > 0) {
            lo = std::max(lo, ceil_div_wide(-s, a));
          } else {
            hi = std::min(hi, floor_div_wide(s, -a));
          }
          break;
        case Linear::Kind::eq:
          if (a == 0) {
            if (s != 0) return 0;
          } else {
            if ((-s) % a != 0) return 0;
            lo = std::max(lo, -s / a);
            hi = std::min(hi, -s / a);
          }
          break;
        case Linear::Kind::ne:
          if (a == 0) {
            if (s == 0) return 0;
          } else if ((-s) % a == 0) {
            excluded_.push_back(-s / a);
          }
          break;
      }
      if (lo > hi) return 0;
    }
    Wide n = hi - lo + 1;
    std::sort(excluded_.begin(), excluded_.end());
    excluded_.erase(std::unique(excluded_.begin(), excluded_.end()), excluded_.end());
    for (Wide x : excluded_) {
      if (x >= lo && x <= hi) --n;
    }
    return n;
  }

  const Cascade& c_;
  const BoundShape& shape_;
  const PointSpace& space_;
  std::vector<Var> vars_;
  std::vector<Linear> linears_;
  std::vector<General> generals_;
  std::vector<const Linear*> group_linears_;   ///< constraints of the group being counted
  std::vector<const General*> group_generals_;
  std::vector<Bound> bounds_;   ///< group_linears_ seen from the closed-form variable
  std::vector<Wide> excluded_;  ///< values of that variable ruled out by != constraints
  std::vector<std::int64_t> values_;       ///< by Var index
  std::vector<std::int64_t> rank_values_;  ///< by RankId, for eval_index
};

}  // namespace

PointSpace iteration_space(const Einsum& e) {
  PointSpace s;
  s.vars = e.iteration_vars;
  s.predicate = e.where;
  s.loc = e.loc;
  return s;
}

std::uint64_t count_points(const Cascade& c, const BoundShape& shape, const PointSpace& space) {
  return Counter(c, shape, space).run();
}

std::uint64_t count_points(const Cascade& c, const BoundShape& shape, const Einsum& e) {
  return count_points(c, shape, iteration_space(e));
}

std::uint64_t count_points_brute_force(const Cascade& c, const BoundShape& shape,
                                       const PointSpace& space, std::uint64_t limit) {
  const auto lo = [&](RankId r) { return space.box.empty() ? 0 : space.box[idx(r)].lo; };
  const auto hi = [&](RankId r) { return space.box.empty() ? shape.extent(r) : space.box[idx(r)].hi; };
  std::uint64_t size = 1;
  for (RankId r : space.vars) {
    if (hi(r) <= lo(r)) return 0;
    if (__builtin_mul_overflow(size, static_cast<std::uint64_t>(hi(r) - lo(r)), &size) || size > limit) {
      throw CascadeError(c.source.get(), space.loc,
                         "the iteration space is too large to enumerate (limit " + std::to_string(limit) + " points)",
                         "smaller sizes");
    }
  }
  std::vector<RankId> outer, inner;
  for (RankId r : space.vars) {
    const bool proj = std::find(space.projected.begin(), space.projected.end(), r) != space.projected.end();
    (proj ? inner : outer).push_back(r);
  }
  std::vector<std::int64_t> values(c.ranks.size(), 0);
  for (RankId r : space.vars) values[idx(r)] = lo(r);
  const auto advance = [&](const std::vector<RankId>& vs) {
    for (RankId r : vs) {
      if (++values[idx(r)] < hi(r)) return true;
      values[idx(r)] = lo(r);
    }
    return false;
  };
  std::uint64_t count = 0;
  do {
    bool found = false;
    do {
      found = !space.predicate || eval_index(c, shape, *space.predicate, values) != 0;
    } while (!found && advance(inner));
    for (RankId r : inner) values[idx(r)] = lo(r);
    count += found ? 1 : 0;
  } while (advance(outer));
  return count;
}

std::uint64_t count_points_brute_force(const Cascade& c, const BoundShape& shape, const Einsum& e,
                                       std::uint64_t limit) {
  return count_points_brute_force(c, shape, iteration_space(e), limit);
}

}  // namespace einfuse::einsum
