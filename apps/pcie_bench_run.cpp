#include "pcie_bench_run.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "common/error.h"
#include "process_pool.h"
#include "stats_file.h"

namespace fs = std::filesystem;

namespace iommusim {

namespace {

std::string read_text(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open the {}", path, what));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The preset's only endpoint, or `wanted` if the preset has it.
std::string pick_device(const YAML::Node& root, const std::string& path, const std::string& wanted) {
  std::vector<std::string> names;
  const YAML::Node eps = root["platform"]["endpoints"];
  if (eps && eps.IsSequence())
    for (const YAML::Node& e : eps)
      if (e.IsMap() && e["name"]) names.push_back(e["name"].as<std::string>());
  if (!wanted.empty()) {
    for (const std::string& n : names)
      if (n == wanted) return n;
    throw InputError(fmt::format("{}: --device {}: the preset has no endpoint of that name (it has {})", path, wanted,
                                 names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
  }
  if (names.size() != 1)
    throw InputError(fmt::format("{}: platform.endpoints: expected exactly one endpoint (the benchmark's device), got "
                                 "{}; name one with --device",
                                 path, names.size()));
  return names[0];
}

std::string clock_text(double s) {
  const long t = std::lround(s);
  return fmt::format("{}:{:02}", t / 60, t % 60);
}

struct Job {
  std::size_t file, line;  // index in files, index in the file's lines
  fs::path dir;
};

double stat_or_nan(const FlatStats& st, const std::string& name) {
  const auto v = find_stat(st, name);
  if (!v || !v->value.is_number()) return NAN;
  return v->value.get<double>();
}

nlohmann::json num(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }

}  // namespace

std::string pcie_bench_skip_reason(const BenchRow& row) {
  if (row.dof != 0)
    return fmt::format("DO (device offset) {} is not modelled: the model has no device memory, only DO 0 runs",
                       row.dof);
  if (row.ho > 63) return fmt::format("HO {} is beyond a cache line (0..63 supported)", row.ho);
  if (row.size + row.ho > 4096) return fmt::format("SZ + HO = {} exceeds 4096 bytes (pcie-bench's limit)", row.size + row.ho);
  if (row.size + row.ho > row.window) return fmt::format("SZ + HO = {} exceeds the window", row.size + row.ho);
  return "";
}

std::string pcie_bench_run_config(const std::string& preset_text, const std::string& preset_dir,
                                  const PcieBenchRunOptions& o, const std::string& device, const BenchRow& row) {
  YAML::Node root = YAML::Load(preset_text);
  // Relative paths in the preset name files beside it.
  const auto absolutize = [&](YAML::Node parent, const char* key) {
    if (!parent || !parent.IsMap() || !parent[key] || !parent[key].IsScalar()) return;
    const std::string p = parent[key].as<std::string>();
    if (!p.empty() && p[0] != '/') parent[key] = fs::absolute(fs::path(preset_dir) / p).lexically_normal().string();
  };
  absolutize(root["platform"], "dmar");
  absolutize(root["platform"], "dmar_boot_log");
  absolutize(root["simulation"], "trace");

  YAML::Node driver;
  if (o.iommu == "off") {
    driver["enabled"] = false;
  } else {
    driver["superpages"] = o.iommu == "2m";
    // An unmanaged (VFIO-style) domain identity-maps the window plus a slack,
    // rounded up to 2 MiB so that superpages can cover it (reach-on-*.yaml).
    const std::uint64_t two_mb = 2ull << 20;
    const std::uint64_t size = (row.window + 4096 + two_mb - 1) / two_mb * two_mb;
    YAML::Node map;
    map["iova"] = fmt::format("{:#x}", o.base);
    map["pa"] = fmt::format("{:#x}", o.base);
    map["size"] = size;
    map["perm"] = "rw";
    YAML::Node dev;
    dev["device"] = device;
    dev["domain"] = "unmanaged";
    dev["maps"].push_back(map);
    driver["devices"].push_back(dev);
  }
  root["host"]["driver"] = driver;

  YAML::Node w;
  w["device"] = device;
  w["kind"] = "pcie_bench";
  w["test"] = row.test;
  w["pattern"] = row.pattern;
  w["size"] = row.size;
  w["window"] = row.window;
  w["base"] = fmt::format("{:#x}", o.base);
  w["host_offset"] = row.ho;
  w["device_offset"] = row.dof;
  w["cache"] = row.cache;
  const bool lat = row.test.rfind("LAT_", 0) == 0;
  w["count"] = lat ? o.lat_samples : o.bw_transactions;
  YAML::Node ws(YAML::NodeType::Sequence);
  ws.push_back(w);
  root["workloads"] = ws;
  YAML::Emitter e;
  e << root;
  return std::string("# iommusim pcie-bench: ") + row.test + " " + row.pattern + " " + row.cache + " HO " +
         std::to_string(row.ho) + " window " + std::to_string(row.window) + " size " + std::to_string(row.size) +
         "\n" + e.c_str() + "\n";
}

int run_pcie_bench(const PcieBenchRunOptions& o, std::ostream& out, std::ostream& err) {
  if (o.iommu != "off" && o.iommu != "4k" && o.iommu != "2m")
    throw InputError(fmt::format("--iommu '{}': expected off, 4k or 2m", o.iommu));
  const std::string preset_text = read_text(o.config, "platform preset");
  YAML::Node preset;
  try {
    preset = YAML::Load(preset_text);
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{}:{}: {}", o.config, e.mark.line + 1, e.msg));
  }
  if (!preset.IsMap() || !preset["platform"] || !preset["platform"].IsMap())
    throw InputError(fmt::format("{}: expected a platform preset (a YAML map with a 'platform:' map)", o.config));
  const std::string device = pick_device(preset, o.config, o.device);
  const std::string preset_dir = fs::path(o.config).parent_path().string().empty()
                                     ? std::string(".")
                                     : fs::path(o.config).parent_path().string();

  // Every input is read before anything runs.
  std::vector<BenchFile> files;
  for (const std::string& f : o.files) files.push_back(read_bench_file(f));
  std::vector<std::string> names;
  for (const std::string& f : o.files) {
    const std::string n = fs::path(f).filename().string();
    if (std::find(names.begin(), names.end(), n) != names.end())
      throw InputError(fmt::format("{}: two input files are named {}: their outputs would collide", f, n));
    names.push_back(n);
  }

  const fs::path root(o.out);
  std::error_code ec;
  fs::create_directories(root / "runs", ec);
  if (ec) throw InputError(fmt::format("{}: cannot create the output folder: {}", o.out, ec.message()));

  std::vector<Job> jobs_info;
  std::vector<ChildJob> jobs;
  std::map<std::pair<std::size_t, std::size_t>, std::string> skipped;
  for (std::size_t fi = 0; fi < files.size(); ++fi) {
    const std::string stem = fs::path(names[fi]).stem().string();
    for (std::size_t li = 0; li < files[fi].lines.size(); ++li) {
      const auto& row = files[fi].lines[li];
      if (!row) continue;
      const std::string why = pcie_bench_skip_reason(*row);
      if (!why.empty()) {
        skipped[{fi, li}] = why;
        continue;
      }
      const fs::path dir = root / "runs" / stem / fmt::format("line{:04}", row->line);
      fs::create_directories(dir, ec);
      const fs::path cfg = dir.string() + ".yaml";
      write_file_atomic(cfg.string(), pcie_bench_run_config(preset_text, preset_dir, o, device, *row));
      ChildJob j;
      j.argv = {o.binary, "run", cfg.string(), "--out", dir.string()};
      for (const std::string& s : o.sets) {
        j.argv.push_back("--set");
        j.argv.push_back(s);
      }
      j.stdout_file = (dir / "stdout.txt").string();
      j.stderr_file = (dir / "stderr.txt").string();
      jobs.push_back(std::move(j));
      jobs_info.push_back({fi, li, dir});
    }
  }

  std::vector<std::string> failure(jobs.size());
  bool line_shown = false;
  const auto clear_line = [&] {
    if (line_shown) err << "\r\033[K" << std::flush;
    line_shown = false;
  };
  const auto on_done = [&](std::size_t i, const ChildResult& r) {
    if (r.ok()) return;
    failure[i] = r.describe();
    clear_line();
    const Job& j = jobs_info[i];
    err << fmt::format("iommusim pcie-bench: {}:{} failed ({}); last lines of {}:\n", o.files[j.file],
                       files[j.file].lines[j.line]->line, failure[i], (j.dir / "stderr.txt").string());
    std::string tail = file_tail((j.dir / "stderr.txt").string(), 10);
    if (tail.empty()) tail = "(empty)\n";
    std::istringstream lines(tail);
    for (std::string l; std::getline(lines, l);) err << "  | " << l << "\n";
    err << std::flush;
  };
  const auto on_tick = [&](const PoolStatus& st) {
    if (!o.progress) return;
    err << fmt::format("\r\033[K[pcie-bench] {}/{} rows run, {} running, {} failed, {} elapsed", st.done, st.total,
                       st.running, st.failed, clock_text(st.elapsed))
        << std::flush;
    line_shown = true;
  };
  run_jobs(jobs, o.jobs, on_done, on_tick);
  clear_line();

  // Collect: the simulated file and compare.json.
  std::size_t failed = 0;
  for (const std::string& f : failure) failed += !f.empty();
  std::map<std::pair<std::size_t, std::size_t>, std::size_t> job_of;
  for (std::size_t i = 0; i < jobs_info.size(); ++i) job_of[{jobs_info[i].file, jobs_info[i].line}] = i;
  const std::string ep = "system." + device;
  nlohmann::ordered_json cmp = nlohmann::ordered_json::object();
  cmp["config"] = o.config;
  cmp["iommu"] = o.iommu;
  cmp["device"] = device;
  cmp["files"] = nlohmann::ordered_json::array();
  std::size_t written_rows = 0;
  for (std::size_t fi = 0; fi < files.size(); ++fi) {
    const BenchFile& in = files[fi];
    BenchFile sim = in;
    nlohmann::ordered_json jf;
    jf["file"] = o.files[fi];
    jf["output"] = (root / names[fi]).string();
    jf["rows"] = nlohmann::ordered_json::array();
    for (std::size_t li = 0; li < in.lines.size(); ++li) {
      if (!in.lines[li]) continue;
      const BenchRow& row = *in.lines[li];
      const bool lat = in.layout == BenchLayout::Latency;
      nlohmann::ordered_json jr;
      jr["line"] = row.line;
      jr["test"] = row.test;
      jr["pattern"] = row.pattern;
      jr["cache"] = row.cache;
      jr["ho"] = row.ho;
      jr["do"] = row.dof;
      jr["window"] = row.window;
      jr["size"] = row.size;
      nlohmann::ordered_json meas;
      if (lat) {
        for (const auto& [k, col] : std::vector<std::pair<const char*, const char*>>{
                 {"tavg_ns", "TAvg(ns)"}, {"avg_ns", "Avg(ns)"}, {"median_ns", "Med(ns)"}, {"min_ns", "Min(ns)"},
                 {"max_ns", "Max(ns)"}, {"p95_ns", "95%(ns)"}, {"p999_ns", "99.9%(ns)"}})
          meas[k] = num(in.value(row, col));
      } else {
        meas["gbps"] = num(in.value(row, "BW (GB/s)"));
        meas["trans_per_s"] = num(in.value(row, "Trans/s"));
      }
      jr["measured"] = meas;
      auto sk = skipped.find({fi, li});
      if (sk != skipped.end()) {
        jr["status"] = "skipped";
        jr["reason"] = sk->second;
        // The simulated file keeps the row's place: its measured columns are "-".
        for (std::size_t c = 7; c < sim.lines[li]->fields.size(); ++c) sim.lines[li]->fields[c] = "-";
        jf["rows"].push_back(jr);
        continue;
      }
      const std::size_t ji = job_of.at({fi, li});
      FlatStats st;
      std::string why = failure[ji];
      double mhz = NAN;
      if (why.empty()) {
        try {
          st = read_stats_file((jobs_info[ji].dir / "stats.json").string());
          const nlohmann::json c = nlohmann::json::parse(read_text((jobs_info[ji].dir / "config.json").string(), "config"));
          for (const auto& e : c.at("platform").at("endpoints"))
            if (e.value("name", "") == device) mhz = e.at("clock_mhz").get<double>();
        } catch (const std::exception& e) {
          why = e.what();
        }
      }
      if (why.empty() && (std::isnan(mhz) || std::isnan(stat_or_nan(st, ep + ".pcie_bench.elapsed"))))
        why = "the run's stats.json or config.json lacks the pcie_bench statistics or the endpoint's clock";
      if (!why.empty()) {
        if (failure[ji].empty()) {
          failure[ji] = why;
          ++failed;
          err << fmt::format("iommusim pcie-bench: {}:{}: {}\n", o.files[fi], row.line, why);
        }
        jr["status"] = "failed";
        jr["reason"] = why;
        for (std::size_t c = 7; c < sim.lines[li]->fields.size(); ++c) sim.lines[li]->fields[c] = "-";
        jf["rows"].push_back(jr);
        continue;
      }
      nlohmann::ordered_json simj;
      if (lat) {
        LatencyValues v;
        v.tavg_ps = stat_or_nan(st, ep + ".pcie_bench.iteration");
        v.avg_ps = stat_or_nan(st, ep + ".pcie_bench.latency::mean");
        v.median_ps = stat_or_nan(st, ep + ".pcie_bench.latency_median");
        v.min_ps = stat_or_nan(st, ep + ".pcie_bench.latency::min");
        v.max_ps = stat_or_nan(st, ep + ".pcie_bench.latency::max");
        v.p95_ps = stat_or_nan(st, ep + ".pcie_bench.latency_p95");
        v.p999_ps = stat_or_nan(st, ep + ".pcie_bench.latency_p999");
        v.samples = static_cast<std::uint64_t>(stat_or_nan(st, ep + ".pcie_bench.latency::samples"));
        sim.lines[li]->fields = latency_fields(row, v, mhz);
        simj["tavg_ns"] = v.tavg_ps / 1000;
        simj["avg_ns"] = v.avg_ps / 1000;
        simj["median_ns"] = v.median_ps / 1000;
        simj["min_ns"] = v.min_ps / 1000;
        simj["max_ns"] = v.max_ps / 1000;
        simj["p95_ns"] = v.p95_ps / 1000;
        simj["p999_ns"] = v.p999_ps / 1000;
        simj["samples"] = v.samples;
      } else {
        BandwidthValues v;
        v.elapsed_ps = stat_or_nan(st, ep + ".pcie_bench.elapsed");
        v.bytes = static_cast<std::uint64_t>(stat_or_nan(st, ep + ".pcie_bench.bytes"));
        v.transactions = static_cast<std::uint64_t>(stat_or_nan(st, ep + ".pcie_bench.transactions"));
        sim.lines[li]->fields = bandwidth_fields(row, v, mhz);
        const double s = v.elapsed_ps * 1e-12;
        simj["gbps"] = s > 0 ? double(v.bytes) * 8 / s / 1e9 : 0.0;
        simj["trans_per_s"] = s > 0 ? double(v.transactions) / s : 0.0;
        simj["transactions"] = v.transactions;
      }
      jr["status"] = "ok";
      jr["simulated"] = simj;
      jf["rows"].push_back(jr);
      ++written_rows;
    }
    write_file_atomic((root / names[fi]).string(), write_bench_file(sim));
    cmp["files"].push_back(jf);
  }
  write_file_atomic((root / "compare.json").string(), cmp.dump(2) + "\n");
  out << fmt::format("iommusim pcie-bench: {} rows simulated, {} skipped, {} failed; {} and compare.json in {}\n",
                     written_rows, skipped.size(), failed, files.size() == 1 ? names[0] : "the simulated files",
                     o.out);
  for (const auto& [k, why] : skipped)
    out << fmt::format("  skipped {}:{}: {}\n", o.files[k.first], files[k.first].lines[k.second]->line, why);
  return failed ? 1 : 0;
}

}  // namespace iommusim
