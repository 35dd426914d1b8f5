// `iommusim sweep`: runs the points of a sweep file as child processes
// (`iommusim run ... --out DIR/points/<point>`), skips points already done,
// reports failing points with the tail of their stderr, and writes
// results.csv and results.json (then plots and report.md through
// scripts/plot_sweep.py). See docs/sweeps.md.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweep_spec.h"

namespace iommusim {

struct SweepOptions {
  std::string out;          // output folder
  unsigned jobs = 1;        // points at once
  bool plots = true;        // run the plot script
  bool progress = false;    // progress line on stderr (a terminal)
  std::string binary;       // the iommusim executable run for each point
  std::string plot_script;  // scripts/plot_sweep.py
  std::string python = "/usr/bin/python3";
};

// Returns the exit code: 0 when every point succeeded and every statistic
// was found, 1 otherwise. Messages go to `out` (summary) and `err` (failures).
int run_sweep(const SweepSpec& spec, const SweepOptions& o, std::ostream& out, std::ostream& err);

// What a point's done marker holds: a hash of its run arguments and of the
// contents of its config and trace files, so a point whose inputs changed
// is run again.
std::string point_inputs_hash(const std::vector<std::string>& args, const std::string& config,
                              const std::string& trace);

// The results as written to results.csv and results.json (also the unit of
// each column). `rows` are in point order; a failed point has status "failed"
// and empty statistics.
struct SweepRow {
  std::string point, workload, status;
  std::vector<std::string> values;      // grid values
  std::vector<nlohmann::json> stats;    // one per SweepSpec::stats (null if absent)
};
std::string results_csv(const SweepSpec& s, const std::vector<SweepRow>& rows);
std::string results_json(const SweepSpec& s, const std::vector<SweepRow>& rows,
                         const std::vector<std::string>& units);

}  // namespace iommusim
