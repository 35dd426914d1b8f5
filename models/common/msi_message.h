// The interrupt message format the local APICs accept (Intel SDM vol. 3,
// 11.11 "Message Signalled Interrupts"; VT-d 5.1.2.1 "compatibility format"):
// a 4-byte write to 0xFEE00000-0xFEEFFFFF.
//   address bits 19:12  destination APIC ID bits 7:0
//   address bit  3      redirection hint
//   address bit  2      destination mode (1 = logical)
//   address bits 63:40  destination APIC ID bits 31:8 (x2APIC destinations,
//                       the layout Linux uses for the upper address dword:
//                       arch_msi_msg_addr_hi.destid_8_31); bits 39:32 reserved
//   data bits 7:0       vector
//   data bits 10:8      delivery mode
//   data bit  14        level (assert), set for level-triggered interrupts
//   data bit  15        trigger mode (1 = level)
// Devices use it directly when interrupt remapping is off; the remapping unit
// uses it to deliver what an IRTE says, and for its own fault and invalidation
// events.
#pragma once
#include <cstdint>

#include "common/types.h"

namespace iommusim {

struct MsiFields {
  std::uint32_t dest = 0;    // APIC ID (8 bits xAPIC, 32 bits x2APIC)
  std::uint8_t vector = 0;
  std::uint8_t delivery_mode = 0;
  bool logical = false;            // destination mode
  bool redirection_hint = false;
  bool level = false;              // trigger mode
};

inline constexpr Addr kMsiWindowBase = 0xFEE00000, kMsiWindowLimit = 0xFEEFFFFF;

// True when `addr` is an interrupt message address: bits 31:20 = 0xFEE and
// bits 39:32 clear (bits 63:40 carry x2APIC destination bits).
inline bool is_msi_address(Addr addr) {
  return (addr & 0xFFF00000u) == kMsiWindowBase && ((addr >> 32) & 0xFF) == 0;
}

inline MsiFields decode_msi(Addr addr, std::uint32_t data) {
  MsiFields f;
  f.dest = static_cast<std::uint32_t>((addr >> 12) & 0xff) | static_cast<std::uint32_t>((addr >> 40) << 8);
  f.redirection_hint = (addr >> 3) & 1;
  f.logical = (addr >> 2) & 1;
  f.vector = static_cast<std::uint8_t>(data & 0xff);
  f.delivery_mode = static_cast<std::uint8_t>((data >> 8) & 7);
  f.level = (data >> 15) & 1;
  return f;
}

inline Addr msi_address(const MsiFields& f) {
  return kMsiWindowBase | (Addr{f.dest & 0xffu} << 12) | (Addr{f.dest >> 8} << 40) |
         (f.redirection_hint ? Addr{1} << 3 : 0) | (f.logical ? Addr{1} << 2 : 0);
}

inline std::uint32_t msi_data(const MsiFields& f) {
  return f.vector | (std::uint32_t{f.delivery_mode & 7u} << 8) | (f.level ? (1u << 15) | (1u << 14) : 0);
}

}  // namespace iommusim
