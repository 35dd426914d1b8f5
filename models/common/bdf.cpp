#include "common/bdf.h"

#include <fmt/format.h>

namespace iommusim {

std::string Bdf::str() const {
  if (segment != 0) return fmt::format("{:04x}:{:02x}:{:02x}.{:x}", segment, bus, dev, fn);
  return fmt::format("{:02x}:{:02x}.{:x}", bus, dev, fn);
}

std::string Bdf::endpoint_name() const {
  return segment ? fmt::format("ep_{:04x}_{:02x}_{:02x}_{:x}", segment, bus, dev, fn)
                 : fmt::format("ep_{:02x}_{:02x}_{:x}", bus, dev, fn);
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads exactly n hex digits from the front of s.
std::optional<unsigned> take_hex(std::string_view& s, size_t n) {
  if (s.size() < n) return std::nullopt;
  unsigned v = 0;
  for (size_t i = 0; i < n; ++i) {
    int d = hex_digit(s[i]);
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<unsigned>(d);
  }
  s.remove_prefix(n);
  return v;
}

bool take_char(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

}  // namespace

std::optional<Bdf> parse_bdf(std::string_view s) {
  Bdf b;
  if (s.size() == 12) {  // SSSS:BB:DD.F
    auto seg = take_hex(s, 4);
    if (!seg || !take_char(s, ':')) return std::nullopt;
    b.segment = static_cast<uint16_t>(*seg);
  }
  if (s.size() != 7) return std::nullopt;
  auto bus = take_hex(s, 2);
  if (!bus || !take_char(s, ':')) return std::nullopt;
  auto dev = take_hex(s, 2);
  if (!dev || *dev > 0x1f || !take_char(s, '.')) return std::nullopt;
  auto fn = take_hex(s, 1);
  if (!fn || *fn > 7) return std::nullopt;
  b.bus = static_cast<uint8_t>(*bus);
  b.dev = static_cast<uint8_t>(*dev);
  b.fn = static_cast<uint8_t>(*fn);
  return b;
}

}  // namespace iommusim
