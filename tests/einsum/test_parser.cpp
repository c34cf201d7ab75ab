// Well-formed cascades: the resolved structure the parser builds (docs/language.md), the
// expression renderer round trip, and the format of diagnostics.
#include <catch2/catch.hpp>

#include <cstdint>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "einfuse/einsum/parser.hpp"

using namespace einfuse::einsum;

namespace {

// The worked example of docs/language.md (1-pass softmax attention, FuseMax).
const char* const kDecls1Pass = R"(cascade softmax_1pass
batch B = 1, H = 1                  # ranks every tensor carries; never reduced
rank E = 64, F = 64, P, M
split M -> M1, M0 by 256            # m = m1*256 + m0; M1 = M/256, M0 = 256

input  Q[e,p] : bf16
input  K[e,m] : bf16
input  V[f,m] : bf16
output AV[f,p] : bf16 acc fp32

)";
const char* const kEinsums1Pass = R"(QK[m1,m0,p]   = Q[e,p] * K[e, m1*M0+m0]                # + over e (on the right only)
LM[m1,p]      = max(m0) QK[m1,m0,p]
RM[m1+1,p]    = max(RM[m1,p], LM[m1,p])          init -inf
SLN[m1,m0,p]  = exp(QK[m1,m0,p] - RM[m1+1,p])
PRM[m1,p]     = exp(RM[m1,p] - RM[m1+1,p])
SLD[m1,p]     = SLN[m1,m0,p]                           # + over m0
RD[m1+1,p]    = PRM[m1,p] * RD[m1,p] + SLD[m1,p]       init 0
SLNV[f,m1,p]  = SLN[m1,m0,p] * V[f, m1*M0+m0]
RNV[f,m1+1,p] = PRM[m1,p] * RNV[f,m1,p] + SLNV[f,m1,p] init 0
AV[f,p]       = RNV[f,M1,p] / RD[M1,p]
)";

std::string one_pass() { return std::string(kDecls1Pass) + kEinsums1Pass; }

std::size_t idx(int id) { return static_cast<std::size_t>(id); }

RankId rank(const Cascade& c, const char* name) {
  const auto r = c.find_rank(name);
  REQUIRE(r.has_value());
  return *r;
}
TensorId tensor(const Cascade& c, const char* name) {
  const auto t = c.find_tensor(name);
  REQUIRE(t.has_value());
  return *t;
}
const Einsum& einsum_of(const Cascade& c, const char* output) {
  const Tensor& t = c.tensors[idx(tensor(c, output))];
  REQUIRE(t.producer >= 0);
  return c.einsums[idx(t.producer)];
}
// Rank ids from names, e.g. ranks(c, {"B", "H", "M1", "P"}).
std::vector<RankId> ranks(const Cascade& c, std::initializer_list<const char*> names) {
  std::vector<RankId> out;
  for (const char* n : names) out.push_back(rank(c, n));
  return out;
}
std::vector<TensorId> tensors(const Cascade& c, std::initializer_list<const char*> names) {
  std::vector<TensorId> out;
  for (const char* n : names) out.push_back(tensor(c, n));
  return out;
}

// ---- structural comparison (ids, types and values; not source locations) ----------------

void same_expr(const Expr& a, const Expr& b, const std::string& path) {
  INFO("at " << path);
  REQUIRE(a.kind == b.kind);
  CHECK(a.type == b.type);
  CHECK(a.id == b.id);
  if (a.kind == Expr::Kind::apply) CHECK(a.op == b.op);
  if (a.kind == Expr::Kind::number) {
    CHECK(std::isinf(a.value) == std::isinf(b.value));
    CHECK(a.value == Approx(b.value).epsilon(1e-12));
    if (a.type == ValueType::integer) CHECK(a.integer == b.integer);
  }
  REQUIRE(a.args.size() == b.args.size());
  for (std::size_t i = 0; i < a.args.size(); ++i) same_expr(*a.args[i], *b.args[i], path + "/" + std::to_string(i));
}

void same_structure(const Cascade& a, const Cascade& b) {
  CHECK(a.name == b.name);
  REQUIRE(a.ranks.size() == b.ranks.size());
  for (std::size_t i = 0; i < a.ranks.size(); ++i) {
    CHECK(a.ranks[i].name == b.ranks[i].name);
    CHECK(a.ranks[i].kind == b.ranks[i].kind);
    CHECK(a.ranks[i].parts == b.ranks[i].parts);
  }
  CHECK(a.batch_ranks == b.batch_ranks);
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    const Tensor& x = a.tensors[i];
    const Tensor& y = b.tensors[i];
    INFO("tensor " << x.name);
    CHECK(x.name == y.name);
    CHECK(x.role == y.role);
    CHECK(x.ranks == y.ranks);
    CHECK(x.iterative == y.iterative);
    CHECK(x.dtype == y.dtype);
    CHECK(x.acc == y.acc);
    CHECK(x.producer == y.producer);
  }
  REQUIRE(a.einsums.size() == b.einsums.size());
  for (std::size_t i = 0; i < a.einsums.size(); ++i) {
    const Einsum& x = a.einsums[i];
    const Einsum& y = b.einsums[i];
    INFO("Einsum " << x.label);
    CHECK(x.output == y.output);
    CHECK(x.lhs_vars == y.lhs_vars);
    CHECK(x.step_var == y.step_var);
    CHECK(x.init == y.init);
    CHECK(x.outer_op == y.outer_op);
    CHECK(x.outer_vars == y.outer_vars);
    CHECK(x.inner_vars == y.inner_vars);
    CHECK(x.populate == y.populate);
    CHECK(x.source_var == y.source_var);
    CHECK(x.target_var == y.target_var);
    CHECK(x.iteration_vars == y.iteration_vars);
    CHECK(x.reads == y.reads);
    same_expr(*x.body, *y.body, x.label + ".body");
    REQUIRE((x.where == nullptr) == (y.where == nullptr));
    if (x.where) same_expr(*x.where, *y.where, x.label + ".where");
  }
}

// One Einsum back in cascade syntax, its expressions rendered with to_string().
std::string render(const Cascade& c, const Einsum& e) {
  const Tensor& t = c.tensors[idx(e.output)];
  const std::size_t nb = c.batch_ranks.size();
  std::string s = t.name + "[";
  for (std::size_t i = nb; i < e.lhs_vars.size(); ++i) {
    if (i > nb) s += ",";
    s += c.ranks[idx(e.lhs_vars[i])].index;
    if (t.iterative[i]) s += "+1";
  }
  s += "] = ";
  if (e.populate != Einsum::Populate::none) {
    s += std::string(e.populate == Einsum::Populate::topk ? "topk(" : "filter(") +
         c.ranks[idx(e.source_var)].index + " -> " + c.ranks[idx(e.target_var)].index + ") ";
  } else if (!e.outer_vars.empty()) {
    s += std::string(reduce_op_name(e.outer_op)) + "(";
    for (std::size_t i = 0; i < e.outer_vars.size(); ++i) s += (i ? ", " : "") + c.ranks[idx(e.outer_vars[i])].index;
    s += ") ";
  }
  s += to_string(c, *e.body);
  if (e.where) s += " where " + to_string(c, *e.where);
  if (e.init) {
    Expr init;
    init.value = *e.init;
    s += " init " + to_string(c, init);
  }
  return s;
}

// Parses decls + einsums, renders every Einsum back, parses decls + rendering, and checks
// that both parses have the same structure.
void check_round_trip(const std::string& decls, const std::string& einsums) {
  const Cascade first = parse_cascade(decls + einsums);
  std::string rendered;
  for (const Einsum& e : first.einsums) rendered += render(first, e) + "\n";
  INFO("rendered:\n" << rendered);
  Cascade second;
  try {
    second = parse_cascade(decls + rendered);
  } catch (const CascadeError& err) {
    FAIL("the rendering does not parse:\n" << err.what());
  }
  same_structure(first, second);
  // Rendering is a fixed point after one round.
  std::string again;
  for (const Einsum& e : second.einsums) again += render(second, e) + "\n";
  CHECK(again == rendered);
}

}  // namespace

TEST_CASE("the 1-pass cascade of the language guide: ranks and tensors", "[parser]") {
  const Cascade c = parse_cascade(one_pass());
  CHECK(c.name == "softmax_1pass");
  REQUIRE(c.ranks.size() == 8);
  CHECK(c.batch_ranks == ranks(c, {"B", "H"}));
  CHECK(c.ranks[idx(rank(c, "B"))].kind == Rank::Kind::batch);
  CHECK(c.ranks[idx(rank(c, "E"))].default_extent == 64);
  CHECK_FALSE(c.ranks[idx(rank(c, "P"))].default_extent.has_value());
  CHECK(c.ranks[idx(rank(c, "M"))].parts == ranks(c, {"M1", "M0"}));
  CHECK(c.ranks[idx(rank(c, "M0"))].kind == Rank::Kind::split_part);
  CHECK(c.ranks[idx(rank(c, "M0"))].index == "m0");
  CHECK(c.root_rank(rank(c, "M1")) == rank(c, "M"));

  // Declared tensors first, then intermediates in the order of their Einsums.
  std::vector<std::string> names;
  for (const Tensor& t : c.tensors) names.push_back(t.name);
  CHECK(names == std::vector<std::string>{"Q", "K", "V", "AV", "QK", "LM", "RM", "SLN", "PRM", "SLD", "RD",
                                          "SLNV", "RNV"});
  CHECK(c.inputs() == tensors(c, {"Q", "K", "V"}));
  CHECK(c.outputs() == tensors(c, {"AV"}));
  REQUIRE(c.einsums.size() == 10);

  // Batch ranks are prepended to every tensor's slots.
  CHECK(c.tensors[idx(tensor(c, "Q"))].ranks == ranks(c, {"B", "H", "E", "P"}));
  CHECK(c.tensors[idx(tensor(c, "QK"))].ranks == ranks(c, {"B", "H", "M1", "M0", "P"}));
  CHECK(c.tensors[idx(tensor(c, "RNV"))].ranks == ranks(c, {"B", "H", "F", "M1", "P"}));
  CHECK(c.tensors[idx(tensor(c, "RNV"))].iterative == std::vector<bool>{false, false, false, true, false});
  CHECK(c.tensors[idx(tensor(c, "SLN"))].iterative == std::vector<bool>(5, false));

  // Types: bf16 storage computes in fp32 unless told otherwise; intermediates are fp32.
  const Tensor& q = c.tensors[idx(tensor(c, "Q"))];
  CHECK(q.role == Tensor::Role::input);
  CHECK(q.dtype == DType::bf16);
  CHECK(q.acc == DType::fp32);
  CHECK(q.producer == -1);
  const Tensor& av = c.tensors[idx(tensor(c, "AV"))];
  CHECK(av.role == Tensor::Role::output);
  CHECK(av.dtype == DType::bf16);
  CHECK(av.acc == DType::fp32);
  CHECK(av.producer == 9);
  const Tensor& qk = c.tensors[idx(tensor(c, "QK"))];
  CHECK(qk.role == Tensor::Role::intermediate);
  CHECK(qk.dtype == DType::fp32);
  CHECK(qk.acc == DType::fp32);
  CHECK(qk.producer == 0);
}

TEST_CASE("the 1-pass cascade of the language guide: Einsums", "[parser]") {
  const Cascade c = parse_cascade(one_pass());

  SECTION("QK: a contraction over e, which appears on the right only") {
    const Einsum& e = einsum_of(c, "QK");
    CHECK(e.label == "QK");
    CHECK(e.lhs_vars == ranks(c, {"B", "H", "M1", "M0", "P"}));
    CHECK(e.outer_vars.empty());
    CHECK(e.inner_vars == ranks(c, {"E"}));
    CHECK(e.iteration_vars == ranks(c, {"B", "H", "M1", "M0", "P", "E"}));
    CHECK(e.step_var == -1);
    CHECK_FALSE(e.init.has_value());
    CHECK(e.reads == tensors(c, {"Q", "K"}));
    CHECK(e.is_reduction());
    CHECK(e.loc.line == 11);
    CHECK(e.loc.col == 1);
    // Q[e,p] * K[e, m1*M0+m0]: accesses carry the batch variables first.
    REQUIRE(e.body->kind == Expr::Kind::apply);
    CHECK(e.body->op == Op::mul);
    CHECK(e.body->type == ValueType::real);
    const Expr& k = *e.body->args[1];
    REQUIRE(k.kind == Expr::Kind::access);
    CHECK(k.id == tensor(c, "K"));
    REQUIRE(k.args.size() == 4);
    CHECK(k.args[0]->kind == Expr::Kind::var);
    CHECK(k.args[0]->id == rank(c, "B"));
    CHECK(k.args[1]->id == rank(c, "H"));
    const Expr& gather = *k.args[3];  // m1*M0 + m0
    REQUIRE(gather.kind == Expr::Kind::apply);
    CHECK(gather.op == Op::add);
    CHECK(gather.type == ValueType::integer);
    CHECK(gather.args[0]->op == Op::mul);
    CHECK(gather.args[0]->args[1]->kind == Expr::Kind::size);
    CHECK(gather.args[0]->args[1]->id == rank(c, "M0"));
    CHECK(to_string(c, *e.body) == "Q[e,p] * K[e,m1 * M0 + m0]");
  }
  SECTION("LM: a named max reduction over m0") {
    const Einsum& e = einsum_of(c, "LM");
    CHECK(e.outer_op == ReduceOp::max);
    CHECK(e.outer_vars == ranks(c, {"M0"}));
    CHECK(e.inner_vars.empty());
    CHECK(e.iteration_vars == ranks(c, {"B", "H", "M1", "P", "M0"}));
    CHECK(e.body->kind == Expr::Kind::access);
    CHECK(e.reads == tensors(c, {"QK"}));
  }
  SECTION("RM: iterative over m1, max(a, b) is a call, not a reduction") {
    const Einsum& e = einsum_of(c, "RM");
    CHECK(e.step_var == rank(c, "M1"));
    REQUIRE(e.init.has_value());
    CHECK(std::isinf(*e.init));
    CHECK(*e.init < 0);
    CHECK_FALSE(e.is_reduction());
    CHECK(e.outer_op == ReduceOp::add);  // no reduction named
    REQUIRE(e.body->kind == Expr::Kind::apply);
    CHECK(e.body->op == Op::max);
    CHECK(e.iteration_vars == ranks(c, {"B", "H", "M1", "P"}));
    CHECK(e.reads == tensors(c, {"RM", "LM"}));
    CHECK(c.tensors[idx(tensor(c, "RM"))].iterative == std::vector<bool>{false, false, true, false});
  }
  SECTION("SLN reads the iterative RM at m1+1") {
    const Einsum& e = einsum_of(c, "SLN");
    CHECK(e.step_var == -1);
    CHECK_FALSE(e.is_reduction());
    CHECK(e.body->op == Op::exp);
    CHECK(e.reads == tensors(c, {"QK", "RM"}));
    CHECK(to_string(c, *e.body) == "exp(QK[m1,m0,p] - RM[m1 + 1,p])");
  }
  SECTION("SLD: an implicit + over m0") {
    const Einsum& e = einsum_of(c, "SLD");
    CHECK(e.outer_vars.empty());
    CHECK(e.inner_vars == ranks(c, {"M0"}));
    CHECK(e.iteration_vars == ranks(c, {"B", "H", "M1", "P", "M0"}));
  }
  SECTION("RD and RNV: iterative with init 0") {
    CHECK(einsum_of(c, "RD").step_var == rank(c, "M1"));
    CHECK(einsum_of(c, "RD").init == 0.0);
    CHECK(einsum_of(c, "RD").reads == tensors(c, {"PRM", "RD", "SLD"}));
    const Einsum& rnv = einsum_of(c, "RNV");
    CHECK(rnv.step_var == rank(c, "M1"));
    CHECK(rnv.lhs_vars == ranks(c, {"B", "H", "F", "M1", "P"}));
    CHECK(rnv.iteration_vars == ranks(c, {"B", "H", "F", "M1", "P"}));
    CHECK(rnv.inner_vars.empty());
  }
  SECTION("AV reads the final slice through the size M1") {
    const Einsum& e = einsum_of(c, "AV");
    CHECK(e.iteration_vars == ranks(c, {"B", "H", "F", "P"}));
    CHECK(e.reads == tensors(c, {"RNV", "RD"}));
    REQUIRE(e.body->op == Op::div);
    const Expr& rd = *e.body->args[1];
    REQUIRE(rd.kind == Expr::Kind::access);
    CHECK(rd.args[2]->kind == Expr::Kind::size);
    CHECK(rd.args[2]->id == rank(c, "M1"));
  }
}

TEST_CASE("accumulator types default from the storage type", "[parser]") {
  const Cascade c = parse_cascade(R"(rank P
input A[p] : bf16
input B[p] : fp16
input C[p] : fp32
input D[p] : fp64
input I[p] : i32
input W[p] : bf16 acc fp64
output S[p] : fp32
S[p] = A[p] + B[p] + C[p] + D[p] + I[p] + W[p]
)");
  struct Want {
    const char* name;
    DType dtype, acc;
  };
  for (const Want& w : {Want{"A", DType::bf16, DType::fp32}, Want{"B", DType::fp16, DType::fp32},
                        Want{"C", DType::fp32, DType::fp32}, Want{"D", DType::fp64, DType::fp64},
                        Want{"I", DType::i32, DType::i32}, Want{"W", DType::bf16, DType::fp64}}) {
    INFO(w.name);
    const Tensor& t = c.tensors[idx(tensor(c, w.name))];
    CHECK(t.dtype == w.dtype);
    CHECK(t.acc == w.acc);
  }
}

TEST_CASE("'default' and 'tensor' statements type intermediates", "[parser]") {
  const Cascade c = parse_cascade(R"(default bf16 acc fp32
rank P, M
input X[m,p] : fp32
output S[p] : fp32 default -inf
tensor T : fp16 acc fp32 default 2.5
T[m,p] = X[m,p] * 2
U[m,p] = T[m,p] + 1
S[p] = max(m) U[m,p]
)");
  const Tensor& t = c.tensors[idx(tensor(c, "T"))];
  CHECK(t.dtype == DType::fp16);
  CHECK(t.acc == DType::fp32);
  CHECK(t.default_value == 2.5);
  const Tensor& u = c.tensors[idx(tensor(c, "U"))];  // from `default`
  CHECK(u.dtype == DType::bf16);
  CHECK(u.acc == DType::fp32);
  CHECK(u.default_value == 0.0);
  const Tensor& s = c.tensors[idx(tensor(c, "S"))];  // declared types win over `default`
  CHECK(s.dtype == DType::fp32);
  CHECK(std::isinf(s.default_value));
  CHECK(s.default_value < 0);
  // Inputs without a type take the default too.
  const Cascade d = parse_cascade("default fp16\nrank P\ninput X[p]\noutput S[p]\nS[p] = X[p]\n");
  CHECK(d.tensors[idx(tensor(d, "X"))].dtype == DType::fp16);
  CHECK(d.tensors[idx(tensor(d, "X"))].acc == DType::fp32);
}

TEST_CASE("reductions open the right side; max(a, b) elsewhere is a call", "[parser]") {
  const std::string decls = "rank E = 4, P, M\ninput X[m,p] : fp32\ninput Y[e,m] : fp32\n";
  auto only = [&](const std::string& out_decl, const std::string& einsum) {
    return parse_cascade(decls + out_decl + "\n" + einsum + "\n");
  };
  SECTION("max(m) X is a reduction") {
    const Cascade c = only("output S[p] : fp32", "S[p] = max(m) X[m,p]");
    const Einsum& e = c.einsums[0];
    CHECK(e.outer_op == ReduceOp::max);
    CHECK(e.outer_vars == ranks(c, {"M"}));
    CHECK(e.body->kind == Expr::Kind::access);
  }
  SECTION("min(m) over a parenthesized operand is a reduction") {
    const Cascade c = only("output S[p] : fp32", "S[p] = min(m) (X[m,p] + 1)");
    CHECK(c.einsums[0].outer_op == ReduceOp::min);
    CHECK(c.einsums[0].body->op == Op::add);
  }
  SECTION("sum(e, m) names several variables; the rest is reduced with + inside") {
    const Cascade c = only("output S[p] : fp32", "S[p] = sum(m) X[m,p] * Y[e,m]");
    CHECK(c.einsums[0].outer_op == ReduceOp::add);
    CHECK(c.einsums[0].outer_vars == ranks(c, {"M"}));
    CHECK(c.einsums[0].inner_vars == ranks(c, {"E"}));
    CHECK(c.einsums[0].iteration_vars == ranks(c, {"P", "M", "E"}));
    const Cascade d = only("output S[p] : fp32", "S[p] = max(m, e) X[m,p] * Y[e,m]");
    CHECK(d.einsums[0].outer_vars == ranks(d, {"M", "E"}));
    CHECK(d.einsums[0].inner_vars.empty());
  }
  SECTION("max(a, b) followed by an operator is a call") {
    const Cascade c = only("output S[m,p] : fp32", "S[m,p] = max(X[m,p], 0) * 2");
    const Einsum& e = c.einsums[0];
    CHECK_FALSE(e.is_reduction());
    REQUIRE(e.body->op == Op::mul);
    CHECK(e.body->args[0]->op == Op::max);
  }
  SECTION("max(a, b) alone, and before 'where', is a call") {
    const Cascade c = only("output S[m,p] : fp32", "S[m,p] = min(X[m,p], 0) where m < p");
    CHECK_FALSE(c.einsums[0].is_reduction());
    CHECK(c.einsums[0].body->op == Op::min);
    REQUIRE(c.einsums[0].where != nullptr);
    CHECK(c.einsums[0].where->op == Op::lt);
  }
  SECTION("max of two plain names is a call even though both are names") {
    const Cascade c = parse_cascade("rank P, M\nparam A = 1, B = 2\ninput X[m,p] : fp32\noutput S[m,p] : fp32\n"
                                    "S[m,p] = X[m, max(A, B)]\n");
    CHECK(c.einsums[0].body->args[1]->op == Op::max);
    CHECK(c.einsums[0].body->args[1]->type == ValueType::integer);
  }
  SECTION("a right-only variable in 'where' joins the iteration space") {
    const Cascade c = only("output S[p] : fp32", "S[p] = X[0,p] where m < p");
    CHECK(c.einsums[0].inner_vars == ranks(c, {"M"}));
    CHECK(c.einsums[0].iteration_vars == ranks(c, {"P", "M"}));
  }
}

TEST_CASE("populate operators", "[parser]") {
  const Cascade c = parse_cascade(R"(rank E = 4, P, M, J = 8
input X[m,p] : fp32
input V[e,m] : fp32
output O[e,j,p] : fp32
Sel[j,p] = topk(m -> j) X[m,p]
Idx[j,p] = filter(m -> j) X[m,p] > 0 and m <= p
O[e,j,p] = V[e, Sel[j,p]] + V[e, Idx[j,p]]
)");
  const Einsum& top = einsum_of(c, "Sel");
  CHECK(top.populate == Einsum::Populate::topk);
  CHECK(top.source_var == rank(c, "M"));
  CHECK(top.target_var == rank(c, "J"));
  CHECK(top.iteration_vars == ranks(c, {"P", "M"}));  // the target slot is not iterated
  CHECK(top.inner_vars.empty());
  // An intermediate written by a populate operator is i32.
  CHECK(c.tensors[idx(tensor(c, "Sel"))].dtype == DType::i32);
  CHECK(c.tensors[idx(tensor(c, "Sel"))].acc == DType::i32);
  const Einsum& filt = einsum_of(c, "Idx");
  CHECK(filt.populate == Einsum::Populate::filter);
  CHECK(filt.body->op == Op::logical_and);
  // Gathers through integer tensors are reads of both tensors, each listed once.
  const Einsum& o = einsum_of(c, "O");
  std::vector<TensorId> reads = o.reads;
  std::sort(reads.begin(), reads.end());
  std::vector<TensorId> want = tensors(c, {"V", "Sel", "Idx"});
  std::sort(want.begin(), want.end());
  CHECK(reads == want);
  CHECK(o.body->args[0]->args[1]->kind == Expr::Kind::access);
  CHECK(o.body->args[0]->args[1]->type == ValueType::integer);
}

TEST_CASE("'and', 'or' and 'not' are the same operators as '&&', '||' and '!'", "[parser]") {
  const std::string decls = "rank P, M\ninput X[m,p] : fp32\noutput S[m,p] : fp32\n";
  const Cascade words = parse_cascade(decls + "S[m,p] = X[m,p] where not m < p and m > 0 or p == 3\n");
  const Cascade symbols = parse_cascade(decls + "S[m,p] = X[m,p] where !m < p && m > 0 || p == 3\n");
  same_structure(words, symbols);
  // || binds loosest, then &&, then !, then the comparison.
  const Expr& w = *words.einsums[0].where;
  REQUIRE(w.op == Op::logical_or);
  REQUIRE(w.args[0]->op == Op::logical_and);
  REQUIRE(w.args[0]->args[0]->op == Op::logical_not);
  CHECK(w.args[0]->args[0]->args[0]->op == Op::lt);
  CHECK(w.args[1]->op == Op::eq);
  CHECK(w.type == ValueType::integer);
}

TEST_CASE("operator precedence and associativity", "[parser]") {
  const std::string decls = "rank P, M\nparam W = 2\ninput X[m,p] : fp32\noutput S[m,p] : fp32\n";
  const Cascade c = parse_cascade(decls + "S[m,p] = X[m,p] - 1 - 2 * 3 / W + X[m - p % W, p]\n");
  // ((X - 1) - ((2 * 3) / W)) + X[...]
  const Expr& b = *c.einsums[0].body;
  REQUIRE(b.op == Op::add);
  REQUIRE(b.args[0]->op == Op::sub);
  CHECK(b.args[0]->args[0]->op == Op::sub);
  REQUIRE(b.args[0]->args[1]->op == Op::div);
  CHECK(b.args[0]->args[1]->args[0]->op == Op::mul);
  CHECK(b.args[0]->args[1]->args[1]->kind == Expr::Kind::param);
  const Expr& idx_expr = *b.args[1]->args[0];  // m - p % W
  REQUIRE(idx_expr.op == Op::sub);
  CHECK(idx_expr.args[1]->op == Op::mod);
  // Unary minus folds into literals; on other operands it is neg.
  const Cascade d = parse_cascade(decls + "S[m,p] = -X[m,p] * -2.5 + --1\n");
  const Expr& e = *d.einsums[0].body;
  REQUIRE(e.op == Op::add);
  CHECK(e.args[0]->args[0]->op == Op::neg);
  CHECK(e.args[0]->args[1]->kind == Expr::Kind::number);
  CHECK(e.args[0]->args[1]->value == -2.5);
  CHECK(e.args[1]->kind == Expr::Kind::number);
  CHECK(e.args[1]->value == 1.0);
}

TEST_CASE("a '\\' at the end of a line continues the statement", "[parser]") {
  const std::string text =
      "rank E = 4, P, \\\n"
      "     M\n"
      "input X[m,p] : fp32\ninput Y[e,m] : fp32\n"
      "output S[p] : fp32\n"
      "S[p] = max(m) \\   # a comment may follow the backslash\n"
      "       X[m,p] * \\\n"
      "       Y[e,m]\n";
  const Cascade c = parse_cascade(text);
  REQUIRE(c.einsums.size() == 1);
  CHECK(c.einsums[0].outer_vars == ranks(c, {"M"}));
  CHECK(c.einsums[0].inner_vars == ranks(c, {"E"}));
  CHECK(c.ranks.size() == 3);
  // Locations on continued lines are those of the physical line.
  try {
    (void)parse_cascade(text.substr(0, text.size() - 7) + "Z[e,m]\n");
    FAIL("undefined tensor accepted");
  } catch (const CascadeError& e) {
    CHECK(e.loc().line == 8);
    CHECK(e.loc().col == 8);
    CHECK_THAT(e.message(), Catch::Contains("undefined tensor 'Z'"));
  }
}

TEST_CASE("comments, blank lines, CRLF and the cascade's name", "[parser]") {
  const std::string text = "# a cascade\r\n\r\nrank P, M   # ranks\r\ninput X[m,p] : fp32\r\n\r\n"
                           "output S[m,p] : fp32\r\nS[m,p] = X[m,p]\r\n";
  const Cascade c = parse_cascade(text, "workloads/attention/copy.ein");
  CHECK(c.name == "copy");  // no 'cascade' statement: the file name
  CHECK(c.einsums.size() == 1);
  CHECK(c.einsums[0].loc.line == 7);
  CHECK(c.source->name == "workloads/attention/copy.ein");
  CHECK(c.source->line_text(3) == "rank P, M   # ranks");
  // An output declared without slots takes them from its Einsum.
  const Cascade d = parse_cascade("rank P, M\ninput X[m,p] : fp32\noutput S : fp32\nS[p,m] = X[m,p]\n");
  CHECK(d.tensors[idx(tensor(d, "S"))].ranks == ranks(d, {"P", "M"}));
}

TEST_CASE("parse_cascade_file reads a file and reports a missing one", "[parser]") {
  const auto dir = std::filesystem::temp_directory_path();
  // A unique name: several builds may run their test suites at the same time.
  const std::string stem = "einfuse_test_parser_" + std::to_string(std::random_device{}());
  const auto path = dir / (stem + ".ein");
  {
    std::ofstream out(path);
    out << "rank P\ninput X[p] : fp32\noutput S[p] : fp32\nS[p] = X[p] * 2\n";
  }
  const Cascade c = parse_cascade_file(path.string());
  CHECK(c.name == stem);
  CHECK(c.einsums.size() == 1);
  std::filesystem::remove(path);
  try {
    (void)parse_cascade_file(path.string());
    FAIL("a missing file was read");
  } catch (const CascadeError& e) {
    CHECK_THAT(e.message(), Catch::Contains("cannot open cascade file"));
    CHECK(e.file() == path.string());
  }
}

TEST_CASE("to_string renders expressions that parse back to the same structure", "[parser]") {
  SECTION("the 1-pass cascade") { check_round_trip(kDecls1Pass, kEinsums1Pass); }
  SECTION("masks, gathers, functions and populate operators") {
    check_round_trip(R"(batch B = 2
rank E = 4, P, M, J = 2
split M -> M1, M0 by 4
param W = 3
let L = M - P
input Q[e,p] : bf16
input K[e,m] : bf16
output O[e,p] : fp32 acc fp64
)",
                     R"(S[m,p] = Q[e,p] * K[e,m] where m <= p + L && p - m < W || !(m % 2 == 0)
T[m,p] = select(S[m,p] == 0, -inf, S[m,p] * -0.5) where not (m > p) and (m / W) % 2 == p % 2
Sel[j,p] = topk(m -> j) T[m,p]
Idx[j,p] = filter(m -> j) T[m,p] > 0.125 or m == p
G[e,j,p] = K[e, clamp(Sel[j,p], 0, M - 1)] + K[e, Idx[j,p]] * recip(sqrt(abs(neg(Q[e,p]))))
H[e,p] = min(j) G[e,j,p] - (G[e,j,p] - 1) / (2 * (1 + G[e,j,p]))
Z[p] = sum(e) H[e,p] * 2
O[e,p] = max(H[e,p], exp(-H[e,p])) - -inf + Z[p]
)");
  }
  SECTION("iterative ranks and sizes in indices") {
    check_round_trip("rank P, M\nsplit M -> M1, M0 by 4\ninput X[m1,m0,p] : fp32\noutput R[p] : fp32\n",
                     "A[m1+1,p] = max(A[m1,p], X[m1,m0,p]) init -inf\n"
                     "C[m1+1,p] = C[m1,p] + X[m1,m0,p] - A[m1+1,p] init 0.5\n"
                     "R[p] = A[M1,p] / C[M1 - 1 + 1,p]\n");
  }
}

TEST_CASE("to_string keeps comparisons of comparisons and small numbers", "[parser]") {
  // Known problems of to_string (cascade.cpp): `(m < p) == (p < 3)` renders as
  // `m < p == (p < 3)`, which does not parse (comparisons do not chain), and 2.5e-10
  // renders as `0.` (std::to_string keeps 6 decimals).
  check_round_trip("rank P, M\ninput X[m,p] : fp32\noutput S[m,p] : fp32\n",
                   "S[m,p] = X[m,p] * 2.5e-10 where (m < p) == (p < 3)\n");
}

TEST_CASE("integer literals are exact 64-bit integers", "[parser]") {
  const std::string decls = "rank P, M\ninput X[m,p] : fp32\noutput S[m,p] : fp32\n";
  const std::string einsums =
      "S[m,p] = X[m,p] * 9223372036854775807 + X[m,p] * -9223372036854775808"
      " where m < 9007199254740993 - 9007199254740992\n";
  const Cascade c = parse_cascade(decls + einsums);
  const Einsum& e = c.einsums.at(0);
  // 2^63 - 1 and -2^63 round-trip through to_string; 2^53 + 1 is not rounded to 2^53.
  CHECK(to_string(c, *e.body) == "X[m,p] * 9223372036854775807 + X[m,p] * -9223372036854775808");
  CHECK(to_string(c, *e.where) == "m < 9007199254740993 - 9007199254740992");
  const Expr& big = *e.body->args[0]->args[1];
  REQUIRE(big.kind == Expr::Kind::number);
  CHECK(big.type == ValueType::integer);
  CHECK(big.integer == INT64_MAX);
  CHECK(e.body->args[1]->args[1]->integer == INT64_MIN);
  const Expr& odd = *e.where->args[1]->args[0];
  REQUIRE(odd.kind == Expr::Kind::number);
  CHECK(odd.integer == 9007199254740993);
  CHECK(odd.value == 9007199254740992.0);  // the double conversion, for real-valued uses
  check_round_trip(decls, einsums);

  SECTION("2^63 is too large unless negated once") {
    CHECK_THROWS_WITH(parse_cascade(decls + "S[m,p] = X[m,p] * 9223372036854775808\n"),
                      Catch::Contains("integer 9223372036854775808 is too large"));
    CHECK_THROWS_WITH(parse_cascade(decls + "S[m,p] = X[m,p] * --9223372036854775808\n"),
                      Catch::Contains("is too large"));
    CHECK_THROWS_WITH(parse_cascade(decls + "S[m,p] = X[m,p] * -9223372036854775809\n"),
                      Catch::Contains("integer 9223372036854775809 is too large"));
    CHECK_NOTHROW(parse_cascade(decls + "S[m,p] = X[m,p] * --9223372036854775807\n"));
  }
}

TEST_CASE("CascadeError::what() shows the line and a caret under the fault", "[parser]") {
  SECTION("a caret as long as the name") {
    try {
      (void)parse_cascade("rank E = 4, P, M\ninput Q[e,p] : fp32\ninput K[e,m] : fp32\noutput S[m,p] : fp32\n"
                          "S[m,p] = Q[e,p] * KK[e,m]\n",
                          "attn.ein");
      FAIL("undefined tensor accepted");
    } catch (const CascadeError& e) {
      CHECK(e.file() == "attn.ein");
      CHECK(std::string(e.what()) ==
            "attn.ein:5:19: error: undefined tensor 'KK'\n"
            " 5 | S[m,p] = Q[e,p] * KK[e,m]\n"
            "   |                   ^~\n"
            "expected: a tensor declared with 'input' or defined by an Einsum\n");
    }
  }
  SECTION("tabs are kept so the caret lines up; wide line numbers are aligned") {
    std::string text;
    for (int i = 0; i < 9; ++i) text += "# filler\n";
    text += "rank P, M\ninput X[m,p] : fp32\noutput S[m,p] : fp32\nS[m,p] =\tX[m,p] + Y\n";
    try {
      (void)parse_cascade(text);
      FAIL("undefined name accepted");
    } catch (const CascadeError& e) {
      CHECK(e.loc().line == 13);
      CHECK(e.loc().col == 19);
      CHECK(std::string(e.what()) ==
            "<string>:13:19: error: undefined name 'Y'\n"
            " 13 | S[m,p] =\tX[m,p] + Y\n"
            "    |         \t         ^\n"
            "expected: an index variable (p, m), a rank size, a parameter or a tensor\n");
    }
  }
  SECTION("a CRLF line is shown without its carriage return") {
    try {
      (void)parse_cascade("rank P\r\ninput X[p] : fp33\r\n");
      FAIL("unknown type accepted");
    } catch (const CascadeError& e) {
      CHECK(std::string(e.what()) ==
            "<string>:2:14: error: unknown type 'fp33'\n"
            " 2 | input X[p] : fp33\n"
            "   |              ^~~~\n"
            "expected: one of fp64, fp32, bf16, fp16, i32\n");
    }
  }
}
