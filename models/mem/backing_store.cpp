#include "mem/backing_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "common/error.h"

namespace iommusim {

SparseMemory::SparseMemory(unsigned address_bits) : address_bits_(address_bits) {
  if (address_bits < 32 || address_bits > 64)
    throw InputError(fmt::format("address_bits: expected 32..64, got {}", address_bits));
}

bool SparseMemory::in_range(Addr a, uint64_t size) const {
  if (address_bits_ == 64)
    return size == 0 || size - 1 <= std::numeric_limits<uint64_t>::max() - a;
  const uint64_t limit = uint64_t{1} << address_bits_;
  return a <= limit && size <= limit - a;
}

void SparseMemory::check(Addr a, uint64_t size) const {
  if (!in_range(a, size))
    throw std::out_of_range(fmt::format(
        "memory access at {:#x} ({} bytes) is outside the {}-bit physical address space", a,
        size, address_bits_));
}

SparseMemory::Page& SparseMemory::page(uint64_t number) {
  auto& p = pages_[number];  // make_unique value-initialises: zeros
  if (!p) p = std::make_unique<Page>();
  return *p;
}

void SparseMemory::read(Addr a, uint8_t* dst, uint64_t size) const {
  check(a, size);
  while (size > 0) {
    const uint64_t offset = a % kPageBytes;
    const uint64_t n = std::min(size, kPageBytes - offset);
    auto it = pages_.find(a / kPageBytes);
    if (it == pages_.end())
      std::memset(dst, 0, n);
    else
      std::memcpy(dst, it->second->data() + offset, n);
    a += n;
    dst += n;
    size -= n;
  }
}

void SparseMemory::write(Addr a, const uint8_t* src, uint64_t size) {
  check(a, size);
  while (size > 0) {
    const uint64_t offset = a % kPageBytes;
    const uint64_t n = std::min(size, kPageBytes - offset);
    std::memcpy(page(a / kPageBytes).data() + offset, src, n);
    a += n;
    src += n;
    size -= n;
  }
}

uint64_t SparseMemory::read_le(Addr a, unsigned size) const {
  if (size < 1 || size > 8)
    throw std::invalid_argument(fmt::format("read_le: size {} not in 1..8", size));
  uint8_t bytes[8];
  read(a, bytes, size);
  uint64_t v = 0;
  for (unsigned i = size; i-- > 0;) v = v << 8 | bytes[i];
  return v;
}

void SparseMemory::write_le(Addr a, uint64_t v, unsigned size) {
  if (size < 1 || size > 8)
    throw std::invalid_argument(fmt::format("write_le: size {} not in 1..8", size));
  uint8_t bytes[8];
  for (unsigned i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(v >> (8 * i));
  write(a, bytes, size);
}

uint8_t* SparseMemory::page_for_dmi(Addr a) {
  check(a, 1);
  return page(a / kPageBytes).data();
}

}  // namespace iommusim
