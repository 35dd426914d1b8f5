#include "iommu/interrupt_remap.h"

namespace iommusim {

namespace {

RemapOutcome blocked(FaultReason r, uint32_t index) {
  RemapOutcome o;
  o.kind = RemapOutcome::Kind::Blocked;
  o.fault = r;
  o.index = index;
  return o;
}

// Compatibility-format MSI (Intel SDM vol. 3, 11.11.1-2): address 19:12
// destination ID, 3 RH, 2 DM; data 7:0 vector, 10:8 delivery mode, 15 trigger.
RemapOutcome passthrough(const MsiRequest& req) {
  RemapOutcome o;
  o.kind = RemapOutcome::Kind::Passthrough;
  o.dest = static_cast<uint32_t>((req.addr >> 12) & 0xff);
  o.redirection_hint = (req.addr >> 3) & 1;
  o.dest_mode_logical = (req.addr >> 2) & 1;
  o.vector = req.data & 0xff;
  o.delivery_mode = static_cast<uint8_t>((req.data >> 8) & 7);
  o.level_trigger = (req.data >> 15) & 1;
  return o;
}

}  // namespace

RemapOutcome remap_msi(TableReader& mem, const MsiRequest& req,
                       const InterruptRemapTablePointer& irta, bool ire, bool cfi, unsigned haw,
                       bool posting_supported) {
  // 5.1.2: with remapping disabled every request is handled as compatibility
  // format, i.e. delivered unremapped.
  if (!ire) return passthrough(req);

  // A request outside 0xFEEx_xxxx (upper 32 bits included) cannot be decoded
  // as an interrupt: QEMU vtd_interrupt_remap_msi reports 0x20.
  if (!msi_in_window(req.addr)) return blocked(FaultReason::kIrRequestReserved, 0);

  // 5.1.2.1: compatibility format is blocked in x2APIC mode (EIME) or when
  // GSTS.CFIS is clear; otherwise it bypasses remapping.
  if (!(req.addr & kMsiAddrRemappable)) {
    if (irta.eime || !cfi) return blocked(FaultReason::kIrCompatibilityBlocked, 0);
    return passthrough(req);
  }

  // 5.1.2.2 / 5.1.3: handle and subhandle.
  const RemappableMsi msi = RemappableMsi::decode(req.addr, req.data);
  const uint32_t index = msi.index();
  if (msi.shv && msi.data_reserved) return blocked(FaultReason::kIrRequestReserved, index);

  const uint64_t entries = uint64_t{2} << (irta.size & 0xf);  // 2^(S+1)
  if (index >= entries) return blocked(FaultReason::kIrIndexBeyondTable, index);

  RemapOutcome o;
  o.index = index;
  const Addr pa = irta.address + Addr{index} * kIrteBytes;
  o.reads.push_back(pa);
  uint64_t q[2] = {0, 0};
  if (!mem.try_read_entry(pa, q, 2)) {
    o.kind = RemapOutcome::Kind::Blocked;
    o.fault = FaultReason::kIrTableAccessError;
    return o;
  }

  const Irte e = Irte::decode(q[0], q[1], irta.eime, posting_supported, haw);
  // FPD is honoured from here on, even in a not-present entry (QEMU).
  o.fpd = e.fpd;
  o.kind = RemapOutcome::Kind::Blocked;
  if (!e.present) {
    o.fault = FaultReason::kIrEntryNotPresent;
    return o;
  }
  if (e.reserved_nonzero) {
    o.fault = FaultReason::kIrEntryReserved;
    return o;
  }
  if (!irte_source_valid(e, req.sid)) {
    o.fault = FaultReason::kIrSourceIdInvalid;
    return o;
  }

  o.vector = e.vector;
  if (e.posted) {
    o.kind = RemapOutcome::Kind::Posted;
    o.pda = e.pda;
    o.urgent = e.urgent;
    return o;
  }
  o.kind = RemapOutcome::Kind::Remapped;
  o.dest = e.destination(irta.eime);
  o.dest_mode_logical = e.dest_mode_logical;
  o.redirection_hint = e.redirection_hint;
  o.delivery_mode = e.delivery_mode;
  o.level_trigger = e.level_trigger;
  return o;
}

PostedUpdate post_interrupt(const std::array<uint64_t, 8>& desc, uint32_t vector, bool urgent) {
  const PostedDescriptor before{desc};
  PostedDescriptor after = before;
  after.set_pir(vector);
  PostedUpdate u;
  u.nv = before.nv();
  u.ndst = before.ndst();
  u.notify = !before.on() && (urgent || !before.sn());
  if (u.notify) after.set_on();
  u.desc = after.q;
  return u;
}

}  // namespace iommusim
