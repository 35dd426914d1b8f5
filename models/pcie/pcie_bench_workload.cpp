#include "pcie/pcie_bench_workload.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace iommusim {

std::optional<PcieBenchTest> parse_pcie_bench_test(const std::string& s) {
  if (s == "LAT_DMA_RD") return PcieBenchTest::LatRd;
  if (s == "LAT_DMA_WRRD") return PcieBenchTest::LatWrRd;
  if (s == "BW_DMA_RD") return PcieBenchTest::BwRd;
  if (s == "BW_DMA_WR") return PcieBenchTest::BwWr;
  if (s == "BW_DMA_RW" || s == "BW_DMA_RDWR") return PcieBenchTest::BwRw;
  return std::nullopt;
}

const char* pcie_bench_test_name(PcieBenchTest t) {
  switch (t) {
    case PcieBenchTest::LatRd: return "LAT_DMA_RD";
    case PcieBenchTest::LatWrRd: return "LAT_DMA_WRRD";
    case PcieBenchTest::BwRd: return "BW_DMA_RD";
    case PcieBenchTest::BwWr: return "BW_DMA_WR";
    case PcieBenchTest::BwRw: return "BW_DMA_RW";
  }
  return "?";
}

PcieBenchParams PcieBenchParams::from_config(ConfigNode n, unsigned address_width) {
  PcieBenchParams p;
  const std::string test =
      n.choice("test", "LAT_DMA_RD", {"LAT_DMA_RD", "LAT_DMA_WRRD", "BW_DMA_RD", "BW_DMA_WR", "BW_DMA_RW", "BW_DMA_RDWR"});
  p.test = *parse_pcie_bench_test(test);
  p.random = n.choice("pattern", "Rand", {"Rand", "Seq"}) == "Rand";
  // pcie-bench's limits (me/pcie_dma.c): size + HO at most 4 KiB and at most the window.
  p.host_offset = n.u64("host_offset", p.host_offset, 0, 63);
  p.device_offset = n.u64("device_offset", p.device_offset, 0, 63);
  p.size = n.u64("size", p.size, 1, 4096 - p.host_offset);
  const std::uint64_t space = address_width >= 64 ? UINT64_MAX : (std::uint64_t{1} << address_width);
  p.window = n.u64("window", p.window, p.size + p.host_offset, std::uint64_t{1} << 40);
  if (p.window > space) n.fail("window", fmt::format("{} bytes do not fit a {}-bit address space", p.window, address_width));
  p.base = n.u64("base", std::min<Addr>(p.base, space - p.window), 0, space - p.window);
  p.buffer_pa = n.u64("buffer_pa", p.base, 0, space - p.window);
  p.count = n.u64("count", p.count, 1, std::uint64_t{1} << 40);
  const std::string cache = n.choice("cache", "Cold", {"Cold", "HWarm", "DWarm", "DThrash"});
  p.cache = *parse_cache_state(cache);
  p.gap_ps = n.time_ns("gap_ns", 0, 0, 1e9);
  return p;
}

// ---- addresses -------------------------------------------------------------------

PcieBenchAddresses::PcieBenchAddresses(const PcieBenchParams& p, std::uint64_t seed)
    : size_(p.size),
      ho_(p.host_offset),
      unit_((p.size + p.host_offset + 63) & ~std::uint64_t{63}),
      units_(p.window / unit_),
      random_(p.random),
      rng_(seed) {
  // A window smaller than one unit (size + HO not a cache-line multiple):
  // pcie-bench would divide by zero; one unit at offset HO is the only choice.
  if (units_ == 0) units_ = 1;
}

std::uint64_t PcieBenchAddresses::next() {
  // me/utils.c dma_addr_init(): at most `units` tries find a unit whose
  // transfer stays inside its 4 KiB page (size + HO <= 4096 guarantees that
  // unit 0 does).
  for (std::uint64_t tries = 0;; ++tries) {
    const std::uint64_t trans = random_ ? rng_.next() : idx_ + add_;
    const std::uint64_t lin = (trans % units_) * unit_ + ho_;
    if (0x1000 - (lin & 0xfff) >= size_ || tries > units_) {
      ++idx_;
      return lin;
    }
    if (!random_) ++add_;
  }
}

// ---- source ----------------------------------------------------------------------

PcieBenchSource::PcieBenchSource(const PcieBenchParams& p, std::uint64_t seed) : p_(p), addrs_(p, seed) {
  samples_.reserve(is_latency_test(p.test) ? std::min<std::uint64_t>(p.count, 1 << 24) : 0);
}

bool PcieBenchSource::next(DmaRequest& out) {
  out = DmaRequest{};
  out.size = p_.size;
  switch (p_.test) {
    case PcieBenchTest::LatRd:
      if (iteration_ >= p_.count) return false;
      out.addr = p_.base + addrs_.next();
      out.time = next_time_;
      ++iteration_;
      break;
    case PcieBenchTest::LatWrRd:
      if (issued_ % 2 == 0) {  // the write starts an iteration
        if (iteration_ >= p_.count) return false;
        cur_addr_ = p_.base + addrs_.next();
        out.write = true;
        out.time = next_time_;
        ++iteration_;
      } else {  // the read of the same address, right after the write left
        out.time = handed_time_;
      }
      out.addr = cur_addr_;
      break;
    case PcieBenchTest::BwRd:
    case PcieBenchTest::BwWr:
    case PcieBenchTest::BwRw:
      if (issued_ >= p_.count) return false;
      out.addr = p_.base + addrs_.next();
      out.write = p_.test == PcieBenchTest::BwWr || (p_.test == PcieBenchTest::BwRw && issued_ % 2 == 0);
      out.time = 0;
      break;
  }
  out.seq = issued_++;
  handed_time_ = out.time;
  return true;
}

void PcieBenchSource::completed(const DmaRequest& r, Tick issued, Tick done, bool ok) {
  if (!started_ || issued < first_issue_) first_issue_ = issued;
  started_ = true;
  last_done_ = std::max(last_done_, done);
  ++transactions_;
  if (ok) bytes_ += r.size;
  else ++errors_;
  // The engine's request times count from its origin (the host driver's
  // bring-up): r.time is absolute here, handed_time_ the same time relative.
  const Tick origin = r.time - handed_time_;
  Tick sample = 0;
  switch (p_.test) {
    case PcieBenchTest::LatRd: sample = done - issued; break;
    case PcieBenchTest::LatWrRd:
      if (r.write) {
        pair_issue_ = issued;
        return;
      }
      sample = done - pair_issue_;
      break;
    default: return;
  }
  samples_.push_back(sample);
  sorted_.clear();
  if (latency_) latency_->sample(sample);
  next_time_ = done - origin + p_.gap_ps;
}

std::optional<CachePreparation> PcieBenchSource::cache_preparation() const {
  return CachePreparation{p_.cache, p_.buffer_pa, p_.window};
}

const std::vector<Tick>& PcieBenchSource::sorted() const {
  if (sorted_.size() != samples_.size()) {
    sorted_ = samples_;
    std::sort(sorted_.begin(), sorted_.end());
  }
  return sorted_;
}

double PcieBenchSource::sample_median() const {
  const std::vector<Tick>& s = sorted();
  if (s.empty()) return 0;
  const std::size_t n = s.size();
  if (n % 2 == 0) return (double(s[n / 2]) + double(s[n / 2 - 1])) / 2.0;
  return double(s[n / 2]);
}

double PcieBenchSource::sample_percentile(double p) const {
  const std::vector<Tick>& s = sorted();
  if (s.empty()) return 0;
  const double idx = double(s.size() - 1) * (p / 100.0);
  const double lo = std::floor(idx), hi = std::ceil(idx);
  if (lo == hi) return double(s[std::size_t(idx)]);
  return double(s[std::size_t(lo)]) * (hi - idx) + double(s[std::size_t(hi)]) * (idx - lo);
}

void PcieBenchSource::register_stats(const StatsGroup& endpoint) {
  const StatsGroup g = endpoint.group("pcie_bench");
  latency_ = &g.histogram("latency",
                          "pcie-bench latency samples: LAT_DMA_RD issue to completion, LAT_DMA_WRRD the write's "
                          "issue to the read's completion");
  g.formula("latency_median", "Median latency sample (pcie-bench's rule: the mean of the two middle samples)", "Tick",
            [this] { return sample_median(); });
  g.formula("latency_p95", "95th percentile of the latency samples (linear between ranks)", "Tick",
            [this] { return sample_percentile(95); });
  g.formula("latency_p999", "99.9th percentile of the latency samples (linear between ranks)", "Tick",
            [this] { return sample_percentile(99.9); });
  g.formula("iteration", "Time per latency iteration, elapsed / samples (pcie-bench's TAvg)", "Tick",
            [this] { return iteration_time(); });
  g.formula("elapsed", "First DMA issue to last completion", "Tick", [this] { return double(elapsed()); });
  g.formula("transactions", "DMAs completed (LAT_DMA_WRRD: two per sample)", "Count",
            [this] { return double(transactions_); });
  g.formula("bytes", "Bytes moved by successful DMAs", "Byte", [this] { return double(bytes_); });
  g.formula("errors", "DMAs completed with an error or fault", "Count", [this] { return double(errors_); });
}

}  // namespace iommusim
