// Statistics registry: counters, averages, histograms and formulas with
// hierarchical names, written as stats.json (for tools) and stats.txt (gem5's
// text layout, readable by existing gem5 parsers).
//
// Plain C++17, no SystemC: a model's SystemC shell registers its stats through
// a StatsGroup named by its instance name (stats_group.h), the pure-C++ logic
// just increments.
//
// Determinism: every output is in name order (std::map), independent of the
// order of registration; doubles are printed with fixed rules (see
// StatsRegistry::write_txt / write_json), NaN and infinities are printed as 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace iommusim {

// Base of every statistic. Names are full and hierarchical
// ("system.mem0.reads"); unit is a gem5-style unit name ("Count", "Byte",
// "Tick", "Second", "Ratio", "Byte/Second", "Nanosecond", ...).
// Stats are neither copyable nor movable: models keep references to them.
class Stat {
 public:
  Stat(std::string name, std::string desc, std::string unit);
  virtual ~Stat();
  Stat(const Stat&) = delete;
  Stat& operator=(const Stat&) = delete;

  const std::string& name() const { return name_; }
  const std::string& desc() const { return desc_; }
  const std::string& unit() const { return unit_; }

  // Back to the freshly constructed state (a Formula has none: no-op).
  virtual void reset() = 0;

 private:
  std::string name_;
  std::string desc_;
  std::string unit_;
};

// Unsigned 64-bit event counter (wraps modulo 2^64 like any uint64_t).
class Counter : public Stat {
 public:
  Counter(std::string name, std::string desc, std::string unit = "Count");

  Counter& operator++() {
    ++value_;
    return *this;
  }
  void operator++(int) { ++value_; }
  Counter& operator+=(std::uint64_t n) {
    value_ += n;
    return *this;
  }
  std::uint64_t value() const { return value_; }
  void reset() override;

 private:
  std::uint64_t value_ = 0;
};

// Arithmetic mean of double samples. sample(v, n) adds the value v n times.
class Average : public Stat {
 public:
  Average(std::string name, std::string desc, std::string unit = "Count");

  void sample(double v, std::uint64_t n = 1);
  double mean() const;  // 0 when empty
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  void reset() override;

 private:
  double sum_ = 0.0;
  std::uint64_t count_ = 0;
};

// Distribution of uint64 samples (typically latencies in ps) in constant
// memory.
//
// Buckets are log-linear: values 0..127 each have their own bucket (exact);
// every octave [2^k, 2^(k+1)) with k >= 7 is split into 128 equal sub-buckets
// of width 2^(k-7). The bucket vector only grows up to the largest octave
// sampled, at most kMaxBuckets = 128 + 57 * 128 = 7424 entries (~58 KiB),
// whatever the number of samples.
//
// count(), mean(), min(), max() are exact (the sum is kept in 128 bits).
// stdev() is the sample standard deviation (divisor n - 1, as gem5 prints it),
// 0 with fewer than two samples; it is computed with Welford's method in
// double.
//
// percentile(p), p in (0, 100]: let r = ceil(p / 100 * count()) (at least 1;
// a product within 1e-9 relative of an integer counts as that integer, so
// that floating-point noise in p = 99.9 does not move the rank).
// The result is the smallest bucket upper value v (the largest integer in a
// bucket) such that at least r samples are <= v, clamped to [min(), max()].
// Error bound: if x is the exact nearest-rank percentile (the r-th smallest
// sample), then
//     x <= percentile(p) <= x + floor(x / 128)    (relative error < 1/128),
// i.e. it never underestimates, and is exact when x < 128 or when all samples
// in x's bucket range equal max() (in particular when all samples are equal).
// percentile() is monotone non-decreasing in p. 0 when empty.
class Histogram : public Stat {
 public:
  static constexpr std::uint64_t kExactLimit = 128;  // values below are exact
  static constexpr unsigned kSubBucketBits = 7;      // 128 sub-buckets/octave
  static constexpr std::size_t kSubBuckets = std::size_t{1} << kSubBucketBits;
  static constexpr std::size_t kMaxBuckets = kExactLimit + (64 - kSubBucketBits) * kSubBuckets;

  Histogram(std::string name, std::string desc, std::string unit = "Tick");

  // Inline: one bucket increment, min/max, a 128-bit add and one Welford
  // step; only a sample beyond the buckets allocated so far calls out.
  void sample(std::uint64_t v) {
    const std::size_t idx = bucket_index(v);
    if (idx >= buckets_.size()) grow(idx);
    ++buckets_[idx];
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
    ++count_;
    sum_lo_ += v;
    sum_hi_ += sum_lo_ < v;
    const double x = static_cast<double>(v);
    const double delta = x - w_mean_;
    w_mean_ += delta / static_cast<double>(count_);
    w_m2_ += delta * (x - w_mean_);
  }

  std::uint64_t count() const { return count_; }
  double sum() const;   // exact sum rounded once to double
  double mean() const;  // sum / count, 0 when empty
  double stdev() const;
  std::uint64_t min() const { return count_ ? min_ : 0; }
  std::uint64_t max() const { return count_ ? max_ : 0; }
  // Throws std::out_of_range unless 0 < p <= 100.
  std::uint64_t percentile(double p) const;

  // Number of buckets currently allocated (for memory checks).
  std::size_t bucket_count() const { return buckets_.size(); }

  void reset() override;

  // Bucket geometry, exposed for tests.
  static std::size_t bucket_index(std::uint64_t v) {
    if (v < kExactLimit) return static_cast<std::size_t>(v);
    const unsigned k = 63u - static_cast<unsigned>(__builtin_clzll(v));  // floor(log2 v): 7..63
    const unsigned shift = k - kSubBucketBits;
    const std::size_t sub = static_cast<std::size_t>(v >> shift) - kSubBuckets;  // 0..127
    return kExactLimit + (k - kSubBucketBits) * kSubBuckets + sub;
  }
  static std::uint64_t bucket_upper(std::size_t index);  // largest value in it

 private:
  void grow(std::size_t idx);  // buckets_ up to the end of idx's octave

  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_lo_ = 0;  // exact 128-bit sum
  std::uint64_t sum_hi_ = 0;
  // Running extremes: the identities of min and max while empty, so that a
  // sample needs no first-sample test (min() and max() read 0 then).
  std::uint64_t min_ = ~std::uint64_t{0};
  std::uint64_t max_ = 0;
  double w_mean_ = 0.0;  // Welford running mean / sum of squared deviations
  double w_m2_ = 0.0;
};

// A double computed when read (at dump time), e.g. a bandwidth or a hit rate.
// The function must handle its own divisions by zero; value() maps NaN and
// infinities to 0 so that outputs stay valid and deterministic.
class Formula : public Stat {
 public:
  Formula(std::string name, std::string desc, std::string unit, std::function<double()> fn);

  double value() const;
  void reset() override {}

 private:
  std::function<double()> fn_;
};

// Owns every statistic of a run. Returned references stay valid for the
// registry's lifetime.
class StatsRegistry {
 public:
  StatsRegistry();
  ~StatsRegistry();
  StatsRegistry(const StatsRegistry&) = delete;
  StatsRegistry& operator=(const StatsRegistry&) = delete;

  // Each throws std::logic_error naming the stat when the name is already
  // registered or does not match [A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*.
  Counter& counter(const std::string& name, const std::string& desc,
                   const std::string& unit = "Count");
  Average& average(const std::string& name, const std::string& desc,
                   const std::string& unit = "Count");
  Histogram& histogram(const std::string& name, const std::string& desc,
                       const std::string& unit = "Tick");
  // Also throws std::logic_error when fn is empty.
  Formula& formula(const std::string& name, const std::string& desc, const std::string& unit,
                   std::function<double()> fn);

  static bool valid_name(const std::string& name);

  const Stat* find(const std::string& name) const;  // nullptr when absent
  std::size_t size() const { return stats_.size(); }
  void reset_all();

  // {"stats": {name: value, ...}, "descriptions": {name: "desc (unit)", ...}}
  // 2-space indented, in name order, followed by a newline. Counter: integer;
  // Average (mean) and Formula: number; Histogram: object with "samples",
  // "mean", "stdev", "min", "max", "p50", "p95", "p99" (all 0 when empty).
  void write_json(std::ostream& os) const;

  // gem5 stats.txt layout (gem5 src/base/stats/text.cc, spaces enabled):
  //   "\n---------- Begin Simulation Statistics ----------\n"
  //   one line per value, in name order:
  //     fmt::format("{:<40} {:>12} {:>10} {:>10} # {} ({})\n",
  //                 name, value, "", "", desc, unit)
  //     (" # desc" is left out when desc is empty, " (unit)" when unit is)
  //   "\n---------- End Simulation Statistics   ----------\n"
  // Values follow gem5's ValueToString: integers plainly, a double that is
  // integral with no decimals, other doubles fixed with 6 decimals. A
  // Histogram gives the lines name::samples, ::mean, ::stdev, ::min_value,
  // ::max_value, ::p50, ::p95, ::p99, each with the histogram's desc and unit.
  void write_txt(std::ostream& os) const;

  // Writes dir/stats.json and dir/stats.txt (creating dir if needed), each
  // through dir/<file>.tmp renamed into place, so that an interrupted run
  // never leaves a truncated file under the final name. Throws
  // std::runtime_error naming the path on failure (no .tmp is left behind).
  void write_files(const std::string& dir) const;

 private:
  void check_new_name(const std::string& name) const;
  // Checks the name, then owns a new T(name, args...) and returns it.
  template <class T, class... Args>
  T& add(const std::string& name, Args&&... args) {
    check_new_name(name);
    auto p = std::make_unique<T>(name, std::forward<Args>(args)...);
    T& ref = *p;
    stats_.emplace(name, std::move(p));
    return ref;
  }

  std::map<std::string, std::unique_ptr<Stat>> stats_;
};

}  // namespace iommusim
