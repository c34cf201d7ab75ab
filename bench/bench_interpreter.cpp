// The golden interpreter's speed against its peer: softmax attention written directly
// with Eigen (QK^T GEMM, a row softmax, the AV GEMM), single-threaded on both sides.
// Workload: the FuseMax 1-pass cascade (workloads/attention/softmax_1pass.ein) at
// P = M = 4096, E = F = 64, B = H = 1, fp64. Target: the interpreter within 3x of Eigen.
// The ratio is printed after the table.
#include <benchmark/benchmark.h>

#include "bench_reporter.hpp"

#include <Eigen/Dense>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>

#include "einfuse/einsum/interpreter.hpp"
#include "einfuse/einsum/parser.hpp"

namespace {

using namespace einfuse::einsum;

constexpr std::int64_t kP = 4096, kM = 4096;

struct Problem {
  Cascade cascade;
  BoundShape shape;
  TensorMap inputs;
};

const Problem& problem() {
  static const Problem p = [] {
    Problem q{parse_cascade_file(EINFUSE_SOURCE_DIR "/workloads/attention/softmax_1pass.ein"), {}, {}};
    q.shape = bind_shape(q.cascade, {{"P", kP}, {"M", kM}});
    q.inputs = random_inputs(q.cascade, q.shape, 42);
    return q;
  }();
  return p;
}

void BM_Interpreter1Pass(benchmark::State& state) {
  const Problem& p = problem();
  for (auto _ : state) {
    TensorMap out = interpret(p.cascade, p.shape, p.inputs);
    benchmark::DoNotOptimize(out.at("AV").data.data());
  }
}

// The same attention as a person would write it with Eigen: column p of S holds query p's
// scores, softmax per column (max-subtracted), then AV = V * softmax(S).
void BM_EigenSoftmaxAttention(benchmark::State& state) {
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Problem& p = problem();
  Eigen::Map<const RowMajor> Q(p.inputs.at("Q").data.data(), 64, kP);
  Eigen::Map<const RowMajor> K(p.inputs.at("K").data.data(), 64, kM);
  Eigen::Map<const RowMajor> V(p.inputs.at("V").data.data(), 64, kM);
  Eigen::MatrixXd S(kM, kP);
  RowMajor AV(64, kP);
  for (auto _ : state) {
    S.noalias() = K.transpose() * Q;
    for (Eigen::Index c = 0; c < kP; ++c) {
      auto col = S.col(c);
      col = (col.array() - col.maxCoeff()).exp().matrix();
      col /= col.sum();
    }
    AV.noalias() = V * S;
    benchmark::DoNotOptimize(AV.data());
  }
}

BENCHMARK(BM_Interpreter1Pass)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_EigenSoftmaxAttention)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

int main(int argc, char** argv) {
  Eigen::setNbThreads(1);
  einfuse::bench::Reporter reporter;
  if (!einfuse::bench::run_benchmarks(argc, argv, reporter)) return 1;
  const double interp = reporter.seconds("BM_Interpreter1Pass"), eigen = reporter.seconds("BM_EigenSoftmaxAttention");
  if (interp > 0 && eigen > 0) {
    std::printf("\ninterpreter (softmax_1pass, P=M=%lld, fp64) / Eigen softmax attention: %.2fx (target <= 3x)\n",
                static_cast<long long>(kP), interp / eigen);
  }
  return 0;
}
