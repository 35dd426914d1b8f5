#include "pcie/tlp_split.h"

namespace iommusim {

std::vector<TlpChunk> split_request(Addr addr, std::uint64_t size, std::uint32_t max_bytes) {
  std::vector<TlpChunk> out;
  TlpSplitter s(addr, size, max_bytes);
  for (TlpChunk c; s.next(c);) out.push_back(c);
  return out;
}

}  // namespace iommusim
