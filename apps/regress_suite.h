// A regression suite of `iommusim regress` (docs/sweeps.md): a folder of
// cases, each a subfolder with case.yaml (a configuration and/or a trace and
// overrides), its golden statistics (golden.json) and optionally its own
// tolerances; suite.yaml beside them holds the suite's tolerances. This file
// is the plain logic: reading and validating those files, choosing a
// statistic's tolerance, and comparing a run's statistics with the golden
// ones.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "stats_file.h"

namespace iommusim {

// How far a statistic may move. Rules are tried in order; the first whose
// `stats` glob (fnmatch, on the flattened name such as
// system.dma_latency::mean) and `unit` (if given) match decides.
struct Tolerance {
  enum class Kind { Exact, Relative, Absolute, Ignore } kind = Kind::Exact;
  double amount = 0;     // relative: fraction of |golden|; absolute: in the stat's unit
  std::string stats = "*";
  std::string unit;      // "" = any
  std::string origin;    // "suite.yaml:4", "built-in" (for the report)

  bool matches(const std::string& name, const std::string& stat_unit) const;
  bool within(const nlohmann::json& golden, const nlohmann::json& now) const;
  std::string describe() const;  // "exact", "rel 0.1%", "abs 5", "ignored"
};

// The built-in rules after a suite's and a case's: exact for counts,
// relative 1e-9 for timings and rates (units Tick, Second, .../Second,
// Nanosecond) so that only printing noise passes.
std::vector<Tolerance> builtin_tolerances();

struct RegressCase {
  std::string name;    // folder name
  std::string dir;     // the case folder
  std::string config;  // resolved paths ("" = none)
  std::string trace;
  std::vector<std::string> sets;
  std::string description;
  std::vector<Tolerance> tolerances;  // the case's own
  std::string golden() const { return dir + "/golden.json"; }
};

struct RegressSuite {
  std::string dir;
  std::string description;
  std::vector<Tolerance> tolerances;  // suite.yaml's
  std::vector<RegressCase> cases;     // sorted by name

  // Reads SUITE_DIR/suite.yaml (optional) and every SUITE_DIR/*/case.yaml.
  // Throws InputError for a missing folder, a suite without cases, and any
  // bad file ("FILE:LINE: KEY.PATH: problem").
  static RegressSuite load(const std::string& dir);
  // The rules for one case: its own, the suite's, the built-in ones.
  std::vector<Tolerance> rules_for(const RegressCase& c) const;
};

struct StatChange {
  enum class Kind { Moved, Appeared, Disappeared } kind = Kind::Moved;
  std::string stat;
  std::optional<StatValue> golden, now;
  std::string tolerance;  // the rule's describe() and origin
};

// What moved beyond tolerance, appeared or disappeared, in name order.
std::vector<StatChange> compare_stats(const FlatStats& golden, const FlatStats& now,
                                      const std::vector<Tolerance>& rules);

// Every difference at all (for --update's report), in name order.
std::vector<StatChange> diff_stats(const FlatStats& golden, const FlatStats& now);

// golden.json text: {"stats": {name: value}, "units": {name: unit}}, names
// flattened and sorted, two-space indentation.
std::string golden_json(const FlatStats& s);
// Reads golden.json; throws InputError.
FlatStats read_golden(const std::string& path);

// The table of changes: case, statistic, golden, new, delta, tolerance.
struct CaseChanges {
  std::string case_name;
  std::vector<StatChange> changes;
};
std::string changes_table(const std::vector<CaseChanges>& cases);

}  // namespace iommusim
