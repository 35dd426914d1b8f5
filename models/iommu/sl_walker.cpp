#include "iommu/sl_walker.h"

#include <algorithm>

#include "vtd/root_entry.h"

namespace iommusim {

namespace {

SlWalkResult fault(SlWalkResult r, FaultReason f, unsigned level) {
  r.ok = false;
  r.fault = f;
  r.end_level = level;
  return r;
}

}  // namespace

SlWalkResult walk_second_level(TableReader& mem, const SlWalkParams& p, Addr iova, bool write,
                               bool read, unsigned start_level, Addr start_table, bool start_r,
                               bool start_w) {
  SlWalkResult res;
  if (p.levels < 3 || p.levels > 5) return fault(res, FaultReason::kContextEntryInvalid, 0);

  // VT-d 7.1.3 fault 0x4: input above 2^X - 1, X = min(MGAW, AGAW).
  const unsigned agaw = sl_level_shift(p.levels + 1);  // 39, 48, 57
  const unsigned x = std::min(agaw, p.mgaw);
  if (x < 64 && (iova >> x) != 0) return fault(res, FaultReason::kAddressBeyondMgaw, p.levels);

  unsigned level = p.levels;
  Addr table = p.table;
  if (start_level != 0) {
    level = std::min(start_level, p.levels);
    table = start_table;
  }
  const bool from_slptptr = level == p.levels;
  table &= ~Addr{0xfff};

  SlCaps caps;
  caps.sp_2m = p.sp_2m;
  caps.sp_1g = p.sp_1g;
  caps.sc = p.sc;
  caps.dt = p.dt;

  bool r = start_r, w = start_w;
  for (;; --level) {
    const Addr ea = table + Addr{sl_index(iova, level)} * kSlEntryBytes;
    uint64_t raw = 0;
    if (!mem.try_read_qword(ea, raw))
      return fault(res, from_slptptr && level == p.levels ? FaultReason::kContextEntryInvalid
                                                          : FaultReason::kPagingEntryAccessError,
                   level);
    res.steps.push_back({level, ea, raw});
    const SlPte e = SlPte::decode(raw);

    if (!e.present()) {
      if (!read && !write) {  // translation request: report "no access", no fault
        res.ok = true;
        res.r = res.w = false;
        res.end_level = level;
        res.page_size = sl_level_size(level);
        return res;
      }
      return fault(res, write ? FaultReason::kWriteNoPermission : FaultReason::kReadNoPermission,
                   level);
    }
    if (raw & sl_reserved_mask(level, e.ps, p.haw, caps))
      return fault(res, FaultReason::kPagingEntryReserved, level);

    r = r && e.r;
    w = w && e.w;
    res.r = r;
    res.w = w;

    if (SlPte::is_leaf(level, e.ps)) {
      res.end_level = level;
      res.page_size = sl_level_size(level);
      if (write && !w) return fault(res, FaultReason::kWriteNoPermission, level);
      if (read && !r) return fault(res, FaultReason::kReadNoPermission, level);
      const Addr frame = e.addr & haw_mask(p.haw) & ~(res.page_size - 1);
      res.pa = frame | (iova & (res.page_size - 1));
      res.ok = true;
      return res;
    }
    table = e.addr & haw_mask(p.haw);
  }
}

}  // namespace iommusim
