// The table walkers' view of memory. The SystemC unit implements it with timed
// reads through its memory socket (and counts them); unit tests back it with a
// map. Entries of 128 bits are read as two qwords, low (lower address) first.
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
};

}  // namespace iommusim
