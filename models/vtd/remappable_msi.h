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
// Whether `addr` is in the interrupt window 0xFEEx_xxxx (bits 63:32 zero).
inline constexpr bool msi_in_window(Addr addr) { return (addr >> 32) == 0 && ((addr >> 20) & 0xfff) == 0xfee; }

// The fields of a remappable-format request (address and data).
struct RemappableMsi {
  std::uint16_t handle = 0;     // address bits 19:5 and 2
  bool shv = false;             // address bit 3
  std::uint16_t subhandle = 0;  // data bits 15:0
  bool data_reserved = false;   // data bits 31:16 set (reserved)
  // interrupt_index (5.1.3): handle, plus the subhandle when SHV.
  std::uint32_t index() const { return shv ? std::uint32_t{handle} + subhandle : handle; }
  static RemappableMsi decode(Addr addr, std::uint32_t data) {
    RemappableMsi m;
    m.handle = static_cast<std::uint16_t>(((addr >> 5) & 0x7fff) | (((addr >> 2) & 1) << 15));
    m.shv = (addr & kMsiAddrShv) != 0;
    m.subhandle = static_cast<std::uint16_t>(data & 0xffff);
    m.data_reserved = (data & 0xffff0000u) != 0;
    return m;
  }
};

// A remappable-format address for `handle` (bits 31:20 = 0xFEE).
inline constexpr Addr msi_remappable_address(std::uint16_t handle, bool shv) {
  return kMsiAddrBase | (Addr{handle & 0x7fffu} << 5) | kMsiAddrRemappable | (shv ? kMsiAddrShv : 0) |
         (Addr{(handle >> 15) & 1u} << 2);
}

}  // namespace iommusim
