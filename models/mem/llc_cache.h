// The host last-level cache's state: which lines it holds, in which way,
// clean or dirty, and the replacement order. Plain C++ (no SystemC, no
// timing); the SystemC shell (mem/llc.h) adds the sockets and the latencies
// (docs/models/memory.md, "Host last-level cache").
//
// Organisation: `size_bytes / (ways * line_bytes)` sets of `ways` ways of
// `line_bytes`. A line's set:
//   * modulo:   (addr / line_bytes) % sets
//   * xor_fold: with b = ceil(log2(sets)) (0 for one set), the line number
//               n = addr / line_bytes cut into b-bit pieces from bit 0 up and
//               the pieces XORed together (h = 0; while n: h ^= n & (2^b - 1);
//               n >>= b), then h % sets. A documented stand-in for Intel's
//               undocumented slice hash: every address bit moves the set.
// Replacement: true LRU by a global use stamp per line; an invalid way is
// filled first, else the least recently used candidate. Free ways: an I/O
// allocation takes the lowest of its DDIO ways, a CPU one the highest way, so
// that in a cold (partly empty) cache CPU lines, such as the page tables the
// driver wrote, start outside the ways DDIO writes evict; in a full cache LRU
// alone decides, as in a real one.
//
// Two kinds of requester (all per line):
//   I/O (DMA, the remapping units' table reads)
//     read   hit: served, the replacement order does not change;
//            miss: no allocation (the shell reads memory).
//     write  ddio_ways > 0: hit: updated in place, dirty, touched;
//              miss: allocated dirty into ways [0, ddio_ways) of its set, LRU
//              among them (Intel DDIO write-allocate; a partial line
//              allocates as a whole line: the bytes live in memory's store).
//            ddio_ways = 0: not cached; a cached copy is dropped (written
//              back first if dirty); the shell writes memory.
//   CPU (the host's accesses)
//     read   hit: touched; miss: allocated clean into any way (LRU of the set).
//     write  hit: dirty, touched; miss: allocated dirty into any way
//            (write-back, write-allocate: the shell fetches the line first).
// A dirty victim is reported as a writeback of its line address.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "common/types.h"
#include "mem/cache_state.h"

namespace iommusim {

struct LlcGeometry {
  std::uint64_t size_bytes = 20ull << 20;  // Xeon E5-2660 v3 (Haswell-EP): 20 MiB
  unsigned ways = 20;                      // Haswell-EP: 20-way
  std::uint64_t line_bytes = 64;
  unsigned ddio_ways = 2;  // ways DMA writes may allocate into (Haswell-EP: 2 of 20)
  enum class Index { Modulo, XorFold } index = Index::Modulo;
};

class LlcCache {
 public:
  // The outcome for one line.
  struct LineResult {
    bool hit = false;        // the line was in the cache
    bool in_cache = false;   // the access completes in the cache (read data there, or the write absorbed)
    bool allocated = false;  // a new line was allocated
    bool evicted = false;    // the allocation replaced a valid line (clean or dirty)
    std::optional<Addr> writeback;  // a dirty line (its address) to write to memory
  };

  // Throws InputError whose message starts with the field name, e.g.
  // "ways: expected ways to divide size_bytes / line_bytes ..."; the caller
  // adds the key path.
  static void validate(const LlcGeometry& g);

  explicit LlcCache(const LlcGeometry& g);

  const LlcGeometry& geometry() const { return g_; }
  std::uint64_t sets() const { return sets_; }
  std::uint64_t set_of(Addr a) const;
  Addr line_of(Addr a) const { return a - a % g_.line_bytes; }

  LineResult io_read(Addr a);
  LineResult io_write(Addr a);
  LineResult cpu_read(Addr a);
  LineResult cpu_write(Addr a);
  // Drops the line (clflush without the writeback: the bytes are in memory's
  // store already); true if it was cached.
  bool flush(Addr a);

  // The host cache state of a benchmark, set up untimed (cache_state.h):
  //   Cold          every line of the range dropped;
  //   HostWarm      cpu_read of every line in address order (a range larger
  //                 than the cache leaves its last part);
  //   DeviceWarm    io_write of every line in address order (dirty, DDIO ways;
  //                 nothing with ddio_ways = 0);
  //   DeviceThrash  the range dropped, then the DDIO ways of every set filled
  //                 with dirty lines outside the range: candidate lines from
  //                 the range's end upwards, wrapping at the end of
  //                 [mem_base, mem_base + mem_size) to its start, each taken
  //                 if not cached and its set still has a DDIO way without
  //                 such a line (at most 64 * sets * ddio_ways candidates,
  //                 enough for any set index; modulo fills every set from the
  //                 first ddio_ways * sets candidates).
  // Victims' writebacks are dropped (untimed; memory's bytes are current).
  void prepare(const CachePreparation& p, Addr mem_base, std::uint64_t mem_size);

  // Inspection.
  bool contains(Addr a) const { return find(a) >= 0; }
  bool dirty(Addr a) const;
  std::optional<unsigned> way_of(Addr a) const;
  std::uint64_t valid_lines() const;
  std::uint64_t dirty_lines() const;

 private:
  struct Line {
    Addr tag = 0;  // line address
    bool valid = false, dirty = false;
    std::uint64_t stamp = 0;  // last use; larger is more recent
  };

  long find(Addr a) const;  // slot index or -1
  // Picks a way among [0, ways_limit) of the set: the lowest invalid one,
  // else the least recently used. Writes the new line and reports a dirty victim.
  LineResult allocate(Addr line, unsigned ways_limit, bool dirty);
  void touch(Line& l) { l.stamp = ++clock_; }

  LlcGeometry g_;
  std::uint64_t sets_;
  unsigned index_bits_ = 0;
  std::vector<Line> lines_;  // set * ways + way
  std::uint64_t clock_ = 0;
};

}  // namespace iommusim
