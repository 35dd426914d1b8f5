#include "pcie/tlp_split.h"

#include <algorithm>

namespace iommusim {

std::vector<TlpChunk> split_request(Addr addr, std::uint64_t size, std::uint32_t max_bytes) {
  constexpr std::uint64_t kBoundary = 4096;
  std::vector<TlpChunk> out;
  while (size > 0) {
    const std::uint64_t to_boundary = kBoundary - (addr & (kBoundary - 1));
    const std::uint64_t n = std::min<std::uint64_t>({size, max_bytes, to_boundary});
    out.push_back({addr, static_cast<std::uint32_t>(n)});
    addr += n;
    size -= n;
  }
  return out;
}

}  // namespace iommusim
