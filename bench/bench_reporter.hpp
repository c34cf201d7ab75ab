// The console reporter every benchmark here uses: it prints Google Benchmark's table and keeps,
// per benchmark function, its time per iteration and its counters, so main() can print the
// ratio to the benchmark's named peer or limit after the table (DESIGN.md, Habits).
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

namespace einfuse::bench {

class Reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration) continue;
      Result& x = results_[r.run_name.function_name];
      x.seconds = r.real_accumulated_time / static_cast<double>(r.iterations);
      x.cpu_seconds = r.cpu_accumulated_time / static_cast<double>(r.iterations);
      for (const auto& [name, counter] : r.counters) x.counters[name] = counter.value;
    }
  }
  /// Wall seconds per iteration of the benchmark function `name` (0 when it did not run).
  double seconds(const std::string& name) const { return find(name).seconds; }
  double cpu_seconds(const std::string& name) const { return find(name).cpu_seconds; }
  /// A counter's value as reported (rates already divided by time); 0 when absent.
  double counter(const std::string& name, const std::string& counter_name) const {
    const auto& c = find(name).counters;
    const auto it = c.find(counter_name);
    return it == c.end() ? 0 : it->second;
  }
  /// The benchmark functions that ran, in name order.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, r] : results_) out.push_back(name);
    return out;
  }

 private:
  struct Result {
    double seconds = 0, cpu_seconds = 0;
    std::map<std::string, double> counters;
  };
  const Result& find(const std::string& name) const {
    static const Result none;
    const auto it = results_.find(name);
    return it == results_.end() ? none : it->second;
  }
  std::map<std::string, Result> results_;
};

/// Google Benchmark's main with `reporter`: initialises from the command line and runs every
/// benchmark selected. False (and nothing run) on an argument it does not know.
inline bool run_benchmarks(int& argc, char** argv, Reporter& reporter) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return false;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return true;
}

}  // namespace einfuse::bench
