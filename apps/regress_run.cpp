#include "regress_run.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "common/error.h"
#include "process_pool.h"

namespace fs = std::filesystem;

namespace iommusim {

std::vector<std::string> case_run_args(const RegressCase& c, const std::string& out_dir) {
  std::vector<std::string> a = {"run"};
  if (!c.config.empty()) a.push_back(c.config);
  if (!c.trace.empty()) {
    a.push_back("--trace");
    a.push_back(c.trace);
  }
  for (const std::string& s : c.sets) {
    a.push_back("--set");
    a.push_back(s);
  }
  a.push_back("--out");
  a.push_back(out_dir);
  return a;
}

int run_regress(const RegressSuite& suite, const RegressOptions& o, std::ostream& out, std::ostream& err) {
  std::vector<const RegressCase*> cases;
  for (const std::string& name : o.only) {
    const RegressCase* found = nullptr;
    for (const RegressCase& c : suite.cases)
      if (c.name == name) found = &c;
    if (!found) throw InputError(fmt::format("{}: no case '{}'", suite.dir, name));
  }
  for (const RegressCase& c : suite.cases)
    if (o.only.empty() || std::find(o.only.begin(), o.only.end(), c.name) != o.only.end()) cases.push_back(&c);

  std::error_code ec;
  std::vector<ChildJob> jobs;
  for (const RegressCase* c : cases) {
    const fs::path dir = fs::path(o.out) / c->name;
    fs::create_directories(dir, ec);
    if (ec) throw InputError(fmt::format("{}: cannot create output folder: {}", dir.string(), ec.message()));
    ChildJob job;
    job.argv = {o.binary};
    const std::vector<std::string> args = case_run_args(*c, dir.string());
    job.argv.insert(job.argv.end(), args.begin(), args.end());
    job.stdout_file = (dir / "stdout.txt").string();
    job.stderr_file = (dir / "stderr.txt").string();
    jobs.push_back(std::move(job));
  }

  std::vector<ChildResult> results(cases.size());
  bool line_shown = false;
  run_jobs(
      jobs, o.jobs, [&](std::size_t i, const ChildResult& r) { results[i] = r; },
      [&](const PoolStatus& st) {
        if (!o.progress) return;
        err << fmt::format("\r\033[K[regress] {}/{} cases done, {} running", st.done, st.total, st.running)
            << std::flush;
        line_shown = true;
      });
  if (line_shown) err << "\r\033[K" << std::flush;

  out << fmt::format("iommusim regress{}: {}: {} cases\n", o.update ? " --update" : "", suite.dir, cases.size());
  std::vector<CaseChanges> moved;
  std::size_t n_failed = 0, n_moved = 0, n_updated = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const RegressCase& c = *cases[i];
    const fs::path dir = fs::path(o.out) / c.name;
    std::string failure;
    FlatStats now;
    if (!results[i].ok()) {
      failure = results[i].describe();
    } else {
      try {
        now = read_stats_file((dir / "stats.json").string());
      } catch (const InputError& e) {
        failure = e.what();
      }
    }
    if (!failure.empty()) {
      ++n_failed;
      out << fmt::format("  FAILED  {} ({}); last lines of {}:\n", c.name, failure, (dir / "stderr.txt").string());
      std::istringstream lines(file_tail((dir / "stderr.txt").string(), 10));
      for (std::string l; std::getline(lines, l);) out << "          | " << l << "\n";
      continue;
    }
    if (o.update) {
      FlatStats golden;
      const bool had = fs::exists(c.golden());
      if (had) {
        try {
          golden = read_golden(c.golden());
        } catch (const InputError&) {
          golden.clear();  // unreadable: rewritten below
        }
      }
      const std::vector<StatChange> d = diff_stats(golden, now);
      if (!had || !d.empty()) {
        write_file_atomic(c.golden(), golden_json(now));
        ++n_updated;
      }
      out << fmt::format("  {:<7} {}{}\n", !had ? "NEW" : d.empty() ? "same" : "UPDATED", c.name,
                         !had ? fmt::format(" ({} statistics)", now.size())
                              : d.empty() ? "" : fmt::format(" ({} statistics changed)", d.size()));
      if (had && !d.empty()) moved.push_back({c.name, d});
      continue;
    }
    FlatStats golden;
    try {
      golden = read_golden(c.golden());
    } catch (const InputError& e) {
      ++n_failed;
      out << fmt::format("  FAILED  {}: {}\n", c.name, e.what());
      continue;
    }
    std::vector<StatChange> ch = compare_stats(golden, now, suite.rules_for(c));
    if (ch.empty()) {
      out << fmt::format("  ok      {}\n", c.name);
    } else {
      ++n_moved;
      out << fmt::format("  MOVED   {} ({} statistics)\n", c.name, ch.size());
      moved.push_back({c.name, std::move(ch)});
    }
  }
  if (!moved.empty()) {
    out << (o.update ? "goldens rewritten; what changed:\n" : "statistics beyond tolerance:\n");
    out << changes_table(moved);
  }
  if (o.update)
    out << fmt::format("iommusim regress: {} goldens written, {} unchanged, {} cases failed to run\n", n_updated,
                       cases.size() - n_updated - n_failed, n_failed);
  else
    out << fmt::format("iommusim regress: {} passed, {} moved, {} failed\n", cases.size() - n_moved - n_failed,
                       n_moved, n_failed);
  return (n_failed > 0 || n_moved > 0) ? 1 : 0;
}

}  // namespace iommusim
