// Invalidation granularities shared by the register-based commands and the
// queued-invalidation descriptors (one encoding, two carriers):
//   ContextGranularity: CCMD.CIRG / CAIG (VT-d 11.4.7.1) and the context-cache
//     invalidate descriptor's G field (6.5.2.1);
//   IotlbGranularity: IOTLB_REG.IIRG / IAIG (11.4.8.1) and the IOTLB
//     invalidate descriptor's G field (6.5.2.3).
// Reserved (00b) is what the actual-granularity fields report for a request
// that was not carried out.
#pragma once
#include <cstdint>

namespace iommusim {

enum class ContextGranularity : std::uint8_t { Reserved = 0, Global = 1, Domain = 2, Device = 3 };
enum class IotlbGranularity : std::uint8_t { Reserved = 0, Global = 1, Domain = 2, Page = 3 };

}  // namespace iommusim
