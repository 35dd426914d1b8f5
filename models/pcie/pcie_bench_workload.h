// pcie-bench's DMA experiments as a workload (`kind: pcie_bench`; Neugebauer
// et al., "Understanding PCIe performance for end host networking", SIGCOMM
// 2018, section 4; the NFP firmware's me/pcie_dma.c and me/utils.c). See
// docs/pcie-bench.md.
//
//   LAT_DMA_RD    one DMA read outstanding: the next starts `gap_ns` after the
//                 previous one completed; a sample is its issue-to-completion
//   LAT_DMA_WRRD  a write, then a read of the same address (issued as soon as
//                 the write has left: a posted write has no completion); a
//                 sample is the write's issue to the read's completion
//   BW_DMA_RD / BW_DMA_WR / BW_DMA_RW (alias BW_DMA_RDWR)
//                 DMAs issued as fast as the endpoint's tags and posted
//                 credits allow; RW alternates (even DMAs write, odd read)
//
// Addresses as pcie-bench computes them: a unit of size + HO rounded up to a
// cache line (64 bytes), `window / unit` units, DMA i at unit u(i) * unit + HO,
// where u(i) is uniform (Rand) or i (Seq) modulo the number of units; a DMA
// that would cross a 4 KiB boundary is not used (Rand draws again, Seq moves
// to the next unit).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/replacement.h"
#include "common/stats_group.h"
#include "common/types.h"
#include "mem/cache_state.h"
#include "pcie/dma_source.h"

namespace iommusim {

enum class PcieBenchTest { LatRd, LatWrRd, BwRd, BwWr, BwRw };

// pcie-bench's names: LAT_DMA_RD, LAT_DMA_WRRD, BW_DMA_RD, BW_DMA_WR,
// BW_DMA_RW (BW_DMA_RDWR accepted too).
std::optional<PcieBenchTest> parse_pcie_bench_test(const std::string& s);
const char* pcie_bench_test_name(PcieBenchTest t);
inline bool is_latency_test(PcieBenchTest t) { return t == PcieBenchTest::LatRd || t == PcieBenchTest::LatWrRd; }

struct PcieBenchParams {
  PcieBenchTest test = PcieBenchTest::LatRd;
  bool random = true;                // pattern: Rand (else Seq)
  std::uint64_t size = 64;           // bytes per DMA
  std::uint64_t window = 8192;       // bytes
  Addr base = 0x1'0000'0000;         // IOVA of the buffer
  std::uint64_t host_offset = 0;     // HO, 0..63
  std::uint64_t device_offset = 0;   // DO, 0..63 (no device memory: no effect)
  std::uint64_t count = 10000;       // latency samples (LAT) or DMAs (BW)
  CacheState cache = CacheState::Cold;
  Addr buffer_pa = 0x1'0000'0000;    // host-physical start of the buffer (default: base)
  Tick gap_ps = 0;                   // LAT: device time between two iterations

  static PcieBenchParams from_config(ConfigNode n, unsigned address_width);
};

// The offsets (from base) of pcie-bench's DMA address sequence.
class PcieBenchAddresses {
 public:
  PcieBenchAddresses(const PcieBenchParams& p, std::uint64_t seed);
  std::uint64_t next();
  std::uint64_t unit() const { return unit_; }
  std::uint64_t units() const { return units_; }

 private:
  std::uint64_t size_, ho_, unit_, units_;
  bool random_;
  SplitMix64 rng_;
  std::uint64_t idx_ = 0, add_ = 0;
};

class PcieBenchSource : public DmaSource {
 public:
  PcieBenchSource(const PcieBenchParams& p, std::uint64_t seed);
  bool next(DmaRequest& out) override;
  void completed(const DmaRequest& r, Tick issued, Tick done, bool ok) override;
  std::optional<CachePreparation> cache_preparation() const override;
  void register_stats(const StatsGroup& endpoint) override;

  const PcieBenchParams& params() const { return p_; }
  // The measured samples (Ticks), in order; elapsed = first issue to last
  // completion.
  const std::vector<Tick>& samples() const { return samples_; }
  Tick elapsed() const { return started_ ? last_done_ - first_issue_ : 0; }
  std::uint64_t transactions() const { return transactions_; }
  std::uint64_t bytes() const { return bytes_; }
  // pcie-bench's statistics of the samples (python/pciebench/stats.py):
  // median of an even count is the mean of the two middle values; a
  // percentile interpolates linearly between the closest ranks.
  double sample_median() const;
  double sample_percentile(double p) const;
  // Time per latency iteration (TAvg): elapsed / samples.
  double iteration_time() const { return samples_.empty() ? 0.0 : double(elapsed()) / double(samples_.size()); }

 private:
  const std::vector<Tick>& sorted() const;
  PcieBenchParams p_;
  PcieBenchAddresses addrs_;
  std::uint64_t issued_ = 0;     // requests handed out
  std::uint64_t iteration_ = 0;  // LAT: iterations started
  Addr cur_addr_ = 0;            // LAT_DMA_WRRD: the pair's address
  Tick next_time_ = 0;           // LAT: relative time of the next iteration
  Tick handed_time_ = 0;         // the relative time of the last request handed out
  bool waiting_ = false;         // LAT: an iteration is outstanding
  Tick pair_issue_ = 0;          // LAT_DMA_WRRD: the write's issue time
  bool started_ = false;
  Tick first_issue_ = 0, last_done_ = 0;
  std::uint64_t transactions_ = 0, bytes_ = 0, errors_ = 0;
  std::vector<Tick> samples_;
  mutable std::vector<Tick> sorted_;
  Histogram* latency_ = nullptr;
};

}  // namespace iommusim
