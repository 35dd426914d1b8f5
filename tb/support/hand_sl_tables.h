// Second-level tables written entry by entry into a FakeTableMemory, for
// walker tests that need entries no software builder would write (reserved
// bits, odd permissions, pointers anywhere): each entry is reachable by
// reference. Intermediate tables are created read+write, from 0x1001000 up.
// Tables as a driver builds them come from host/boot_tables.h instead.
#pragma once
#include <cstdint>

#include "common/types.h"
#include "fake_table_memory.h"
#include "iommu/sl_walker.h"
#include "vtd/sl_pte.h"

namespace iommusim::test {

struct HandSlTables {
  FakeTableMemory m;
  Addr root;
  unsigned levels;
  Addr next_free = 0x1000000;
  explicit HandSlTables(unsigned lv) : levels(lv) { root = alloc(); }
  Addr alloc() { return next_free += 0x1000; }
  static Addr entry_addr(Addr table, Addr iova, unsigned level) { return table + sl_index(iova, level) * 8; }
  // Address of the entry for `iova` at `leaf_level`, creating tables above it.
  Addr slot(Addr iova, unsigned leaf_level) {
    Addr table = root;
    for (unsigned l = levels; l > leaf_level; --l) {
      const Addr ea = entry_addr(table, iova, l);
      auto it = m.mem.find(ea);
      if (it == m.mem.end()) {
        const Addr t = alloc();
        m.mem[ea] = sl_make_table(t);
        table = t;
      } else {
        table = it->second & SlPte::kAddrMask;
      }
    }
    return entry_addr(table, iova, leaf_level);
  }
  // The table entry at `level` on the path of `iova` (creating the path).
  std::uint64_t& entry(Addr iova, unsigned level) { return m.mem[slot(iova, level)]; }
  void map(Addr iova, Addr frame, unsigned leaf_level = 1, bool r = true, bool w = true) {
    m.mem[slot(iova, leaf_level)] = sl_make_page(frame, leaf_level, r, w);
  }
  SlWalkParams params(unsigned haw = 48) const {
    SlWalkParams p;
    p.table = root;
    p.levels = levels;
    p.haw = haw;
    return p;
  }
};

}  // namespace iommusim::test
