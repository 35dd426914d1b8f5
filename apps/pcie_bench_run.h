// `iommusim pcie-bench CONFIG FILE... --out DIR`: reruns every row of
// pcie-bench result files in the simulator (one child `iommusim run` per row,
// workload `kind: pcie_bench`), and writes DIR/<file name> in pcie-bench's own
// format with the simulated values, and DIR/compare.json with the measured and
// simulated numbers of every row. See docs/pcie-bench.md.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "pcie_bench_file.h"

namespace iommusim {

struct PcieBenchRunOptions {
  std::string config;              // platform preset (YAML with `platform:`)
  std::vector<std::string> files;  // pcie-bench result files
  std::string out;
  unsigned jobs = 1;
  std::vector<std::string> sets;   // --set key=value for every run
  std::string iommu = "off";       // off | 4k | 2m
  std::string device;              // "" = the preset's only endpoint
  std::uint64_t lat_samples = 20000;
  std::uint64_t bw_transactions = 100000;
  std::uint64_t base = 0x1'0000'0000;  // IOVA (= PA) of the buffer
  bool progress = false;
  std::string binary;              // the iommusim executable
};

// Why the model cannot run `row`, or "" when it can.
std::string pcie_bench_skip_reason(const BenchRow& row);

// The complete run configuration (YAML text) for one row: the preset with
// host.driver for the IOMMU mode and the row's workload.
std::string pcie_bench_run_config(const std::string& preset_yaml_text, const std::string& preset_dir,
                                  const PcieBenchRunOptions& o, const std::string& device, const BenchRow& row);

// Exit code 0 when every row ran (or was skipped with a reason), 1 otherwise.
int run_pcie_bench(const PcieBenchRunOptions& o, std::ostream& out, std::ostream& err);

}  // namespace iommusim
