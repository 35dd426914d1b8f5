// The memory the unit tests give table walkers and table builders: sparse
// qwords in a map (a qword never written reads 0, so a missing entry is not
// present), reads that fail at chosen qwords or pages (the walkers turn them
// into access-error faults), and a count and log of the reads, for tests of
// how many and which accesses a walk makes.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "common/types.h"
#include "iommu/table_reader.h"

namespace iommusim::test {

class FakeTableMemory : public TableReader {
 public:
  std::map<Addr, std::uint64_t> mem;  // qword address -> value
  std::set<Addr> bad;                 // qword addresses whose reads fail
  std::set<Addr> bad_pages;           // 4 KiB pages whose reads fail
  unsigned count = 0;                 // reads that reached memory
  std::vector<Addr> log;              // their addresses, in order

  std::uint64_t read_qword(Addr pa) override {
    ++count;
    log.push_back(pa);
    return at(pa);
  }
  bool try_read_qword(Addr pa, std::uint64_t& v) override {
    if (bad.count(pa) || bad_pages.count(pa & ~Addr{0xfff})) return false;
    v = read_qword(pa);
    return true;
  }

  // What `pa` holds, without counting a read.
  std::uint64_t at(Addr pa) const {
    auto it = mem.find(pa);
    return it == mem.end() ? 0 : it->second;
  }
  // A 128-bit entry, low qword first.
  void put(Addr pa, std::uint64_t lo, std::uint64_t hi) {
    mem[pa] = lo;
    mem[pa + 8] = hi;
  }
  // The write callback of the table builders (host/table_builder.h,
  // host/domain_page_table.h, host/boot_tables.h): stores into this memory.
  std::function<void(Addr, std::uint64_t)> writer() {
    return [this](Addr pa, std::uint64_t v) { mem[pa] = v; };
  }
};

}  // namespace iommusim::test
