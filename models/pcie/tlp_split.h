// Splitting a DMA into PCIe request TLPs (PCIe Base Specification 2.2.7 / 2.2.2):
// a memory read request asks for at most Max_Read_Request_Size bytes, a memory
// write carries at most Max_Payload_Size bytes, and no request may cross a
// 4 KiB address boundary. Chunks are taken in address order, each as large as
// those three limits allow.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/types.h"

namespace iommusim {

struct TlpChunk {
  Addr addr;
  std::uint32_t size;
};

// The chunks one at a time, in order, without building a list (the
// endpoint's per-DMA path): `while (s.next(c))`. Same preconditions as
// split_request.
class TlpSplitter {
 public:
  TlpSplitter(Addr addr, std::uint64_t size, std::uint32_t max_bytes)
      : addr_(addr), size_(size), max_bytes_(max_bytes) {}

  bool next(TlpChunk& c) {
    if (size_ == 0) return false;
    constexpr std::uint64_t kBoundary = 4096;
    const std::uint64_t to_boundary = kBoundary - (addr_ & (kBoundary - 1));
    const std::uint64_t n = std::min<std::uint64_t>({size_, max_bytes_, to_boundary});
    c = TlpChunk{addr_, static_cast<std::uint32_t>(n)};
    addr_ += n;
    size_ -= n;
    return true;
  }

 private:
  Addr addr_;
  std::uint64_t size_;
  std::uint32_t max_bytes_;
};

// `max_bytes` is MRRS for reads, MPS for writes. Precondition: size >= 1,
// max_bytes >= 1, addr + size does not overflow.
std::vector<TlpChunk> split_request(Addr addr, std::uint64_t size, std::uint32_t max_bytes);

}  // namespace iommusim
