// The sweep file of `iommusim sweep` (docs/sweeps.md): a base configuration,
// a grid of `--set` paths and their values, a list of workloads (each a
// configuration and/or trace with its own overrides), the statistics to
// collect and the plots to draw. Read and validated like a configuration
// (unknown keys, wrong types: "FILE:LINE: KEY.PATH: problem"), and expanded
// into points: every combination of grid values, for every workload.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace iommusim {

struct SweepParameter {
  std::string path;                 // a --set key path, e.g. iommu0.iotlb.entries
  std::vector<std::string> values;  // YAML scalars, passed as --set path=value
};

struct SweepWorkload {
  std::string name;
  std::string config;  // resolved against the sweep file's folder ("" = none)
  std::string trace;
  std::vector<std::string> sets;  // key=value
};

struct SweepStat {
  std::string column;  // column name in the results
  std::string stat;    // statistic, `name` or `name::field` for histograms
};

struct SweepPlots {
  std::string x;                      // a grid parameter (default: the first)
  std::vector<std::string> lines;     // stat columns drawn against x (default: all)
  std::vector<std::string> heatmaps;  // stat columns drawn as heat maps (2-parameter grids)
};

struct SweepSpec {
  std::string file;
  std::vector<std::string> sets;  // applied to every point, before the workload's
  std::vector<SweepParameter> grid;
  std::vector<SweepWorkload> workloads;
  std::vector<SweepStat> stats;
  SweepPlots plots;

  static SweepSpec from_file(const std::string& path);
  static SweepSpec from_string(const std::string& text, const std::string& name, const std::string& base_dir);
};

struct SweepPoint {
  std::size_t index = 0;              // position in expand()'s order
  std::size_t workload = 0;           // index into SweepSpec::workloads
  std::vector<std::string> values;    // one per grid parameter
  std::string id;                     // folder name: workload/param=value,...
};

// Workload-major, then the grid in odometer order (the last parameter fastest).
std::vector<SweepPoint> expand_points(const SweepSpec& s);

// The `iommusim run` arguments of a point (after the program name), with the
// output folder `out_dir`.
std::vector<std::string> point_run_args(const SweepSpec& s, const SweepPoint& p, const std::string& out_dir);

}  // namespace iommusim
