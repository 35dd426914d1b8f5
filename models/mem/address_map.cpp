#include "mem/address_map.h"

#include <fmt/format.h>

#include <stdexcept>
#include <utility>

#include "common/error.h"

namespace iommusim {

namespace {

bool is_pow2(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

unsigned log2u(uint64_t v) {
  unsigned n = 0;
  while (v >>= 1) ++n;
  return n;
}

uint64_t field_of(Addr a, unsigned shift, unsigned bits) {
  if (bits == 0) return 0;
  const uint64_t v = a >> shift;
  return bits >= 64 ? v : v & ((uint64_t{1} << bits) - 1);
}

// Whether `value` fits in a field of `bits` bits.
bool fits(uint64_t value, unsigned bits) { return bits >= 64 || value >> bits == 0; }

constexpr const char* kNames[] = {"Ro", "Ra", "Ba", "Ch", "Co"};

}  // namespace

void AddressMap::validate(const DramGeometry& g) {
  auto count = [](const char* name, uint64_t v) {
    if (!is_pow2(v)) throw InputError(fmt::format("{}: expected a power of two, got {}", name, v));
  };
  count("channels", g.channels);
  count("ranks", g.ranks);
  count("banks", g.banks);
  count("burst_bytes", g.burst_bytes);
  if (!is_pow2(g.row_bytes) || g.row_bytes < g.burst_bytes)
    throw InputError(fmt::format("row_bytes: expected a power of two >= burst_bytes, got {}",
                                 g.row_bytes));
  const unsigned bits = log2u(g.channels) + log2u(g.ranks) + log2u(g.banks) + log2u(g.row_bytes);
  if (bits > 64)
    throw InputError(fmt::format(
        "row_bytes: channels * ranks * banks * row_bytes needs {} address bits, more than 64",
        bits));

  bool seen[5] = {};
  bool permutation = g.mapping.size() == 10;
  for (size_t i = 0; permutation && i < 10; i += 2) {
    const std::string token = g.mapping.substr(i, 2);
    bool known = false;
    for (int f = 0; f < 5; ++f) {
      if (token == kNames[f] && !seen[f]) seen[f] = known = true;
    }
    permutation = known;
  }
  if (!permutation)
    throw InputError(fmt::format("mapping '{}': expected a permutation of Ro,Ra,Ba,Ch,Co",
                                 g.mapping));
  if (g.mapping.compare(0, 2, "Ro") != 0)
    throw InputError(fmt::format(
        "mapping '{}': expected Ro first (the row takes all remaining high bits)", g.mapping));
}

AddressMap::AddressMap(DramGeometry g) : geometry_(std::move(g)) {
  validate(geometry_);
  // Lay the fields out from the least significant end, above the burst offset.
  unsigned shift = log2u(geometry_.burst_bytes);
  for (size_t i = slices_.size(); i-- > 0;) {
    const std::string token = geometry_.mapping.substr(2 * i, 2);
    Slice& s = slices_[i];
    s.shift = shift;
    if (token == "Ro") {
      s.field = Field::Row;
      s.bits = 64 - shift;  // validate() put Ro first, so this is the last one
    } else if (token == "Ra") {
      s.field = Field::Rank;
      s.bits = log2u(geometry_.ranks);
    } else if (token == "Ba") {
      s.field = Field::Bank;
      s.bits = log2u(geometry_.banks);
    } else if (token == "Ch") {
      s.field = Field::Channel;
      s.bits = log2u(geometry_.channels);
    } else {
      s.field = Field::Column;
      s.bits = log2u(geometry_.row_bytes / geometry_.burst_bytes);
    }
    shift += s.bits;
  }
}

DramCoord AddressMap::decode(Addr offset) const {
  DramCoord c;
  for (const Slice& s : slices_) {
    const uint64_t v = field_of(offset, s.shift, s.bits);
    switch (s.field) {
      case Field::Row: c.row = v; break;
      case Field::Rank: c.rank = static_cast<unsigned>(v); break;
      case Field::Bank: c.bank = static_cast<unsigned>(v); break;
      case Field::Channel: c.channel = static_cast<unsigned>(v); break;
      case Field::Column: c.column = v; break;
    }
  }
  return c;
}

Addr AddressMap::encode(const DramCoord& c) const {
  Addr a = 0;
  for (const Slice& s : slices_) {
    uint64_t v = 0;
    const char* name = "";
    switch (s.field) {
      case Field::Row: v = c.row, name = "row"; break;
      case Field::Rank: v = c.rank, name = "rank"; break;
      case Field::Bank: v = c.bank, name = "bank"; break;
      case Field::Channel: v = c.channel, name = "channel"; break;
      case Field::Column: v = c.column, name = "column"; break;
    }
    if (!fits(v, s.bits))
      throw std::out_of_range(fmt::format("encode: {} {} needs more than {} bits", name, v, s.bits));
    if (s.bits > 0) a |= v << s.shift;
  }
  return a;
}

}  // namespace iommusim
