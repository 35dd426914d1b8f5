// Splitting a DMA into PCIe request TLPs (PCIe Base Specification 2.2.7 / 2.2.2):
// a memory read request asks for at most Max_Read_Request_Size bytes, a memory
// write carries at most Max_Payload_Size bytes, and no request may cross a
// 4 KiB address boundary. Chunks are taken in address order, each as large as
// those three limits allow.
#pragma once
#include <cstdint>
#include <vector>

#include "common/types.h"

namespace iommusim {

struct TlpChunk {
  Addr addr;
  std::uint32_t size;
};

// `max_bytes` is MRRS for reads, MPS for writes. Precondition: size >= 1,
// max_bytes >= 1, addr + size does not overflow.
std::vector<TlpChunk> split_request(Addr addr, std::uint64_t size, std::uint32_t max_bytes);

}  // namespace iommusim
