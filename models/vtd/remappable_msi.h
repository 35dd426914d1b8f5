// The interrupt request address in remappable format (VT-d 5.1.2.2), the
// format software programs into a device's MSI/MSI-X registers once interrupt
// remapping is on, and the remapping unit decodes (iommu/interrupt_remap.h):
//   bits 31:20  0xFEE
//   bits 19:5   handle[14:0]
//   bit 4       interrupt format: 1 remappable, 0 compatibility
//   bit 3       SHV  subhandle valid
//   bit 2       handle[15]
//   bits 1:0    don't care
// MSI data, remappable format: bits 15:0 subhandle (used when SHV), bits 31:16
// reserved. interrupt_index = handle (+ subhandle when SHV), 5.1.3.
#pragma once
#include <cstdint>

#include "common/types.h"

namespace iommusim {

inline constexpr Addr kMsiAddrBase = 0xfee00000;
inline constexpr Addr kMsiAddrRemappable = 1u << 4;  // interrupt format
inline constexpr Addr kMsiAddrShv = 1u << 3;
// A remappable-format address for `handle` (bits 31:20 = 0xFEE).
inline constexpr Addr msi_remappable_address(std::uint16_t handle, bool shv) {
  return kMsiAddrBase | (Addr{handle & 0x7fffu} << 5) | kMsiAddrRemappable | (shv ? kMsiAddrShv : 0) |
         (Addr{(handle >> 15) & 1u} << 2);
}

}  // namespace iommusim
