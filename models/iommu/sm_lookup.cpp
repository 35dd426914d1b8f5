#include "iommu/sm_lookup.h"

namespace iommusim {

namespace {

SmLookup fail(SmLookup r, FaultReason f) {
  r.ok = false;
  r.fault = f;
  return r;
}

bool read_qwords(TableReader& mem, Addr pa, uint64_t* q, unsigned n) { return mem.try_read_entry(pa, q, n); }

bool pgtt_valid(const PasidEntry& pe, const SmCaps& caps) {
  switch (pe.pgtt) {
    case kPgttFirstLevel: return caps.flts;
    case kPgttSecondLevel: return caps.slts;
    case kPgttNested: return caps.nest && caps.flts && caps.slts;
    case kPgttPassThrough: return caps.pt;
    default: return false;
  }
}

}  // namespace

SmLookup lookup_scalable(TableReader& mem, Addr root_table, uint16_t sid, bool has_pasid,
                         uint32_t pasid, unsigned haw, const SmCaps& caps) {
  SmLookup r;
  const unsigned bus = sid >> 8;
  const uint8_t devfn = static_cast<uint8_t>(sid & 0xff);

  // Root entry (VT-d 9.2).
  const Addr re_addr = (root_table & ~Addr{0xfff}) + Addr{bus} * kRootEntryBytes;
  uint64_t q[kPasidEntryQwords] = {};
  r.reads.push_back(re_addr);
  if (!read_qwords(mem, re_addr, q, 2)) return fail(r, FaultReason::kSmRootEntryAccessError);
  r.re = ScalableRootEntry::decode(q[0], q[1], haw);
  if (!r.re.present_for(devfn)) return fail(r, FaultReason::kSmRootEntryNotPresent);
  // Only the half this request uses is checked.
  const uint64_t half = devfn < 128 ? q[0] : q[1];
  const uint64_t half_mask = devfn < 128 ? ScalableRootEntry::reserved_mask_lo(haw)
                                         : ScalableRootEntry::reserved_mask_hi(haw);
  if (half & half_mask) return fail(r, FaultReason::kSmRootEntryReserved);

  // Context entry (VT-d 9.4).
  const Addr ce_addr = r.re.context_entry_addr(devfn);
  r.reads.push_back(ce_addr);
  if (!read_qwords(mem, ce_addr, q, 4)) return fail(r, FaultReason::kSmContextEntryAccessError);
  r.ce = SmContextEntry::decode(q, haw);
  if (!r.ce.present) {
    r.fpd = r.ce.fpd;
    return fail(r, FaultReason::kSmContextEntryNotPresent);
  }
  if (r.ce.reserved_nonzero) return fail(r, FaultReason::kSmContextEntryReserved);
  r.fpd = r.ce.fpd;

  // PASID selection (VT-d 3.4.3): the request's when it carries one (needs
  // PASIDE), else RID_PASID.
  if (has_pasid && !r.ce.paside) return fail(r, FaultReason::kSmContextPasidEnableClear);
  r.pasid = (has_pasid ? pasid : r.ce.rid_pasid) & 0xfffff;
  const uint32_t dir_index = r.pasid >> 6;
  if (dir_index >= r.ce.pasid_dir_entries())
    return fail(r, has_pasid ? FaultReason::kSmPasidTooLarge : FaultReason::kSmRidPasidError);

  // PASID directory entry (VT-d 9.5).
  const Addr pde_addr = r.ce.pasid_dir_ptr + Addr{dir_index} * kPasidDirEntryBytes;
  r.reads.push_back(pde_addr);
  if (!read_qwords(mem, pde_addr, q, 1)) return fail(r, FaultReason::kSmPasidDirAccessError);
  r.pde = PasidDirEntry::decode(q[0], haw);
  if (!r.pde.present) {
    r.fpd = r.fpd || r.pde.fpd;
    return fail(r, FaultReason::kSmPasidDirEntryNotPresent);
  }
  if (r.pde.reserved_nonzero) return fail(r, FaultReason::kSmPasidDirEntryReserved);
  r.fpd = r.fpd || r.pde.fpd;

  // PASID table entry (VT-d 9.6).
  const Addr pe_addr = r.pde.table + Addr{r.pasid & 0x3f} * kPasidEntryBytes;
  r.reads.push_back(pe_addr);
  if (!read_qwords(mem, pe_addr, q, kPasidEntryQwords))
    return fail(r, FaultReason::kSmPasidTableAccessError);
  r.pe = PasidEntry::decode(q, haw);
  if (!r.pe.present) {
    r.fpd = r.fpd || r.pe.fpd;
    return fail(r, FaultReason::kSmPasidEntryNotPresent);
  }
  if (r.pe.reserved_nonzero) return fail(r, FaultReason::kSmPasidEntryReserved);
  r.fpd = r.fpd || r.pe.fpd;

  if (!pgtt_valid(r.pe, caps)) return fail(r, FaultReason::kSmPasidEntryInvalid);
  if (r.pe.uses_second_level() && !((caps.sagaw >> r.pe.aw) & 1))
    return fail(r, FaultReason::kSmPasidEntryInvalid);
  if (r.pe.uses_first_level() &&
      !(r.pe.flpm == kFlpm4Level || (r.pe.flpm == kFlpm5Level && caps.fl5lp)))
    return fail(r, FaultReason::kSmPasidEntryInvalid);

  r.ok = true;
  return r;
}

}  // namespace iommusim
