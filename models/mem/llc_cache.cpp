#include "mem/llc_cache.h"

#include <fmt/format.h>

#include "common/error.h"

namespace iommusim {

void LlcCache::validate(const LlcGeometry& g) {
  if (g.line_bytes == 0 || (g.line_bytes & (g.line_bytes - 1)))
    throw InputError(fmt::format("line_bytes: expected a power of two, got {}", g.line_bytes));
  if (g.ways == 0) throw InputError("ways: expected >= 1, got 0");
  const std::uint64_t set_bytes = std::uint64_t{g.ways} * g.line_bytes;
  if (g.size_bytes == 0 || g.size_bytes % set_bytes != 0)
    throw InputError(fmt::format("size: expected a multiple of ways * line_bytes ({} * {} = {}), got {}", g.ways,
                                 g.line_bytes, set_bytes, g.size_bytes));
  if (g.ddio_ways > g.ways)
    throw InputError(fmt::format("ddio_ways: expected <= ways ({}), got {}", g.ways, g.ddio_ways));
}

namespace {
const LlcGeometry& validated(const LlcGeometry& g) {
  LlcCache::validate(g);
  return g;
}
}  // namespace

LlcCache::LlcCache(const LlcGeometry& g)
    : g_(validated(g)), sets_(g.size_bytes / (std::uint64_t{g.ways} * g.line_bytes)) {
  while ((std::uint64_t{1} << index_bits_) < sets_) ++index_bits_;
  lines_.resize(sets_ * g_.ways);
}

std::uint64_t LlcCache::set_of(Addr a) const {
  const std::uint64_t n = a / g_.line_bytes;
  if (g_.index == LlcGeometry::Index::Modulo || index_bits_ == 0) return n % sets_;
  const std::uint64_t mask = (std::uint64_t{1} << index_bits_) - 1;
  std::uint64_t h = 0;
  for (std::uint64_t x = n; x; x = index_bits_ >= 64 ? 0 : x >> index_bits_) h ^= x & mask;
  return h % sets_;
}

long LlcCache::find(Addr a) const {
  const Addr tag = line_of(a);
  const std::uint64_t base = set_of(a) * g_.ways;
  for (std::uint64_t s = base; s < base + g_.ways; ++s)
    if (lines_[s].valid && lines_[s].tag == tag) return static_cast<long>(s);
  return -1;
}

bool LlcCache::dirty(Addr a) const {
  const long s = find(a);
  return s >= 0 && lines_[s].dirty;
}

std::optional<unsigned> LlcCache::way_of(Addr a) const {
  const long s = find(a);
  if (s < 0) return std::nullopt;
  return static_cast<unsigned>(s % g_.ways);
}

std::uint64_t LlcCache::valid_lines() const {
  std::uint64_t n = 0;
  for (const Line& l : lines_) n += l.valid;
  return n;
}

std::uint64_t LlcCache::dirty_lines() const {
  std::uint64_t n = 0;
  for (const Line& l : lines_) n += l.valid && l.dirty;
  return n;
}

LlcCache::LineResult LlcCache::allocate(Addr line, unsigned ways_limit, bool dirty) {
  LineResult r;
  const std::uint64_t base = set_of(line) * g_.ways;
  std::uint64_t pick = base;
  bool found_invalid = false;
  // An invalid way is filled first: I/O allocations take the lowest of their
  // ways, CPU ones the highest, so that CPU lines in a cold cache start in the
  // ways DDIO does not allocate into (in a full cache, which is what a real
  // one is, LRU decides alone).
  const bool from_top = ways_limit == g_.ways;
  for (std::uint64_t i = 0; i < ways_limit; ++i) {
    const std::uint64_t s = from_top ? base + ways_limit - 1 - i : base + i;
    if (!lines_[s].valid) {
      pick = s;
      found_invalid = true;
      break;
    }
  }
  if (!found_invalid) {
    for (std::uint64_t s = base; s < base + ways_limit; ++s)
      if (lines_[s].stamp < lines_[pick].stamp) pick = s;
    r.evicted = true;
    if (lines_[pick].dirty) r.writeback = lines_[pick].tag;
  }
  Line& l = lines_[pick];
  l.tag = line;
  l.valid = true;
  l.dirty = dirty;
  touch(l);
  r.allocated = true;
  r.in_cache = true;
  return r;
}

LlcCache::LineResult LlcCache::io_read(Addr a) {
  LineResult r;
  r.hit = r.in_cache = find(a) >= 0;
  return r;
}

LlcCache::LineResult LlcCache::io_write(Addr a) {
  const long s = find(a);
  if (g_.ddio_ways == 0) {
    LineResult r;
    if (s >= 0) {
      r.hit = true;
      if (lines_[s].dirty) r.writeback = lines_[s].tag;
      lines_[s] = Line{};
    }
    return r;
  }
  if (s >= 0) {
    LineResult r;
    r.hit = r.in_cache = true;
    lines_[s].dirty = true;
    touch(lines_[s]);
    return r;
  }
  return allocate(line_of(a), g_.ddio_ways, true);
}

LlcCache::LineResult LlcCache::cpu_read(Addr a) {
  const long s = find(a);
  if (s >= 0) {
    LineResult r;
    r.hit = r.in_cache = true;
    touch(lines_[s]);
    return r;
  }
  return allocate(line_of(a), g_.ways, false);
}

LlcCache::LineResult LlcCache::cpu_write(Addr a) {
  const long s = find(a);
  if (s >= 0) {
    LineResult r;
    r.hit = r.in_cache = true;
    lines_[s].dirty = true;
    touch(lines_[s]);
    return r;
  }
  return allocate(line_of(a), g_.ways, true);
}

bool LlcCache::flush(Addr a) {
  const long s = find(a);
  if (s < 0) return false;
  lines_[s] = Line{};
  return true;
}

void LlcCache::prepare(const CachePreparation& p, Addr mem_base, std::uint64_t mem_size) {
  if (p.size == 0) return;
  const Addr first = line_of(p.base);
  const Addr end = line_of(p.base + p.size - 1) + g_.line_bytes;  // exclusive
  switch (p.state) {
    case CacheState::Cold:
      for (Addr a = first; a != end; a += g_.line_bytes) flush(a);
      return;
    case CacheState::HostWarm:
      for (Addr a = first; a != end; a += g_.line_bytes) cpu_read(a);
      return;
    case CacheState::DeviceWarm:
      for (Addr a = first; a != end; a += g_.line_bytes) io_write(a);
      return;
    case CacheState::DeviceThrash: {
      for (Addr a = first; a != end; a += g_.line_bytes) flush(a);
      if (g_.ddio_ways == 0 || mem_size < g_.line_bytes) return;
      // The whole lines inside memory: [lo, hi).
      const Addr lo = line_of(mem_base + g_.line_bytes - 1);
      const Addr hi = line_of(mem_base + mem_size);
      if (hi <= lo) return;
      // Thrash lines per set (the DDIO ways that hold one).
      std::vector<unsigned> filled(sets_, 0);
      std::uint64_t sets_full = 0;
      const std::uint64_t budget = 64 * sets_ * g_.ddio_ways;
      Addr a = end >= lo && end < hi ? end : lo;
      for (std::uint64_t tries = 0; tries < budget && sets_full < sets_; ++tries, a += g_.line_bytes) {
        if (a >= hi) a = lo;
        if (a >= first && a < end) {  // skip the range itself
          a = end >= hi ? lo : end;
          if (a >= first && a < end) return;  // memory is the range: nothing outside it
        }
        const std::uint64_t set = set_of(a);
        if (filled[set] >= g_.ddio_ways || contains(a)) continue;
        // Into the DDIO way this set has not filled with a thrash line yet.
        Line& l = lines_[set * g_.ways + filled[set]];
        l.tag = a;
        l.valid = true;
        l.dirty = true;
        touch(l);
        if (++filled[set] == g_.ddio_ways) ++sets_full;
      }
      return;
    }
  }
}

}  // namespace iommusim
