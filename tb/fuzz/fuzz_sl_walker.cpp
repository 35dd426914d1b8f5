// Fuzzes the legacy second-level page walker (models/iommu/sl_walker.*) over
// random memory contents (fuzz_memory.h). Input: walk parameters and the
// request, then the bytes that become memory as the walk reads it.
//
// Invariants (the walk result is consistent with the entries it read):
//  * levels outside 3..5 fault 0x3 and an input above the address width 0x4,
//    both without reading memory;
//  * the steps are the chain the spec defines: the first entry at SLPTPTR +
//    index(iova, levels) * 8, each next at the previous entry's ADDR (HAW
//    masked) + index * 8, one level lower each; each step holds what memory
//    returned; every step but the last is present, reserved-clean and not a
//    leaf;
//  * a successful walk ends at a leaf; pa is that leaf's frame plus the
//    offset within the page size of its level; r and w are the AND of the
//    R and W bits read; a write has w and a read has r;
//  * a fault names the last step: not present (0x5 write, 0x6 read),
//    reserved bits (0xC), a permission the AND lacks (0x5/0x6), or a failed
//    read after the last step (0x3 through SLPTPTR, else 0x7);
//  * resuming the walk below any non-leaf step (as a paging-structure cache
//    hit does, with the permissions accumulated so far) gives the same result
//    (r/w compared where they mean something, see same_result) and the same
//    remaining steps.
#include <cstdint>

#include "fuzz_check.h"
#include "fuzz_memory.h"
#include "vtd/root_entry.h"
#include "iommu/sl_walker.h"

using namespace iommusim;
using iommusim_fuzz::FuzzMemory;

namespace {

// r and w are compared where they mean something: a translation, or a
// permission fault at a leaf. A walk that stops at a not-present or reserved
// entry leaves them at the AND of the entries this call read (so a resumed
// walk, which read fewer, may differ; the unit does not use them then).
bool same_result(const SlWalkResult& a, const SlWalkResult& b) {
  const bool perms = a.ok || ((a.fault == FaultReason::kWriteNoPermission || a.fault == FaultReason::kReadNoPermission) &&
                              a.page_size != 0);
  return a.ok == b.ok && a.fault == b.fault && a.pa == b.pa && a.page_size == b.page_size &&
         (!perms || (a.r == b.r && a.w == b.w)) && a.end_level == b.end_level;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  iommusim_fuzz::ByteSource in(data, size);
  SlWalkParams p;
  const uint8_t a = in.u8(), b = in.u8();
  p.levels = (a & 7) == 7 ? (a >> 3) & 7 : 3 + (a & 7) % 3;  // mostly 3..5, sometimes anything
  p.haw = 12 + b % 53;                                      // 12..64
  p.sp_2m = a & 0x40;
  p.sp_1g = a & 0x80;
  p.sc = b & 0x40;
  p.dt = b & 0x80;
  const uint8_t c = in.u8();
  p.mgaw = (c & 0x80) ? 64 : 30 + c % 35;
  const bool write = c & 0x20, read = c & 0x40;
  p.table = in.u64();
  Addr iova = in.u64();
  const uint8_t width = in.u8();
  if (width < 250) iova &= (Addr{1} << (12 + width % 46)) - 1;  // mostly within range

  FuzzMemory mem(in);
  const SlWalkResult res = walk_second_level(mem, p, iova, write, read);

  if (p.levels < 3 || p.levels > 5) {
    FUZZ_CHECK(!res.ok && res.fault == FaultReason::kContextEntryInvalid && res.steps.empty(), "levels %u", p.levels);
    return 0;
  }
  const unsigned x = std::min(sl_level_shift(p.levels + 1), p.mgaw);
  if (x < 64 && (iova >> x) != 0) {
    FUZZ_CHECK(!res.ok && res.fault == FaultReason::kAddressBeyondMgaw && res.steps.empty(), "beyond width");
    return 0;
  }
  FUZZ_CHECK(res.ok || res.fault != FaultReason::kNone, "neither ok nor a fault");

  SlCaps caps;
  caps.sp_2m = p.sp_2m;
  caps.sp_1g = p.sp_1g;
  caps.sc = p.sc;
  caps.dt = p.dt;
  Addr table = p.table & ~Addr{0xfff};
  bool r = true, w = true;
  for (size_t i = 0; i < res.steps.size(); ++i) {
    const SlStep& s = res.steps[i];
    FUZZ_CHECK(s.level == p.levels - i, "step %zu at level %u", i, s.level);
    FUZZ_CHECK(s.entry_addr == table + Addr{sl_index(iova, s.level)} * 8, "step %zu address %#llx", i,
               (unsigned long long)s.entry_addr);
    uint64_t v = 0;
    bool fails = false;
    FUZZ_CHECK(mem.known(s.entry_addr, v, fails) && v == s.entry && !fails, "step %zu is not what memory holds", i);
    const SlPte e = SlPte::decode(s.entry);
    const bool last = i + 1 == res.steps.size();
    const bool rsvd = e.present() && (s.entry & sl_reserved_mask(s.level, e.ps, p.haw, caps));
    if (!last) {
      FUZZ_CHECK(e.present() && !rsvd && !SlPte::is_leaf(s.level, e.ps), "step %zu: walk went on past it", i);
    }
    if (e.present() && !rsvd) {
      r = r && e.r;
      w = w && e.w;
    }
    table = e.addr & haw_mask(p.haw);
  }

  if (res.ok) {
    FUZZ_CHECK(!res.steps.empty(), "ok without reading");
    const SlStep& leaf = res.steps.back();
    const SlPte e = SlPte::decode(leaf.entry);
    FUZZ_CHECK(res.end_level == leaf.level && res.page_size == sl_level_size(leaf.level), "leaf level/size");
    if (!read && !write && !e.present()) {
      FUZZ_CHECK(!res.r && !res.w, "translation request of a not-present entry grants access");
    } else {
      FUZZ_CHECK(SlPte::is_leaf(leaf.level, e.ps), "ok at a non-leaf");
      FUZZ_CHECK(res.r == r && res.w == w, "permissions are not the AND of the entries");
      FUZZ_CHECK((!write || w) && (!read || r), "access granted without permission");
      const Addr frame = e.addr & haw_mask(p.haw) & ~(res.page_size - 1);
      FUZZ_CHECK(res.pa == (frame | (iova & (res.page_size - 1))), "pa %#llx", (unsigned long long)res.pa);
    }
  } else if (res.fault == FaultReason::kContextEntryInvalid || res.fault == FaultReason::kPagingEntryAccessError) {
    // The read after the last step failed.
    const unsigned level = p.levels - static_cast<unsigned>(res.steps.size());
    FUZZ_CHECK(level >= 1 && res.end_level == level, "failed read at level %u", level);
    const Addr ea = table + Addr{sl_index(iova, level)} * 8;
    uint64_t v = 0;
    bool fails = false;
    FUZZ_CHECK(mem.known(ea, v, fails) && fails, "fault %#x without a failed read", unsigned(res.fault));
    FUZZ_CHECK((res.fault == FaultReason::kContextEntryInvalid) == (level == p.levels), "0x3 vs 0x7");
  } else {
    FUZZ_CHECK(!res.steps.empty(), "fault %#x without reading", unsigned(res.fault));
    const SlStep& s = res.steps.back();
    const SlPte e = SlPte::decode(s.entry);
    FUZZ_CHECK(res.end_level == s.level, "end level");
    if (!e.present()) {
      FUZZ_CHECK(res.fault == (write ? FaultReason::kWriteNoPermission : FaultReason::kReadNoPermission),
                 "not present: fault %#x", unsigned(res.fault));
    } else if (s.entry & sl_reserved_mask(s.level, e.ps, p.haw, caps)) {
      FUZZ_CHECK(res.fault == FaultReason::kPagingEntryReserved, "reserved: fault %#x", unsigned(res.fault));
    } else {
      FUZZ_CHECK(SlPte::is_leaf(s.level, e.ps), "permission fault at a non-leaf");
      if (write && !w) FUZZ_CHECK(res.fault == FaultReason::kWriteNoPermission, "write fault %#x", unsigned(res.fault));
      else FUZZ_CHECK(read && !r && res.fault == FaultReason::kReadNoPermission, "read fault %#x", unsigned(res.fault));
    }
  }

  // Same memory, same walk.
  FUZZ_CHECK(same_result(walk_second_level(mem, p, iova, write, read), res), "walk is not deterministic");
  // Resume below each non-leaf step.
  bool rr = true, ww = true;
  for (size_t i = 0; i + 1 < res.steps.size(); ++i) {
    const SlPte e = SlPte::decode(res.steps[i].entry);
    rr = rr && e.r;
    ww = ww && e.w;
    const SlWalkResult again = walk_second_level(mem, p, iova, write, read, res.steps[i].level - 1,
                                                 e.addr & haw_mask(p.haw), rr, ww);
    FUZZ_CHECK(same_result(again, res),
               "resumed at level %u: ok %d/%d fault %#x/%#x pa %#llx/%#llx size %#llx/%#llx r %d/%d w %d/%d end %u/%u "
               "(levels %u haw %u mgaw %u iova %#llx read %d write %d)",
               res.steps[i].level - 1, again.ok, res.ok, unsigned(again.fault), unsigned(res.fault),
               (unsigned long long)again.pa, (unsigned long long)res.pa, (unsigned long long)again.page_size,
               (unsigned long long)res.page_size, again.r, res.r, again.w, res.w, again.end_level, res.end_level,
               p.levels, p.haw, p.mgaw, (unsigned long long)iova, read, write);
    FUZZ_CHECK(again.steps.size() == res.steps.size() - i - 1, "resumed walk read %zu entries", again.steps.size());
  }
  return 0;
}
