// The table walkers' view of memory. The SystemC unit implements it with timed
// reads through its memory socket (and counts them); unit tests back it with a
// map. Entries wider than 64 bits (root and context entries, PASID-table
// entries) are read with try_read_entry, in one access where the memory allows.
#pragma once
#include <cstdint>

#include "common/types.h"

namespace iommusim {

class TableReader {
 public:
  virtual ~TableReader() = default;

  // One little-endian 64-bit read at `pa` (8-byte aligned).
  virtual uint64_t read_qword(Addr pa) = 0;

  // As read_qword, but may report that the access failed (an address outside
  // memory, an uncorrectable error): the walkers turn a failure into the
  // spec's access-error fault (0x7/0x8/0x9, or 0x3 through SLPTPTR). The
  // default never fails.
  virtual bool try_read_qword(Addr pa, uint64_t& value) {
    value = read_qword(pa);
    return true;
  }

  // Reads the `n` qwords of one entry at `pa` (naturally aligned), low first.
  // A hardware walker fetches such an entry in one memory access; the default
  // reads qword by qword.
  virtual bool try_read_entry(Addr pa, uint64_t* q, unsigned n) {
    for (unsigned i = 0; i < n; ++i)
      if (!try_read_qword(pa + Addr{i} * 8, q[i])) return false;
    return true;
  }
};

}  // namespace iommusim
