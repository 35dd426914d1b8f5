// `iommusim regress SUITE_DIR`: runs every case of a suite as a child
// process (`iommusim run ... --out OUT/<case>`), compares each run's
// statistics with the case's golden.json under the tolerances, prints a table
// of what moved, and with --update rewrites the goldens and prints what
// changed. See docs/sweeps.md.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include "regress_suite.h"

namespace iommusim {

struct RegressOptions {
  std::string out;                 // outputs of the runs, one folder per case
  unsigned jobs = 1;
  bool update = false;
  bool progress = false;           // progress line on stderr (a terminal)
  std::string binary;              // the iommusim executable
  std::vector<std::string> only;   // run these cases only (empty: all)
};

// The exit code: 0 when every case ran and nothing moved beyond tolerance
// (with --update: when every case ran), 1 otherwise.
int run_regress(const RegressSuite& suite, const RegressOptions& o, std::ostream& out, std::ostream& err);

// The `iommusim run` arguments of a case (after the program name).
std::vector<std::string> case_run_args(const RegressCase& c, const std::string& out_dir);

}  // namespace iommusim
