#include "iommu/context_lookup.h"

namespace iommusim {

namespace {

// Reads a 128-bit entry as two qwords, low first.
bool read_entry(TableReader& mem, Addr pa, uint64_t& lo, uint64_t& hi) {
  uint64_t q[2] = {};
  const bool ok = mem.try_read_entry(pa, q, 2);
  lo = q[0];
  hi = q[1];
  return ok;
}

ContextLookup fail(ContextLookup r, FaultReason f) {
  r.ok = false;
  r.fault = f;
  return r;
}

}  // namespace

ContextLookup lookup_legacy_context(TableReader& mem, Addr root_table, uint16_t source_id,
                                    unsigned haw, const ContextCaps& caps) {
  ContextLookup r;
  const unsigned bus = source_id >> 8, devfn = source_id & 0xff;

  // Root entry (VT-d 9.1).
  const Addr re_addr = (root_table & ~Addr{0xfff}) + Addr{bus} * kRootEntryBytes;
  uint64_t lo = 0, hi = 0;
  r.reads.push_back(re_addr);
  if (!read_entry(mem, re_addr, lo, hi)) return fail(r, FaultReason::kRootTableAccessError);
  r.re = RootEntry::decode(lo, hi, haw);
  if (!r.re.present) return fail(r, FaultReason::kRootEntryNotPresent);
  if (r.re.reserved_nonzero) return fail(r, FaultReason::kRootEntryReserved);

  // Context entry (VT-d 9.3).
  const Addr ce_addr = r.re.ctp + Addr{devfn} * kContextEntryBytes;
  r.reads.push_back(ce_addr);
  if (!read_entry(mem, ce_addr, lo, hi)) return fail(r, FaultReason::kContextTableAccessError);
  r.ce = ContextEntry::decode(lo, hi, haw);
  r.fpd = r.ce.fpd;
  if (!r.ce.present) return fail(r, FaultReason::kContextEntryNotPresent);
  if (r.ce.reserved_nonzero) return fail(r, FaultReason::kContextEntryReserved);

  // Invalid programming (VT-d 7.1.3, 0x3): reserved or unsupported TT, or an
  // AW the hardware does not support. With TT = 10b (pass-through) SLPTPTR is
  // ignored and software programs AW to the largest supported AGAW; it is not
  // used for translation, so it is not checked here.
  const bool tt_ok = r.ce.tt == kTtUntranslatedOnly || (r.ce.tt == kTtDeviceTlb && caps.dt) ||
                     (r.ce.tt == kTtPassThrough && caps.pt);
  if (!tt_ok) return fail(r, FaultReason::kContextEntryInvalid);
  if (r.ce.tt != kTtPassThrough && !r.ce.aw_supported(caps.sagaw))
    return fail(r, FaultReason::kContextEntryInvalid);

  r.ok = true;
  return r;
}

}  // namespace iommusim
