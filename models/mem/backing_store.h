// The bytes of simulated physical memory.
//
// Sparse: 4 KiB pages are allocated on first write, so a 52-bit address space
// costs only what the workload touches. Untouched memory reads as zeros, as
// DRAM scrubbed at boot would.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "common/types.h"

namespace iommusim {

class SparseMemory {
 public:
  static constexpr uint64_t kPageBytes = 4096;

  // `address_bits` is the physical address width (VT-d's HAW/MGAW is at most
  // 52 bits today); 32..64, else InputError.
  explicit SparseMemory(unsigned address_bits = 52);

  unsigned address_bits() const { return address_bits_; }

  // Whether [a, a + size) lies below 2^address_bits (no wrap-around).
  bool in_range(Addr a, uint64_t size) const;

  // Copy bytes out of / into memory; both may cross pages. Throw
  // std::out_of_range naming the address when not in_range(a, size).
  void read(Addr a, uint8_t* dst, uint64_t size) const;
  void write(Addr a, const uint8_t* src, uint64_t size);

  // Little-endian integers of 1..8 bytes (std::invalid_argument otherwise), as
  // VT-d table entries and x86 memory hold them.
  uint64_t read_le(Addr a, unsigned size) const;
  void write_le(Addr a, uint64_t v, unsigned size);

  // The 4 KiB page holding `a`, allocated if untouched, for TLM direct memory
  // interface (DMI) grants. The pointer stays valid for the memory's lifetime.
  uint8_t* page_for_dmi(Addr a);

  std::size_t pages_allocated() const { return pages_.size(); }

 private:
  using Page = std::array<uint8_t, kPageBytes>;

  void check(Addr a, uint64_t size) const;
  Page& page(uint64_t number);

  unsigned address_bits_;
  std::unordered_map<uint64_t, std::unique_ptr<Page>> pages_;  // by a / 4096
};

}  // namespace iommusim
