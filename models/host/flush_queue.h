// When unmapped IOVA ranges may be reused: Linux's IOTLB invalidation policy
// for DMA-API domains (drivers/iommu/dma-iommu.c: queue_iova(),
// fq_flush_iotlb(), fq_flush_timeout(), fq_ring_free(); iommu.strict=).
//
// Strict (iommu.strict=1): every unmap is invalidated before it returns -
// one page-selective IOTLB invalidation whose AM covers the unmapped range
// (intel_iommu_tlb_sync() -> iommu_flush_iotlb_psi(); domain-selective when
// the mask exceeds CAP.MAMV or the unit lacks PSI) - and then the IOVA range
// is freed.
//
// Lazy (iommu.strict=0, the x86 default with CONFIG_IOMMU_DEFAULT_DMA_LAZY):
// the unmapped range is queued in the domain's flush queue and stays
// allocated (so no device can be given it while the IOTLB may still hold
// its translation).
//  * A queue holds `entries` ranges (IOVA_DEFAULT_FQ_SIZE = 256). An unmap
//    that finds its queue full first flushes: one domain-selective IOTLB
//    invalidation (intel_flush_iotlb_all()) or, with global_flush, a global
//    one, after which every queued range is freed; then it queues its own
//    range (which the flush also covered, but which Linux only frees at the
//    next flush).
//  * The first unmap queued while the domain's timer is off arms it to
//    expire `timeout` later (IOVA_DEFAULT_FQ_TIMEOUT = 10 ms); later unmaps
//    do not move it. On expiry the timer turns off and the domain is
//    flushed and its queue freed - even when a full-queue flush has already
//    emptied it (fq_flush_timeout() flushes unconditionally).
//  * A global flush also frees the queues of the other domains.
//
// This is plain logic on explicit times: the caller reports unmaps with
// on_unmap(now, ...) and calls on_time(now) at next_deadline() (on_unmap
// first runs any timer that expired at or before `now`). Each call returns
// the invalidations to issue, in order, and the queued ranges to free (and
// table pages to release) once they have completed. One CPU: Linux keeps one
// queue per CPU per domain.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "common/types.h"
#include "host/iotlb_flush.h"
#include "host/iova_allocator.h"

namespace iommusim {

struct FlushQueueParams {
  bool strict = false;          // iommu.strict
  std::size_t entries = 256;    // IOVA_DEFAULT_FQ_SIZE (>= 1)
  Tick timeout = 10ull * 1000 * 1000 * kPsPerNs;  // IOVA_DEFAULT_FQ_TIMEOUT: 10 ms
  bool global_flush = false;    // batch flush: global instead of domain-selective
  FlushCaps caps;               // PSI, MAMV, DR/DW of the unit
};

// One unmap as the policy sees it.
struct UnmapNotice {
  uint16_t did = 0;
  Addr iova = 0;            // unmapped range, 4 KiB aligned
  uint64_t bytes = 0;
  bool leaf_only = true;    // IH for a page-selective invalidation
  IovaRange alloc;          // IOVA allocation to free afterwards (may be empty)
  std::vector<Addr> freed_tables;  // table pages to release afterwards
};

// A range whose IOVA may be freed (and whose table pages may be released)
// once the invalidations before it have completed.
struct Release {
  uint16_t did = 0;
  IovaRange alloc;
  std::vector<Addr> freed_tables;
  Tick unmapped_at = 0;
};

struct FlushActions {
  std::vector<IotlbFlush> invalidations;  // issue in order, wait for completion
  std::vector<Release> releases;          // then free these
  bool empty() const { return invalidations.empty() && releases.empty(); }
  void append(FlushActions&& o);
};

struct FlushQueueStats {
  uint64_t unmaps = 0;
  uint64_t strict_invalidations = 0;  // strict: one per unmap
  uint64_t psi = 0;                   // page-selective invalidations issued
  uint64_t dsi = 0;                   // domain-selective invalidations issued
  uint64_t global = 0;                // global invalidations issued
  uint64_t psi_fallbacks = 0;         // strict ranges too large for PSI (domain-selective instead)
  uint64_t flushes = 0;               // lazy batch flushes (full + timeout)
  uint64_t full_flushes = 0;          // caused by a full queue
  uint64_t timeout_flushes = 0;       // caused by the timer
  uint64_t empty_flushes = 0;         // batch flushes that freed nothing
  uint64_t ranges_flushed = 0;        // ranges freed by batch flushes
  uint64_t max_ranges_per_flush = 0;
  uint64_t max_depth = 0;             // deepest any queue has been
  double mean_ranges_per_flush() const { return flushes ? double(ranges_flushed) / double(flushes) : 0.0; }
};

class FlushQueue {
 public:
  explicit FlushQueue(const FlushQueueParams& p = {});

  FlushActions on_unmap(Tick now, UnmapNotice n);
  // Runs every timer that expired at or before `now`, earliest first.
  FlushActions on_time(Tick now);
  // Flushes everything queued now (domain teardown, or the end of a run).
  FlushActions drain(Tick now);
  // The earliest armed timer.
  std::optional<Tick> next_deadline() const;

  std::size_t depth(uint16_t did) const;
  std::size_t total_depth() const;
  const FlushQueueParams& params() const { return p_; }
  const FlushQueueStats& stats() const { return stats_; }

 private:
  struct Queue {
    std::vector<Release> entries;
    std::optional<Tick> deadline;
  };
  void flush(uint16_t did, FlushActions& out);
  void count(const IotlbFlush& f);

  FlushQueueParams p_;
  std::map<uint16_t, Queue> queues_;
  FlushQueueStats stats_;
};

}  // namespace iommusim
