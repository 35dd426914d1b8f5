#include "sweep_run.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "common/config.h"
#include "common/error.h"
#include "process_pool.h"
#include "stats_file.h"

namespace fs = std::filesystem;

namespace iommusim {

namespace {

constexpr const char* kDoneFile = "done.json";

std::uint64_t fnv1a(std::uint64_t h, const std::string& s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A grid value as JSON: numbers and booleans as such, other text as a string.
nlohmann::ordered_json scalar_json(const std::string& v) {
  if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos) {
    if (auto n = parse_config_u64(v)) return *n;
  }
  if (v == "true") return true;
  if (v == "false") return false;
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (!v.empty() && end && *end == '\0' && std::isfinite(d) && v.find_first_of("xX") == std::string::npos)
    return d;
  return v;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string clock_text(double s) {
  if (!(s >= 0)) return "?";
  const long t = std::lround(s);
  return t >= 3600 ? fmt::format("{}:{:02}:{:02}", t / 3600, (t / 60) % 60, t % 60)
                   : fmt::format("{}:{:02}", t / 60, t % 60);
}

}  // namespace

std::string point_inputs_hash(const std::vector<std::string>& args, const std::string& config,
                              const std::string& trace) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  h = fnv1a(h, std::string("iommusim ") + IOMMUSIM_VERSION);
  for (const std::string& a : args) h = fnv1a(h, a + '\0');
  h = fnv1a(h, config.empty() ? "" : file_text(config));
  h = fnv1a(h, std::string(1, '\0'));
  h = fnv1a(h, trace.empty() ? "" : file_text(trace));
  return fmt::format("{:016x}", h);
}

std::string results_csv(const SweepSpec& s, const std::vector<SweepRow>& rows) {
  std::string out = "point,workload";
  for (const SweepParameter& p : s.grid) out += "," + csv_field(p.path);
  out += ",status";
  for (const SweepStat& st : s.stats) out += "," + csv_field(st.column);
  out += "\n";
  for (const SweepRow& r : rows) {
    out += csv_field(r.point) + "," + csv_field(r.workload);
    for (const std::string& v : r.values) out += "," + csv_field(v);
    out += "," + r.status;
    for (const nlohmann::json& v : r.stats) out += "," + csv_field(format_stat_value(v));
    out += "\n";
  }
  return out;
}

std::string results_json(const SweepSpec& s, const std::vector<SweepRow>& rows,
                         const std::vector<std::string>& units) {
  nlohmann::ordered_json j;
  j["sweep"] = s.file;
  j["parameters"] = nlohmann::ordered_json::array();
  for (const SweepParameter& p : s.grid) {
    nlohmann::ordered_json values = nlohmann::ordered_json::array();
    for (const std::string& v : p.values) values.push_back(scalar_json(v));
    j["parameters"].push_back({{"path", p.path}, {"values", values}});
  }
  j["workloads"] = nlohmann::ordered_json::array();
  for (const SweepWorkload& w : s.workloads) j["workloads"].push_back(w.name);
  j["stats"] = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < s.stats.size(); ++i)
    j["stats"].push_back({{"column", s.stats[i].column}, {"stat", s.stats[i].stat},
                          {"unit", i < units.size() ? units[i] : ""}});
  j["plots"] = {{"x", s.plots.x}, {"lines", s.plots.lines}, {"heatmaps", s.plots.heatmaps}};
  j["points"] = nlohmann::ordered_json::array();
  for (const SweepRow& r : rows) {
    nlohmann::ordered_json p;
    p["point"] = r.point;
    p["workload"] = r.workload;
    p["parameters"] = nlohmann::ordered_json::object();
    for (std::size_t g = 0; g < s.grid.size() && g < r.values.size(); ++g)
      p["parameters"][s.grid[g].path] = scalar_json(r.values[g]);
    p["status"] = r.status;
    p["stats"] = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < s.stats.size() && i < r.stats.size(); ++i) p["stats"][s.stats[i].column] = nlohmann::ordered_json(r.stats[i]);
    j["points"].push_back(p);
  }
  return j.dump(2) + "\n";
}

int run_sweep(const SweepSpec& spec, const SweepOptions& o, std::ostream& out, std::ostream& err) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<SweepPoint> points = expand_points(spec);
  const fs::path root = o.out;
  std::error_code ec;
  fs::create_directories(root / "points", ec);
  if (ec) throw InputError(fmt::format("{}: cannot create output folder: {}", root.string(), ec.message()));

  // Which points need running.
  std::vector<ChildJob> jobs;
  std::vector<std::size_t> job_point;
  std::vector<std::string> hashes(points.size());
  std::size_t skipped = 0;
  for (const SweepPoint& p : points) {
    const fs::path dir = root / "points" / p.id;
    const std::vector<std::string> args = point_run_args(spec, p, dir.string());
    const SweepWorkload& w = spec.workloads[p.workload];
    hashes[p.index] = point_inputs_hash(args, w.config, w.trace);
    const fs::path done = dir / kDoneFile;
    if (fs::exists(done) && fs::exists(dir / "stats.json")) {
      try {
        const auto j = nlohmann::json::parse(file_text(done.string()));
        if (j.value("inputs", "") == hashes[p.index]) {
          ++skipped;
          continue;
        }
      } catch (const nlohmann::json::exception&) {
      }
    }
    fs::create_directories(dir, ec);
    if (ec) throw InputError(fmt::format("{}: cannot create: {}", dir.string(), ec.message()));
    fs::remove(done, ec);
    ChildJob job;
    job.argv = {o.binary};
    job.argv.insert(job.argv.end(), args.begin(), args.end());
    job.stdout_file = (dir / "stdout.txt").string();
    job.stderr_file = (dir / "stderr.txt").string();
    jobs.push_back(std::move(job));
    job_point.push_back(p.index);
  }

  std::vector<std::string> failure(points.size());
  bool line_shown = false;
  const auto clear_line = [&] {
    if (line_shown) err << "\r\033[K" << std::flush;
    line_shown = false;
  };
  const auto on_done = [&](std::size_t i, const ChildResult& r) {
    const SweepPoint& p = points[job_point[i]];
    const fs::path dir = root / "points" / p.id;
    std::string why;
    if (!r.ok()) why = r.describe();
    else if (!fs::exists(dir / "stats.json")) why = "exit code 0 but no stats.json";
    if (why.empty()) {
      nlohmann::ordered_json d{{"inputs", hashes[p.index]}, {"seconds", std::round(r.seconds * 1000) / 1000}};
      write_file_atomic((dir / kDoneFile).string(), d.dump(2) + "\n");
      return;
    }
    failure[p.index] = why;
    clear_line();
    err << fmt::format("iommusim sweep: point {} failed ({}); last lines of {}:\n", p.id, why,
                       (dir / "stderr.txt").string());
    std::string tail = file_tail((dir / "stderr.txt").string(), 10);
    if (tail.empty()) tail = "(empty)\n";
    std::istringstream lines(tail);
    for (std::string l; std::getline(lines, l);) err << "  | " << l << "\n";
    err << std::flush;
  };
  const auto on_tick = [&](const PoolStatus& st) {
    if (!o.progress) return;
    const double eta = st.done == 0 ? -1 : st.elapsed / double(st.done) * double(st.total - st.done);
    err << fmt::format("\r\033[K[sweep] {}/{} points done{}, {} running, {} failed, {} elapsed, ETA {}",
                       st.done + skipped, points.size(), skipped ? fmt::format(" ({} already)", skipped) : "",
                       st.running, st.failed, clock_text(st.elapsed), st.done == st.total ? "0:00" : clock_text(eta))
        << std::flush;
    line_shown = true;
  };
  run_jobs(jobs, o.jobs, on_done, on_tick);
  clear_line();

  // Collect the results in point order.
  std::vector<SweepRow> rows;
  std::vector<std::string> units(spec.stats.size());
  std::size_t failed = 0;
  std::vector<std::string> missing;
  double point_seconds = 0;  // the points' own run times, from their done markers
  for (const SweepPoint& p : points) {
    SweepRow r;
    r.point = p.id;
    r.workload = spec.workloads[p.workload].name;
    r.values = p.values;
    r.stats.assign(spec.stats.size(), nullptr);
    const fs::path dir = root / "points" / p.id;
    if (!failure[p.index].empty()) {
      r.status = "failed";
      ++failed;
    } else {
      r.status = "ok";
      try {
        point_seconds += nlohmann::json::parse(file_text((dir / kDoneFile).string())).value("seconds", 0.0);
      } catch (const nlohmann::json::exception&) {
      }
      FlatStats st;
      try {
        st = read_stats_file((dir / "stats.json").string());
      } catch (const InputError& e) {
        r.status = "failed";
        ++failed;
        err << fmt::format("iommusim sweep: point {}: {}\n", p.id, e.what());
      }
      for (std::size_t i = 0; i < spec.stats.size() && r.status == "ok"; ++i) {
        const auto v = find_stat(st, spec.stats[i].stat);
        if (!v) {
          const std::string m = fmt::format("{} (stats.{})", spec.stats[i].stat, spec.stats[i].column);
          if (std::find(missing.begin(), missing.end(), m) == missing.end()) missing.push_back(m);
          continue;
        }
        r.stats[i] = v->value;
        if (units[i].empty()) units[i] = v->unit;
      }
    }
    rows.push_back(std::move(r));
  }
  for (const std::string& m : missing)
    err << fmt::format("iommusim sweep: {}: statistic {} is not in the points' stats.json\n", spec.file, m);

  write_file_atomic((root / "results.csv").string(), results_csv(spec, rows));
  write_file_atomic((root / "results.json").string(), results_json(spec, rows, units));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  bool plotted = false;
  if (o.plots) {
    ChildJob job;
    job.argv = {o.python, o.plot_script, root.string(), "--wall-seconds", fmt::format("{:.1f}", wall),
                "--points-run", std::to_string(jobs.size()), "--jobs", std::to_string(o.jobs),
                "--points-seconds", fmt::format("{:.1f}", point_seconds)};
    job.stdout_file = (root / "plot.log").string();
    job.stderr_file = (root / "plot.log").string();
    ChildResult pr;
    run_jobs({job}, 1, [&](std::size_t, const ChildResult& r) { pr = r; });
    if (pr.ok()) {
      plotted = true;
    } else {
      err << fmt::format("iommusim sweep: warning: plots and report.md not made ({} {}: {}); see {}\n", o.python,
                         o.plot_script, pr.describe(), (root / "plot.log").string());
      const std::string tail = file_tail((root / "plot.log").string(), 5);
      std::istringstream lines(tail);
      for (std::string l; std::getline(lines, l);) err << "  | " << l << "\n";
    }
  }

  out << fmt::format("iommusim sweep: {}: {} points ({} run, {} already done), {} failed, {:.1f} s\n", spec.file,
                     points.size(), jobs.size(), skipped, failed, wall);
  out << fmt::format("  results  {}/results.csv, {}/results.json{}\n", root.string(), root.string(),
                     plotted ? fmt::format(", {}/report.md", root.string()) : "");
  return failed > 0 || !missing.empty() ? 1 : 0;
}

}  // namespace iommusim
