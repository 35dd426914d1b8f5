#include "common/stats.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace iommusim {

namespace {

// NaN and infinities are not valid JSON and not deterministic across libcs in
// text; -0 would print as "-0". All map to 0.
double sanitize(double v) {
  if (!std::isfinite(v) || v == 0.0) return 0.0;
  return v;
}

}  // namespace

// ---------------------------------------------------------------- Stat

Stat::Stat(std::string name, std::string desc, std::string unit)
    : name_(std::move(name)), desc_(std::move(desc)), unit_(std::move(unit)) {}

Stat::~Stat() = default;

// ---------------------------------------------------------------- Counter

Counter::Counter(std::string name, std::string desc, std::string unit)
    : Stat(std::move(name), std::move(desc), std::move(unit)) {}

void Counter::reset() { value_ = 0; }

// ---------------------------------------------------------------- Average

Average::Average(std::string name, std::string desc, std::string unit)
    : Stat(std::move(name), std::move(desc), std::move(unit)) {}

void Average::sample(double v, std::uint64_t n) {
  if (n == 0) return;
  sum_ += v * static_cast<double>(n);
  count_ += n;
}

double Average::mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }

void Average::reset() {
  sum_ = 0.0;
  count_ = 0;
}

// ---------------------------------------------------------------- Histogram

Histogram::Histogram(std::string name, std::string desc, std::string unit)
    : Stat(std::move(name), std::move(desc), std::move(unit)) {}

std::uint64_t Histogram::bucket_upper(std::size_t index) {
  if (index < kExactLimit) return index;
  const std::size_t rel = index - kExactLimit;
  const unsigned k = static_cast<unsigned>(rel / kSubBuckets) + kSubBucketBits;
  const std::uint64_t sub = rel % kSubBuckets;
  const std::uint64_t width = std::uint64_t{1} << (k - kSubBucketBits);
  const std::uint64_t lower = (std::uint64_t{1} << k) + sub * width;
  return lower + (width - 1);  // no overflow: at most 2^64 - 1
}

void Histogram::grow(std::size_t idx) {
  // Grow to the end of idx's octave (or of the exact region).
  std::size_t end = kExactLimit;
  if (idx >= kExactLimit) end = idx - (idx - kExactLimit) % kSubBuckets + kSubBuckets;
  buckets_.resize(end, 0);
}

double Histogram::sum() const {
  return std::ldexp(static_cast<double>(sum_hi_), 64) + static_cast<double>(sum_lo_);
}

double Histogram::mean() const {
  if (count_ == 0) return 0.0;
  if (sum_hi_ == 0) return static_cast<double>(sum_lo_) / static_cast<double>(count_);
  return sum() / static_cast<double>(count_);
}

double Histogram::stdev() const {
  if (count_ < 2) return 0.0;
  const double var = w_m2_ / static_cast<double>(count_ - 1);
  return var > 0.0 ? std::sqrt(var) : 0.0;
}

std::uint64_t Histogram::percentile(double p) const {
  if (!(p > 0.0 && p <= 100.0))
    throw std::out_of_range(fmt::format("{}: percentile {} outside (0, 100]", name(), p));
  if (count_ == 0) return 0;
  // p * count first (exact for integral p), and snap a rank within rounding
  // noise of an integer to it, so that 99.9% of 1000 samples is rank 999.
  double r = p * static_cast<double>(count_) / 100.0;
  const double nearest = std::nearbyint(r);
  if (std::fabs(r - nearest) <= 1e-9 * std::max(1.0, r)) r = nearest;
  r = std::ceil(r);
  std::uint64_t rank = r < 1.0 ? 1 : static_cast<std::uint64_t>(r);
  if (rank > count_) rank = count_;
  std::uint64_t cum = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    cum += buckets_[i];
    if (cum >= rank) return std::clamp(bucket_upper(i), min_, max_);
  }
  return max_;  // unreachable: the buckets hold count_ samples
}

void Histogram::reset() {
  std::vector<std::uint64_t>().swap(buckets_);
  count_ = 0;
  sum_lo_ = sum_hi_ = 0;
  min_ = ~std::uint64_t{0};
  max_ = 0;
  w_mean_ = w_m2_ = 0.0;
}

// ---------------------------------------------------------------- Formula

Formula::Formula(std::string name, std::string desc, std::string unit, std::function<double()> fn)
    : Stat(std::move(name), std::move(desc), std::move(unit)), fn_(std::move(fn)) {}

double Formula::value() const { return fn_ ? sanitize(fn_()) : 0.0; }

// ---------------------------------------------------------------- StatsRegistry

StatsRegistry::StatsRegistry() = default;
StatsRegistry::~StatsRegistry() = default;

bool StatsRegistry::valid_name(const std::string& name) {
  if (name.empty()) return false;
  bool component_empty = true;
  for (char c : name) {
    if (c == '.') {
      if (component_empty) return false;
      component_empty = true;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_') {
      component_empty = false;
    } else {
      return false;
    }
  }
  return !component_empty;
}

void StatsRegistry::check_new_name(const std::string& name) const {
  if (!valid_name(name))
    throw std::logic_error(fmt::format(
        "stats: invalid statistic name '{}' (expected [A-Za-z0-9_]+(.[A-Za-z0-9_]+)*)", name));
  if (stats_.count(name))
    throw std::logic_error(fmt::format("stats: statistic '{}' registered twice", name));
}

Counter& StatsRegistry::counter(const std::string& name, const std::string& desc,
                                const std::string& unit) {
  return add<Counter>(name, desc, unit);
}

Average& StatsRegistry::average(const std::string& name, const std::string& desc,
                                const std::string& unit) {
  return add<Average>(name, desc, unit);
}

Histogram& StatsRegistry::histogram(const std::string& name, const std::string& desc,
                                    const std::string& unit) {
  return add<Histogram>(name, desc, unit);
}

Formula& StatsRegistry::formula(const std::string& name, const std::string& desc,
                                const std::string& unit, std::function<double()> fn) {
  if (!fn) throw std::logic_error(fmt::format("stats: formula '{}' has no function", name));
  return add<Formula>(name, desc, unit, std::move(fn));
}

const Stat* StatsRegistry::find(const std::string& name) const {
  auto it = stats_.find(name);
  return it == stats_.end() ? nullptr : it->second.get();
}

void StatsRegistry::reset_all() {
  for (auto& kv : stats_) kv.second->reset();
}

// ---------------------------------------------------------------- output

namespace {

// gem5 ValueToString with precision -1: integral values without decimals,
// others fixed with the default 6 decimals.
std::string value_to_string(double v) {
  v = sanitize(v);
  if (v == std::rint(v)) return fmt::format("{:.0f}", v);
  return fmt::format("{:.6f}", v);
}

void txt_line(std::string& out, const std::string& name, const std::string& value,
              const std::string& desc, const std::string& unit) {
  fmt::format_to(std::back_inserter(out), "{:<40} {:>12} {:>10} {:>10}", name, value, "", "");
  if (!desc.empty()) fmt::format_to(std::back_inserter(out), " # {}", desc);
  if (!unit.empty()) fmt::format_to(std::back_inserter(out), " ({})", unit);
  out += '\n';
}

std::string render_txt(const std::map<std::string, std::unique_ptr<Stat>>& stats) {
  std::string out = "\n---------- Begin Simulation Statistics ----------\n";
  for (const auto& kv : stats) {
    const Stat* s = kv.second.get();
    const std::string& n = s->name();
    const std::string& d = s->desc();
    const std::string& u = s->unit();
    if (auto c = dynamic_cast<const Counter*>(s)) {
      txt_line(out, n, std::to_string(c->value()), d, u);
    } else if (auto a = dynamic_cast<const Average*>(s)) {
      txt_line(out, n, value_to_string(a->mean()), d, u);
    } else if (auto f = dynamic_cast<const Formula*>(s)) {
      txt_line(out, n, value_to_string(f->value()), d, u);
    } else if (auto h = dynamic_cast<const Histogram*>(s)) {
      const bool any = h->count() > 0;
      txt_line(out, n + "::samples", std::to_string(h->count()), d, u);
      txt_line(out, n + "::mean", value_to_string(h->mean()), d, u);
      txt_line(out, n + "::stdev", value_to_string(h->stdev()), d, u);
      txt_line(out, n + "::min_value", std::to_string(h->min()), d, u);
      txt_line(out, n + "::max_value", std::to_string(h->max()), d, u);
      txt_line(out, n + "::p50", std::to_string(any ? h->percentile(50) : 0), d, u);
      txt_line(out, n + "::p95", std::to_string(any ? h->percentile(95) : 0), d, u);
      txt_line(out, n + "::p99", std::to_string(any ? h->percentile(99) : 0), d, u);
    }
  }
  out += "\n---------- End Simulation Statistics   ----------\n";
  return out;
}

std::string render_json(const std::map<std::string, std::unique_ptr<Stat>>& stats) {
  using nlohmann::ordered_json;
  ordered_json values = ordered_json::object();
  ordered_json descs = ordered_json::object();
  for (const auto& kv : stats) {
    const Stat* s = kv.second.get();
    if (auto c = dynamic_cast<const Counter*>(s)) {
      values[kv.first] = c->value();
    } else if (auto a = dynamic_cast<const Average*>(s)) {
      values[kv.first] = sanitize(a->mean());
    } else if (auto f = dynamic_cast<const Formula*>(s)) {
      values[kv.first] = f->value();
    } else if (auto h = dynamic_cast<const Histogram*>(s)) {
      const bool any = h->count() > 0;
      ordered_json o = ordered_json::object();
      o["samples"] = h->count();
      o["mean"] = sanitize(h->mean());
      o["stdev"] = sanitize(h->stdev());
      o["min"] = h->min();
      o["max"] = h->max();
      o["p50"] = any ? h->percentile(50) : std::uint64_t{0};
      o["p95"] = any ? h->percentile(95) : std::uint64_t{0};
      o["p99"] = any ? h->percentile(99) : std::uint64_t{0};
      values[kv.first] = std::move(o);
    }
    descs[kv.first] = s->unit().empty() ? s->desc() : s->desc() + " (" + s->unit() + ")";
  }
  ordered_json root = ordered_json::object();
  root["stats"] = std::move(values);
  root["descriptions"] = std::move(descs);
  return root.dump(2) + "\n";
}

// Writes content to path via path + ".tmp" and an atomic rename.
void write_atomically(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::out | std::ios::trunc | std::ios::binary);
    if (!f)
      throw std::runtime_error(
          fmt::format("stats: cannot open '{}' for writing: {}", tmp.string(), std::strerror(errno)));
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    f.flush();
    if (!f) {
      f.close();
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw std::runtime_error(fmt::format("stats: error writing '{}'", tmp.string()));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw std::runtime_error(fmt::format("stats: cannot rename '{}' to '{}': {}", tmp.string(),
                                         path.string(), ec.message()));
  }
}

}  // namespace

void StatsRegistry::write_json(std::ostream& os) const { os << render_json(stats_); }

void StatsRegistry::write_txt(std::ostream& os) const { os << render_txt(stats_); }

void StatsRegistry::write_files(const std::string& dir) const {
  const std::filesystem::path d(dir);
  std::error_code ec;
  if (!d.empty()) std::filesystem::create_directories(d, ec);
  if (ec)
    throw std::runtime_error(
        fmt::format("stats: cannot create output directory '{}': {}", dir, ec.message()));
  // Render both before touching the disk, so a throwing formula leaves nothing.
  const std::string json = render_json(stats_);
  const std::string txt = render_txt(stats_);
  write_atomically(d / "stats.json", json);
  write_atomically(d / "stats.txt", txt);
}

}  // namespace iommusim
