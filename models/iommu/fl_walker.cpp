#include "iommu/fl_walker.h"

#include "vtd/root_entry.h"

namespace iommusim {

namespace {

FlWalkResult fault(FlWalkResult r, FaultReason f, unsigned level) {
  r.ok = false;
  r.fault = f;
  r.end_level = level;
  return r;
}

bool is_read_denied(FaultReason f) {
  return f == FaultReason::kSmReadNoPermission || f == FaultReason::kReadNoPermission;
}

// VT-d 3.6: the input must be canonical for the paging depth (sign-extended
// from bit 47 with 4 levels, from bit 56 with 5).
bool canonical(Addr va, unsigned levels) {
  const unsigned top = 12 + 9 * levels - 1;  // 47 or 56
  const int64_t s = static_cast<int64_t>(va << (63 - top)) >> (63 - top);
  return static_cast<Addr>(s) == va;
}

}  // namespace

FaultReason sm_fault_from_sl(FaultReason f) {
  switch (f) {
    case FaultReason::kAddressBeyondMgaw: return FaultReason::kSmSecondLevelBeyondMax;
    case FaultReason::kWriteNoPermission: return FaultReason::kSmWriteNoPermission;
    case FaultReason::kReadNoPermission: return FaultReason::kSmReadNoPermission;
    case FaultReason::kPagingEntryAccessError: return FaultReason::kSmSecondLevelAccessError;
    case FaultReason::kPagingEntryReserved: return FaultReason::kSmSecondLevelReserved;
    case FaultReason::kContextEntryInvalid: return FaultReason::kSmSecondLevelTableInvalid;
    default: return f;
  }
}

FlStage2 make_sl_stage2(TableReader& mem, const SlWalkParams& sp, bool write,
                        std::vector<Addr>* reads) {
  return [&mem, sp, write, reads](Addr gpa, Addr& hpa, FaultReason& f) {
    const SlWalkResult w = walk_second_level(mem, sp, gpa, write, !write);
    if (reads)
      for (const SlStep& s : w.steps) reads->push_back(s.entry_addr);
    if (!w.ok) {
      f = sm_fault_from_sl(w.fault);
      return false;
    }
    hpa = w.pa;
    return true;
  };
}

FlWalkResult walk_first_level(TableReader& mem, const FlWalkParams& p, Addr va, bool write,
                              bool exec, bool priv, const FlStage2& stage2,
                              const FlStage2& stage2_output) {
  FlWalkResult res;
  if (p.levels != 4 && p.levels != 5) return fault(res, FaultReason::kSmPasidEntryInvalid, 0);
  if (priv && !p.sre) return fault(res, FaultReason::kSmPasidEntrySreClear, 0);
  if (exec && !p.ere) return fault(res, FaultReason::kSmPasidEntryEreClear, 0);
  if (!canonical(va, p.levels)) return fault(res, FaultReason::kSmNonCanonical, p.levels);

  const bool nested = static_cast<bool>(stage2);
  FlCaps caps;
  caps.sp_1g = p.sp_1g;
  caps.nxe = p.nxe;

  Addr table = p.table & ~Addr{0xfff};
  if (nested) {
    Addr hpa = 0;
    FaultReason f = FaultReason::kNone;
    if (!stage2(table, hpa, f))
      return fault(res, is_read_denied(f) ? FaultReason::kSmFirstLevelTableNestedReadError : f,
                   p.levels);
    table = hpa & ~Addr{0xfff};
  }

  bool rw = true, us = true, xd = false;
  unsigned first = p.levels;
  if (p.start_level != 0 && !nested) {
    first = p.start_level;
    table = p.start_table & ~Addr{0xfff};
    rw = p.start_rw;
    us = p.start_us;
    xd = p.start_xd;
  }
  for (unsigned level = first;; --level) {
    const Addr ea = table + Addr{fl_index(va, level)} * kFlEntryBytes;
    uint64_t raw = 0;
    if (!mem.try_read_qword(ea, raw))
      return fault(res, level == p.levels ? FaultReason::kSmFirstLevelTableAccessError
                                          : FaultReason::kSmFirstLevelAccessError,
                   level);
    res.steps.push_back({level, ea, raw});
    const FlPte e = FlPte::decode(raw);
    if (!e.p) return fault(res, FaultReason::kSmFirstLevelNotPresent, level);
    if (raw & fl_reserved_mask(level, e.ps, p.haw, caps))
      return fault(res, FaultReason::kSmFirstLevelReserved, level);

    rw = rw && e.rw;
    us = us && e.us;
    xd = xd || (p.nxe && e.xd);

    if (FlPte::is_leaf(level, e.ps)) {
      res.end_level = level;
      res.page_size = fl_level_size(level);
      res.r = true;
      res.w = rw || (priv && !p.wpe);
      res.x = !xd;
      res.user = us;
      if (!priv && !us) return fault(res, FaultReason::kSmUserSupervisor, level);
      if (exec && xd) return fault(res, FaultReason::kSmNoExecute, level);
      if (write && !res.w) return fault(res, FaultReason::kSmWriteNoPermission, level);
      const Addr frame = e.addr & haw_mask(p.haw) & ~(res.page_size - 1);
      Addr out = frame | (va & (res.page_size - 1));
      if (nested) {
        const FlStage2& s2 = stage2_output ? stage2_output : stage2;
        Addr hpa = 0;
        FaultReason f = FaultReason::kNone;
        if (!s2(out, hpa, f)) return fault(res, f, level);
        out = hpa;
      }
      res.pa = out;
      res.ok = true;
      return res;
    }

    table = e.addr & haw_mask(p.haw);
    if (nested) {
      Addr hpa = 0;
      FaultReason f = FaultReason::kNone;
      if (!stage2(table, hpa, f))
        return fault(res, is_read_denied(f) ? FaultReason::kSmFirstLevelNestedReadError : f,
                     level);
      table = hpa & ~Addr{0xfff};
    }
  }
}

}  // namespace iommusim
