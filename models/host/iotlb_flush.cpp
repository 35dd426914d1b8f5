#include "host/iotlb_flush.h"

#include <algorithm>

namespace iommusim {

namespace {

constexpr unsigned kMaxMask = 52;  // 2^52 pages cover the whole 64-bit space

unsigned ceil_log2(uint64_t v) {  // v >= 1
  unsigned n = 0;
  while ((uint64_t{1} << n) < v && n < 63) ++n;
  return n;
}

unsigned lowest_set_bit(uint64_t v) {  // v != 0
  unsigned n = 0;
  while (!((v >> n) & 1)) ++n;
  return n;
}

}  // namespace

QiDescriptor IotlbFlush::descriptor() const {
  QiDescriptor d;
  d.type = QiType::Iotlb;
  d.dr = dr;
  d.dw = dw;
  switch (scope) {
    case FlushScope::Global:
      d.iotlb_granularity = IotlbGranularity::Global;
      break;
    case FlushScope::Domain:
      d.iotlb_granularity = IotlbGranularity::Domain;
      d.did = did;
      break;
    case FlushScope::Page:
      d.iotlb_granularity = IotlbGranularity::Page;
      d.did = did;
      d.addr = addr;
      d.am = static_cast<uint8_t>(am);
      d.ih = ih;
      break;
  }
  return d;
}

PsiCover psi_cover(Addr iova, uint64_t bytes) {
  const uint64_t first = iova >> 12;
  const uint64_t last = (iova + (bytes ? bytes - 1 : 0)) >> 12;
  const uint64_t pages = last - first + 1;
  unsigned mask = ceil_log2(pages);
  const uint64_t bitmask = (uint64_t{1} << mask) - 1;
  if (first & bitmask) {
    // The block of 2^mask pages at `first` is misaligned: find the lowest bit
    // above the mask in which first and last agree; aligning down to it
    // covers both.
    const uint64_t shared = ~(first ^ last) & ~bitmask;
    mask = shared ? lowest_set_bit(shared) : kMaxMask;
  }
  mask = std::min(mask, kMaxMask);
  PsiCover c;
  c.am = mask;
  c.addr = mask >= kMaxMask ? 0 : (first & ~((uint64_t{1} << mask) - 1)) << 12;
  return c;
}

IotlbFlush flush_domain(uint16_t did, const FlushCaps& caps) {
  IotlbFlush f;
  f.scope = FlushScope::Domain;
  f.did = did;
  f.dr = caps.drd;
  f.dw = caps.dwd;
  return f;
}

IotlbFlush flush_global(const FlushCaps& caps) {
  IotlbFlush f;
  f.scope = FlushScope::Global;
  f.dr = caps.drd;
  f.dw = caps.dwd;
  return f;
}

IotlbFlush flush_for_range(uint16_t did, Addr iova, uint64_t bytes, bool ih, const FlushCaps& caps) {
  const PsiCover c = psi_cover(iova, bytes);
  if (!caps.psi || c.am > caps.mamv) return flush_domain(did, caps);
  IotlbFlush f = flush_domain(did, caps);
  f.scope = FlushScope::Page;
  f.addr = c.addr;
  f.am = c.am;
  f.ih = ih;
  return f;
}

const char* to_string(FlushScope s) {
  switch (s) {
    case FlushScope::Global: return "global";
    case FlushScope::Domain: return "domain";
    case FlushScope::Page: return "page";
  }
  return "?";
}

}  // namespace iommusim
