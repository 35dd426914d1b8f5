// Helpers for the RTL walker cosimulation tests: random, seeded table
// memories, and one walk run on both walkers and compared. Tables built by
// hand are tb/support's HandSlTables.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fake_table_memory.h"
#include "hand_sl_tables.h"
#include "iommu/rtl_walker.h"
#include "vtd/sl_pte.h"
#include "iommu/sl_walker.h"
#include "iommu/table_reader.h"
#include "iommu/walk_cosim.h"

namespace iommusim::test {

constexpr std::uint64_t bit(unsigned n) { return std::uint64_t{1} << n; }

// Seeded random second-level tables, made up as they are read: the qword at
// an address is a function of (seed, address). Tables live in a pool of
// pages; entries are table pointers into the pool (with random R/W), pages
// and superpages, not-present entries, entries with one extra bit set
// (reserved or ignored), garbage, and pointers into a page range whose reads
// fail. `clean` walks mostly translate; the others mostly fault.
class RandomTables : public TableReader {
 public:
  static constexpr Addr kPool = 0x40000000;       // 256 table pages from here
  static constexpr Addr kBad = 0x7f00000000ull;   // reads from here fail
  std::uint64_t seed = 1;
  bool clean = false;

  static std::uint64_t mix(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  static Addr pool_page(std::uint64_t h) { return kPool + (h % 256) * 0x1000; }

  std::uint64_t read_qword(Addr pa) override { return entry_at(pa); }
  bool try_read_qword(Addr pa, std::uint64_t& v) override {
    ++reads;
    if (pa >= kBad && pa < kBad + 0x100000) return false;
    v = entry_at(pa);
    return true;
  }
  unsigned reads = 0;

  std::uint64_t entry_at(Addr pa) const {
    const std::uint64_t h = mix(seed * 0x100000001b3ull ^ pa);
    const std::uint64_t h2 = mix(h);
    const unsigned kind = static_cast<unsigned>(h % 100);
    const bool r = (h2 % 10) != 0, w = (h2 % 10) != 1;  // 10 % lack R, 10 % lack W
    const std::uint64_t ignored = (h2 >> 8) & (bit(2) | bit(4) | bit(6) | bit(8) | bit(10) | bit(63) | bit(55));
    if (clean) {
      if (kind < 3) return 0;                                                // not present
      if (kind < 80) return sl_make_table(pool_page(h >> 8), true, true) | ignored;
      if (kind < 88) return sl_make_page(((h >> 20) & 0x3ff) << 30, 3, r, w);  // a superpage frame: 1 GiB aligned
      if (kind < 95) return sl_make_page(((h >> 20) & 0x3ffff) << 21, 2, r, w);  // 2 MiB aligned
      return sl_make_page(((h >> 20) & 0xffffff) << 12, 1, r, w) | ignored;
    }
    if (kind < 10) return (h2 >> 16) & ~std::uint64_t{3};                   // not present, other bits random
    if (kind < 50) return sl_make_table(pool_page(h >> 8), r, w) | ignored;
    if (kind < 62) return sl_make_page(((h >> 20) & 0xffffff) << 12, 2, r, w);  // PS=1, random alignment
    if (kind < 70) return sl_make_page(((h >> 20) & 0xffffff) << 12, 1, r, w) | (h2 & bit(7));
    if (kind < 85) {
      // One more bit: reserved somewhere, ignored elsewhere.
      static const unsigned bits[] = {7, 11, 62, 51, 50, 49, 48, 47, 46, 45, 40, 39, 3, 9, 61, 52, 12, 20, 29};
      const unsigned b = bits[(h2 >> 32) % (sizeof(bits) / sizeof(bits[0]))];
      return (kind < 78 ? sl_make_table(pool_page(h >> 8), r, w) : sl_make_page((h >> 40) << 30, 3, r, w)) | bit(b);
    }
    if (kind < 93) return h2;                                               // garbage
    return sl_make_table(kBad + ((h >> 8) % 256) * 0x1000, r, w);            // a table that cannot be read
  }
};

struct CosimRun {
  SlWalkParams p;
  SlWalkRequest q;
  SlWalkResult tlm;
  std::vector<WalkRead> tlm_reads;
  RtlWalkOutcome rtl;
  unsigned diff = 0;  // compare_walks
  std::string report() const {
    return diff ? describe_walk_mismatch(p, q, tlm, tlm_reads, rtl.result, rtl.reads, diff)
                : "match: " + describe_walk_result(tlm);
  }
};

// One request on both walkers over the same memory, `latency` ps per read,
// clock period `cycle_ps`.
inline CosimRun run_both(RtlSlWalker& rtl, TableReader& mem, const SlWalkParams& p, const SlWalkRequest& q,
                         Tick latency = 0, Tick cycle_ps = 1000, Tick start = 0) {
  CosimRun c;
  c.p = p;
  c.q = q;
  RecordingReader rec(mem);
  c.tlm = walk_second_level(rec, p, q.iova, q.write, q.read, q.start_level, q.start_table, q.start_r, q.start_w);
  c.tlm_reads = rec.log();
  FixedLatencyMemory fm(mem, latency);
  c.rtl = rtl.walk(fm, start, cycle_ps, p, q);
  c.diff = compare_walks(c.tlm, c.tlm_reads, c.rtl.result, c.rtl.reads);
  return c;
}

inline SlWalkRequest read_of(Addr iova) {
  SlWalkRequest q;
  q.iova = iova;
  q.read = true;
  return q;
}
inline SlWalkRequest write_of(Addr iova) {
  SlWalkRequest q;
  q.iova = iova;
  q.write = true;
  return q;
}

}  // namespace iommusim::test
