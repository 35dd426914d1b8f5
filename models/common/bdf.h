// PCI requester identity: segment, bus, device, function.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iommusim {

struct Bdf {
  uint16_t segment = 0;
  uint8_t bus = 0, dev = 0, fn = 0;

  // 16-bit requester ID as carried in a TLP: bus[15:8] dev[7:3] fn[2:0].
  uint16_t rid() const { return static_cast<uint16_t>(bus << 8 | dev << 3 | fn); }
  // "00:03.0", or "0001:3a:00.1" when the segment is not 0.
  std::string str() const;
  // The name of an endpoint the platform creates for this function itself
  // (a trace's device, a DMAR scope's device): ep_BB_DD_F, or
  // ep_SSSS_BB_DD_F when the segment is not 0.
  std::string endpoint_name() const;

  bool operator==(const Bdf& o) const {
    return segment == o.segment && bus == o.bus && dev == o.dev && fn == o.fn;
  }
  bool operator!=(const Bdf& o) const { return !(*this == o); }
  bool operator<(const Bdf& o) const {
    if (segment != o.segment) return segment < o.segment;
    return rid() < o.rid();
  }
};

// Parses "BB:DD.F" or "SSSS:BB:DD.F" (hex, either case; exactly 2, 2, 1 and 4
// digits). Returns nothing if malformed or out of range (dev > 0x1f, fn > 7).
std::optional<Bdf> parse_bdf(std::string_view s);

}  // namespace iommusim
