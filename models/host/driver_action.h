// What the host driver model asks the SystemC host shell to do, in order.
//
// The driver logic (dma_api.h) decides everything at the moment it is
// called - IOVAs are allocated and freed, shadows of the page tables are
// updated - and returns the side effects the simulated machine must see, in
// program order, for the shell to perform with timing:
//
//   Write       an 8-byte store to simulated memory (a page-table entry, or
//               a zero clearing a recycled table page)
//   Invalidate  an IOTLB invalidation: write its queued-invalidation
//               descriptor (IotlbFlush::descriptor()) and ring the tail
//   Wait        an invalidation-wait descriptor; the CPU spins until it
//               completes (Linux qi_submit_sync())
//   Cpu         CPU time the driver spends (parameters; 0 = not charged)
//   FreeIova    informational: the IOVA range returned to the allocator at
//               this point (already done in the logic)
//   ReleaseTables informational: table pages returned to the pool
//
// A Wait always follows the Invalidate(s) it completes; FreeIova and
// ReleaseTables of an invalidated range come after that Wait, so a shell that
// performs the actions in order never lets a device reuse an IOVA or a table
// page before the IOMMU has forgotten it.
#pragma once
#include <cstdint>
#include <cstddef>
#include <iterator>
#include <string>
#include <vector>

#include "common/strided_runs.h"
#include "common/types.h"
#include "host/iotlb_flush.h"
#include "host/iova_allocator.h"

namespace iommusim {

enum class CpuCost : uint8_t { Map, Unmap, InvalidationWait };

struct DriverAction {
  enum class Kind : uint8_t { Write, Invalidate, Wait, Cpu, FreeIova, ReleaseTables };
  Kind kind = Kind::Write;
  // Write
  Addr pa = 0;
  uint64_t value = 0;
  // Invalidate
  IotlbFlush flush;
  // Cpu
  Tick cpu = 0;
  CpuCost cost = CpuCost::Map;
  // FreeIova, ReleaseTables
  uint16_t did = 0;
  IovaRange iova;
  std::vector<Addr> tables;

  static DriverAction write(Addr pa, uint64_t value);
  static DriverAction invalidate(const IotlbFlush& f);
  static DriverAction wait();
  static DriverAction cpu_time(CpuCost c, Tick t);
  static DriverAction free_iova(uint16_t did, const IovaRange& r);
  static DriverAction release_tables(uint16_t did, std::vector<Addr> pages);

  std::string str() const;  // one line, for logs and test failures
};

// The actions of one call, in order. It reads as a sequence of DriverAction
// (iteration yields each action by value, Writes one by one), but stores
// consecutive Writes as runs (common/strided_runs.h) and every other action
// as it is: a map of 10^6 4 KiB pages returns a few runs per table instead
// of 10^6 DriverActions (issue 15; docs/performance.md, "Issue 15: memory
// per mapped page").
class DriverActions {
 public:
  struct WriteOp {
    uint64_t pa = 0, value = 0;
  };
  using Writes = StridedRuns<WriteOp, &WriteOp::pa, &WriteOp::value>;

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = DriverAction;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = DriverAction;

    const_iterator() = default;
    DriverAction operator*() const;
    const_iterator& operator++();
    bool operator==(const const_iterator& o) const { return seg_ == o.seg_ && off_ == o.off_; }
    bool operator!=(const const_iterator& o) const { return !(*this == o); }

   private:
    friend class DriverActions;
    const DriverActions* owner_ = nullptr;
    std::size_t seg_ = 0, off_ = 0;  // segment, position in it
    Writes::const_iterator write_;   // the next write
  };
  using value_type = DriverAction;
  using iterator = const_iterator;

  void push_back(DriverAction a);  // a Write joins the write runs
  void push_write(Addr pa, uint64_t value);

  std::size_t size() const { return writes_.size() + others_.size(); }
  bool empty() const { return segments_.empty(); }
  const_iterator begin() const;
  const_iterator end() const;
  // The i-th action (std::out_of_range past the end); O(segments + log runs).
  DriverAction operator[](std::size_t i) const;

  const Writes& writes() const { return writes_; }  // every Write, in order

 private:
  // Consecutive actions of one sort: `count` Writes from writes_[first], or
  // `count` other actions from others_[first].
  struct Segment {
    bool writes = false;
    std::size_t first = 0, count = 0;
  };
  std::vector<Segment> segments_;
  Writes writes_;
  std::vector<DriverAction> others_;
};

const char* to_string(DriverAction::Kind k);
const char* to_string(CpuCost c);

}  // namespace iommusim
