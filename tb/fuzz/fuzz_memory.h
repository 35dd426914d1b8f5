// Memory for the walker harnesses: every qword a walk reads is taken from the
// fuzzer's input the first time it is read (a first byte of 0xff makes that
// address fail to read) and then kept, so that a second walk over the same
// memory sees the same contents.
#pragma once
#include <map>

#include "fuzz_check.h"
#include "iommu/table_reader.h"

namespace iommusim_fuzz {

class FuzzMemory : public iommusim::TableReader {
 public:
  explicit FuzzMemory(ByteSource& in) : in_(in) {}

  uint64_t read_qword(iommusim::Addr pa) override {
    uint64_t v = 0;
    try_read_qword(pa, v);
    return v;
  }
  bool try_read_qword(iommusim::Addr pa, uint64_t& value) override {
    FUZZ_CHECK(pa % 8 == 0, "unaligned table read at %#llx", (unsigned long long)pa);
    ++reads_;
    auto it = mem_.find(pa);
    if (it == mem_.end()) {
      Cell c;
      c.fails = in_.u8() == 0xff;
      c.value = in_.u64();
      it = mem_.emplace(pa, c).first;
    }
    value = it->second.value;
    return !it->second.fails;
  }
  // What a read of `pa` returned (the address must have been read).
  bool known(iommusim::Addr pa, uint64_t& value, bool& fails) const {
    auto it = mem_.find(pa);
    if (it == mem_.end()) return false;
    value = it->second.value;
    fails = it->second.fails;
    return true;
  }
  unsigned long reads() const { return reads_; }

 private:
  struct Cell {
    uint64_t value = 0;
    bool fails = false;
  };
  ByteSource& in_;
  std::map<iommusim::Addr, Cell> mem_;
  unsigned long reads_ = 0;
};

}  // namespace iommusim_fuzz
