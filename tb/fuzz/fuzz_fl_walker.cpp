// Fuzzes the scalable-mode first-level walker (models/iommu/fl_walker.*),
// alone and nested over a second-level walk of the same random memory
// (fuzz_memory.h). Input: walk parameters and request, then memory bytes.
//
// Invariants:
//  * the checks before any read: levels not 4/5 0x5B, priv without SRE 0x5D,
//    exec without ERE 0x5C, a non-canonical input 0x80; no reads for them;
//  * (not nested) the steps are the spec's chain from FLPTPTR, one level
//    lower each, each holding what memory returned; every step but the last
//    is present, reserved-clean and not a leaf;
//  * a successful walk ends at a leaf with the page size of its level; user
//    = AND of U/S, x = no XD on the walk (with NXE), w = AND of R/W (or a
//    supervisor request with WPE = 0), r set; the request's rights hold
//    (user needs U/S, exec needs x, write needs w); not nested, pa is the
//    leaf's frame plus the offset;
//  * a fault at a step names it: P = 0 0x71, reserved 0x72, U/S 0x81, XD
//    0x82, R/W 0x85; a failed read 0x73 (through FLPTPTR) or 0x70;
//  * the walk is deterministic, and (not nested) resuming below any non-leaf
//    step with the accumulated R/W, U/S and XD gives the same result.
#include <cstdint>

#include "fuzz_check.h"
#include "fuzz_memory.h"
#include "iommu/fl_walker.h"
#include "vtd/root_entry.h"

using namespace iommusim;
using iommusim_fuzz::FuzzMemory;

namespace {

bool same_result(const FlWalkResult& a, const FlWalkResult& b) {
  return a.ok == b.ok && a.fault == b.fault && a.pa == b.pa && a.page_size == b.page_size && a.r == b.r &&
         a.w == b.w && a.x == b.x && a.user == b.user && a.end_level == b.end_level;
}

bool canonical(Addr va, unsigned levels) {
  const unsigned top = 12 + 9 * levels - 1;
  const Addr upper = va >> top;  // bits 63:top must be all 0 or all 1
  return upper == 0 || upper == (~Addr{0} >> top);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  iommusim_fuzz::ByteSource in(data, size);
  FlWalkParams p;
  const uint8_t a = in.u8(), b = in.u8(), c = in.u8();
  p.levels = (a & 7) == 7 ? (a >> 3) & 7 : 4 + (a & 1);
  p.haw = 12 + b % 53;
  p.sp_1g = a & 0x40;
  p.sre = a & 0x80;
  p.ere = b & 0x40;
  p.wpe = b & 0x80;
  p.nxe = c & 0x01;
  const bool write = c & 0x02, exec = c & 0x04, priv = c & 0x08, nested = (c & 0x30) == 0x30;
  p.table = in.u64();
  Addr va = in.u64();
  const uint8_t shape = in.u8();
  if (shape < 200) va &= (Addr{1} << 47) - 1;                   // canonical, low half
  else if (shape < 230) va |= ~((Addr{1} << 47) - 1);           // canonical, high half (4 levels)
  SlWalkParams sp;
  sp.levels = 3 + in.u8() % 3;
  sp.haw = p.haw;
  sp.table = in.u64();

  FuzzMemory mem(in);
  const FlStage2 s2 = nested ? make_sl_stage2(mem, sp, false) : FlStage2{};
  const FlStage2 s2_out = nested ? make_sl_stage2(mem, sp, write) : FlStage2{};
  const FlWalkResult res = walk_first_level(mem, p, va, write, exec, priv, s2, s2_out);

  if (p.levels != 4 && p.levels != 5) {
    FUZZ_CHECK(!res.ok && res.fault == FaultReason::kSmPasidEntryInvalid && res.steps.empty(), "levels");
    return 0;
  }
  if (priv && !p.sre) {
    FUZZ_CHECK(!res.ok && res.fault == FaultReason::kSmPasidEntrySreClear && res.steps.empty(), "SRE");
    return 0;
  }
  if (exec && !p.ere) {
    FUZZ_CHECK(!res.ok && res.fault == FaultReason::kSmPasidEntryEreClear && res.steps.empty(), "ERE");
    return 0;
  }
  if (!canonical(va, p.levels)) {
    FUZZ_CHECK(!res.ok && res.fault == FaultReason::kSmNonCanonical && res.steps.empty(), "canonical");
    return 0;
  }
  FUZZ_CHECK(res.ok || res.fault != FaultReason::kNone, "neither ok nor a fault");

  FlCaps caps;
  caps.sp_1g = p.sp_1g;
  caps.nxe = p.nxe;
  Addr table = p.table & ~Addr{0xfff};
  bool rw = true, us = true, xd = false;
  for (size_t i = 0; i < res.steps.size(); ++i) {
    const FlStep& s = res.steps[i];
    FUZZ_CHECK(s.level == p.levels - i, "step %zu at level %u", i, s.level);
    uint64_t v = 0;
    bool fails = false;
    FUZZ_CHECK(mem.known(s.entry_addr, v, fails) && v == s.entry && !fails, "step %zu is not what memory holds", i);
    if (!nested)
      FUZZ_CHECK(s.entry_addr == table + Addr{fl_index(va, s.level)} * 8, "step %zu address", i);
    FUZZ_CHECK(s.entry_addr % 8 == 0 && (s.entry_addr & 0xfff) == Addr{fl_index(va, s.level)} * 8,
               "step %zu: index bits", i);
    const FlPte e = FlPte::decode(s.entry);
    const bool rsvd = e.p && (s.entry & fl_reserved_mask(s.level, e.ps, p.haw, caps));
    if (i + 1 < res.steps.size())
      FUZZ_CHECK(e.p && !rsvd && !FlPte::is_leaf(s.level, e.ps), "step %zu: walk went on past it", i);
    if (e.p && !rsvd) {
      rw = rw && e.rw;
      us = us && e.us;
      xd = xd || (p.nxe && e.xd);
    }
    table = e.addr & haw_mask(p.haw);
  }

  const FlStep* last = res.steps.empty() ? nullptr : &res.steps.back();
  const FlPte le = last ? FlPte::decode(last->entry) : FlPte{};
  const bool at_leaf = last && le.p && !(last->entry & fl_reserved_mask(last->level, le.ps, p.haw, caps)) &&
                       FlPte::is_leaf(last->level, le.ps);
  if (res.ok || res.fault == FaultReason::kSmUserSupervisor || res.fault == FaultReason::kSmNoExecute ||
      res.fault == FaultReason::kSmWriteNoPermission) {
    FUZZ_CHECK(at_leaf, "result %#x not at a leaf", unsigned(res.fault));
    FUZZ_CHECK(res.end_level == last->level && res.page_size == fl_level_size(last->level), "leaf level/size");
    FUZZ_CHECK(res.r && res.user == us && res.x == !xd && res.w == (rw || (priv && !p.wpe)), "rights");
  }
  if (res.ok) {
    FUZZ_CHECK((priv || res.user) && (!exec || res.x) && (!write || res.w), "access granted without the right");
    if (!nested) {
      const Addr frame = le.addr & haw_mask(p.haw) & ~(res.page_size - 1);
      FUZZ_CHECK(res.pa == (frame | (va & (res.page_size - 1))), "pa");
    }
  } else if (res.fault == FaultReason::kSmUserSupervisor) {
    FUZZ_CHECK(!priv && !us, "0x81");
  } else if (res.fault == FaultReason::kSmNoExecute) {
    FUZZ_CHECK(exec && xd && (priv || us), "0x82");
  } else if (res.fault == FaultReason::kSmWriteNoPermission && at_leaf && res.end_level == last->level) {
    // (A nested walk may also report the second level's 0x85 for the output.)
    FUZZ_CHECK(nested || (write && !res.w), "0x85");
  } else if (res.fault == FaultReason::kSmFirstLevelNotPresent) {
    FUZZ_CHECK(last && !le.p, "0x71");
  } else if (res.fault == FaultReason::kSmFirstLevelReserved) {
    FUZZ_CHECK(last && le.p && (last->entry & fl_reserved_mask(last->level, le.ps, p.haw, caps)), "0x72");
  } else if (!nested) {
    FUZZ_CHECK(res.fault == FaultReason::kSmFirstLevelTableAccessError ||
                   res.fault == FaultReason::kSmFirstLevelAccessError,
               "unexpected fault %#x", unsigned(res.fault));
    FUZZ_CHECK((res.fault == FaultReason::kSmFirstLevelTableAccessError) == res.steps.empty(), "0x73 vs 0x70");
  }

  FUZZ_CHECK(same_result(walk_first_level(mem, p, va, write, exec, priv, s2, s2_out), res), "not deterministic");
  if (!nested) {
    bool r2 = true, u2 = true, x2 = false;
    for (size_t i = 0; i + 1 < res.steps.size(); ++i) {
      const FlPte e = FlPte::decode(res.steps[i].entry);
      r2 = r2 && e.rw;
      u2 = u2 && e.us;
      x2 = x2 || (p.nxe && e.xd);
      FlWalkParams q = p;
      q.start_level = res.steps[i].level - 1;
      q.start_table = e.addr & haw_mask(p.haw);
      q.start_rw = r2;
      q.start_us = u2;
      q.start_xd = x2;
      const FlWalkResult again = walk_first_level(mem, q, va, write, exec, priv);
      FUZZ_CHECK(same_result(again, res), "resumed at level %u: different result", q.start_level);
    }
  }
  return 0;
}
