// The host cache state a DMA benchmark prepares before it measures
// (pcie-bench's `Cache` column, Neugebauer et al., SIGCOMM 2018, section 4):
//
//   Cold          the buffer is not in the host's last-level cache
//   HostWarm      the host CPU touched the buffer (its lines are in the LLC)
//   DeviceWarm    the device wrote the buffer first (DDIO allocated its lines
//                 into the LLC's I/O ways)
//   DeviceThrash  the device accessed a region larger than the LLC: the
//                 buffer is not cached and the I/O ways hold other dirty lines
//
// A workload names the state and the host-physical range it applies to; the
// platform asks the host cache model (mem/llc.h) to set it up before the run.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "common/types.h"

namespace iommusim {

enum class CacheState { Cold, HostWarm, DeviceWarm, DeviceThrash };

struct CachePreparation {
  CacheState state = CacheState::Cold;
  Addr base = 0;            // host-physical
  std::uint64_t size = 0;   // bytes
};

// pcie-bench's spelling: "Cold", "HWarm", "DWarm", "DThrash" (case-insensitive).
inline std::optional<CacheState> parse_cache_state(const std::string& s) {
  std::string l;
  for (char c : s) l += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (l == "cold") return CacheState::Cold;
  if (l == "hwarm") return CacheState::HostWarm;
  if (l == "dwarm") return CacheState::DeviceWarm;
  if (l == "dthrash") return CacheState::DeviceThrash;
  return std::nullopt;
}

inline const char* cache_state_name(CacheState s) {
  switch (s) {
    case CacheState::Cold: return "Cold";
    case CacheState::HostWarm: return "HWarm";
    case CacheState::DeviceWarm: return "DWarm";
    case CacheState::DeviceThrash: return "DThrash";
  }
  return "?";
}

}  // namespace iommusim
