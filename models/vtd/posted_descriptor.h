// The posted-interrupt descriptor (VT-d 5.2.2, 9.12; Linux struct pi_desc),
// 64 bytes as 8 little-endian qwords:
//   bits 255:0    PIR   one request bit per vector (qwords 0..3)
//   bit 256       ON    outstanding notification (qword 4 bit 0)
//   bit 257       SN    suppress notification    (qword 4 bit 1)
//   bits 279:272  NV    notification vector      (qword 4 bits 23:16)
//   bits 319:288  NDST  notification destination (qword 4 bits 63:32;
//                       xAPIC: APIC ID in NDST[15:8])
//   other bits reserved.
// The update a posted interrupt makes (5.2.3) is iommu/interrupt_remap.h's
// post_interrupt().
#pragma once
#include <array>
#include <cstdint>

namespace iommusim {

inline constexpr unsigned kPostedDescriptorBytes = 64;

struct PostedDescriptor {
  std::array<std::uint64_t, 8> q{};

  bool pir(unsigned vector) const { return (q[(vector & 0xff) / 64] >> (vector % 64)) & 1; }
  void set_pir(unsigned vector) { q[(vector & 0xff) / 64] |= std::uint64_t{1} << (vector % 64); }
  bool on() const { return q[4] & 1; }
  void set_on() { q[4] |= 1; }
  bool sn() const { return (q[4] >> 1) & 1; }
  std::uint32_t nv() const { return static_cast<std::uint32_t>((q[4] >> 16) & 0xff); }
  std::uint32_t ndst() const { return static_cast<std::uint32_t>(q[4] >> 32); }
};

// The APIC ID a notification goes to: NDST[15:8] in xAPIC mode, NDST in x2APIC.
inline std::uint32_t posted_notification_apic_id(std::uint32_t ndst, bool eime) {
  return eime ? ndst : (ndst >> 8) & 0xffu;
}

}  // namespace iommusim
