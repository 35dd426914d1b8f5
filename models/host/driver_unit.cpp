#include "host/driver_unit.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"
#include "common/msi_message.h"
#include "common/sc_time_conv.h"
#include "vtd/irte.h"
#include "vtd/register_fields.h"
#include "vtd/registers.h"
#include "vtd/remappable_msi.h"

namespace iommusim {

namespace {
constexpr uint32_t kQiInUse = 1, kQiDone = 2;  // Linux enum qi_desc_status
}  // namespace

DriverUnit::DriverUnit(const DriverUnitInfo& unit, std::size_t unit_index, Addr memory_base, Addr memory_end,
                       HostBus& bus, const HostDriverParams& params, HostDriverStats& stats)
    : info(unit),
      index(unit_index),
      next_page(memory_base),
      end_page(memory_end),
      qi_lock(std::make_unique<sc_core::sc_mutex>()),
      op_lock(std::make_unique<sc_core::sc_mutex>()),
      bus_(bus),
      p_(params),
      st_(stats) {}

DriverUnit::~DriverUnit() = default;

// The device-TLB invalidation that follows an IOTLB invalidation for one
// device (Linux qi_flush_dev_iotlb(): with a mask, S = 1 and the address's
// bits below the range size set; "all" is a mask of 64 - 12).
QiDescriptor devtlb_invalidation(const IotlbFlush& f, const Bdf& dev) {
  QiDescriptor d;
  d.type = QiType::DeviceTlb;
  d.sid = dev.rid();
  d.pfsid = dev.rid();
  d.mip = 0;
  const unsigned mask = f.scope == FlushScope::Page ? f.am : 64 - 12;
  Addr addr = f.scope == FlushScope::Page ? f.addr : 0;
  if (mask) {
    addr |= (Addr{1} << std::min(12 + mask - 1, 63u)) - 1;
    d.size = true;
  }
  d.addr = addr & ~Addr{0xfff};
  return d;
}


// --- register and memory access -------------------------------------------

uint64_t DriverUnit::read_reg(Addr off, unsigned size) {
  uint64_t v = 0;
  if (!bus_.mmio_read(info.reg_base + off, size, v))
    throw InputError(fmt::format("host driver: {}: reading register {:#x} failed", info.name, off));
  ++st_.reg_reads;
  return v;
}

void DriverUnit::write_reg(Addr off, unsigned size, uint64_t v) {
  if (!bus_.mmio_write(info.reg_base + off, size, v))
    throw InputError(fmt::format("host driver: {}: writing register {:#x} failed", info.name, off));
  ++st_.reg_writes;
}

void DriverUnit::store(Addr pa, unsigned size, uint64_t v) {
  if (!bus_.mem_write(pa, size, v))
    throw InputError(fmt::format("host driver: a store to {:#x} failed: is host.driver.memory inside physical "
                                 "memory?", pa));
}

Addr DriverUnit::alloc_page(const char* what) {
  if (next_page + kDriverPage > end_page)
    throw InputError(fmt::format("host driver: {}: out of driver memory for {} (host.driver.memory.size)",
                                 info.name, what));
  const Addr a = next_page;
  next_page += kDriverPage;
  return a;
}

void DriverUnit::poll_status(uint32_t status_bit, bool want, const char* what) {
  for (uint64_t n = 0;; ++n) {
    const bool set = (read_reg(reg::kGsts, 4) & status_bit) != 0;
    ++st_.polls;
    if (set == want) return;
    if (n >= p_.max_polls)
      throw InputError(fmt::format("host driver: {}: GSTS did not report {} after {} polls", info.name, what,
                                   p_.max_polls));
    bus_.compute(p_.poll_ps);
  }
}

void DriverUnit::global_command(uint32_t cmd, bool enable, uint32_t status_bit, const char* what) {
  // VT-d 11.4.4: keep the persistent status bits, change one command.
  const uint32_t sts = static_cast<uint32_t>(read_reg(reg::kGsts, 4)) & reg::kGstsOneShotMask;
  write_reg(reg::kGcmd, 4, enable ? (sts | cmd) : (sts & ~cmd));
  poll_status(status_bit, enable, what);
}

// --- queued invalidation ----------------------------------------------------

void DriverUnit::submit(std::vector<QiDescriptor> descs) {
  qi_lock->lock();
  const Tick start = now_tick();
  const unsigned n = static_cast<unsigned>(descs.size()) + 1;
  if (n >= entries)
    throw InputError(fmt::format("host driver: {}: {} descriptors do not fit an invalidation queue of {} "
                                 "(host.driver.queue_qs)", info.name, n, entries));
  const auto used = [this] { return (tail + entries - head) % entries; };
  while (entries - 1 - used() < n) {
    head = static_cast<unsigned>(read_reg(reg::kIqh, 8) / desc_bytes) % entries;
    ++st_.polls;
    if (entries - 1 - used() >= n) break;
    bus_.compute(p_.poll_ps);
  }
  const unsigned wait_slot = (tail + n - 1) % entries;
  const Addr status = status_words + 4ull * wait_slot;
  store(status, 4, kQiInUse);
  QiDescriptor w;
  w.type = QiType::Wait;
  w.sw = true;
  w.fn = true;
  w.status_data = kQiDone;
  w.status_addr = status;
  descs.push_back(w);
  for (const QiDescriptor& d : descs) {
    const auto q = encode(d);
    const Addr at = iq + Addr{tail} * desc_bytes;
    for (unsigned i = 0; i < desc_bytes / 8; ++i) store(at + 8 * i, 8, q[i]);
    tail = (tail + 1) % entries;
    ++st_.descriptors;
  }
  write_reg(reg::kIqt, 8, Addr{tail} * desc_bytes);
  ++st_.submissions;
  qi_lock->unlock();

  for (uint64_t polls = 0;; ++polls) {
    // Linux qi_submit_sync(): qi_check_fault() on every turn, then the
    // status word. An invalidation completion error (ICE: a device answered
    // an ATS invalidation wrongly) is cleared (RW1C) and the wait goes on; a
    // queue error (IQE) or a device-TLB time-out (ITE) stops the driver.
    const uint64_t fsts = read_reg(reg::kFsts, 4);
    if (fsts & (reg::kFstsIqe | reg::kFstsIte))
      throw InputError(fmt::format("host driver: {}: the invalidation queue stopped with FSTS {:#x} ({}) while the "
                                   "driver waited for descriptor {}",
                                   info.name, fsts, (fsts & reg::kFstsIqe) ? "IQE" : "ITE", wait_slot));
    if (fsts & reg::kFstsIce) {
      write_reg(reg::kFsts, 4, reg::kFstsIce);
      ++st_.ice_cleared;
    }
    uint64_t v = 0;
    if (!bus_.mem_read(status, 4, v))
      throw InputError(fmt::format("host driver: {}: reading the wait status at {:#x} failed", info.name, status));
    ++st_.polls;
    if (v == kQiDone) break;
    if (polls >= p_.max_polls)
      throw InputError(fmt::format("host driver: {}: an invalidation wait did not complete after {} polls",
                                   info.name, p_.max_polls));
    bus_.compute(p_.poll_ps);
  }
  st_.wait_time.sample(double(now_tick() - start));
}

void DriverUnit::perform(DriverActions&& actions) {
  for (const DriverAction& a : actions) {
    switch (a.kind) {
      case DriverAction::Kind::Write:
        store(a.pa, 8, a.value);
        ++st_.pte_writes;
        break;
      case DriverAction::Kind::Invalidate: {
        pending.push_back(a.flush.descriptor());
        for (const auto& [did, devs] : ats_devices)
          if (a.flush.scope == FlushScope::Global || did == a.flush.did)
            for (const Bdf& dev : devs) pending.push_back(devtlb_invalidation(a.flush, dev));
        break;
      }
      case DriverAction::Kind::Wait:
        submit(std::move(pending));
        pending.clear();
        break;
      case DriverAction::Kind::Cpu:
        bus_.compute(a.cpu);
        break;
      case DriverAction::Kind::FreeIova:
      case DriverAction::Kind::ReleaseTables:
        break;  // already done in the logic; the order guarantees the invalidation completed
    }
  }
  if (!pending.empty()) {
    // The logic always ends invalidations with a wait; be safe anyway.
    submit(std::move(pending));
    pending.clear();
  }
}

// --- unit-wide bring-up steps -----------------------------------------------

void DriverUnit::enable_qi() {
  if (!f.qi)
    throw InputError(fmt::format("host driver: {} has no queued invalidation (ECAP.QI): register-based "
                                 "invalidation is not built in the driver model",
                                 info.name));
  const unsigned pages = 1u << p_.queue_qs;
  desc_bytes = f.smts ? kQiDescriptorBytes256 : kQiDescriptorBytes128;
  entries = pages * unsigned(kDriverPage) / desc_bytes;
  iq = alloc_page("the invalidation queue");
  for (unsigned i = 1; i < pages; ++i) alloc_page("the invalidation queue");
  status_words = alloc_page("invalidation status words");
  for (unsigned i = 1; i * kDriverPage < 4ull * entries; ++i) alloc_page("invalidation status words");
  tail = head = 0;
  // Linux __dmar_enable_qi(): the queue must be empty when QIE is set.
  write_reg(reg::kIqt, 8, 0);
  write_reg(reg::kIqa, 8, iq | (f.smts ? reg::kIqaDw : 0) | p_.queue_qs);
  global_command(reg::kGcmdQie, true, reg::kGstsQies, "QIES");
}

void DriverUnit::set_root_table() {
  // Every table store is timed and counted as a table write.
  tables = std::make_unique<TableBuilder>(
      p_.mode == DriverMode::Scalable ? TableMode::Scalable : TableMode::Legacy, EntryStores::PresentLast,
      [this](const char* what) { return alloc_page(what); },
      [this](Addr pa, uint64_t v) {
        store(pa, 8, v);
        ++st_.table_writes;
      });
  const RootTablePointer rtaddr{tables->root(), p_.mode == DriverMode::Scalable ? reg::kTtmScalable : reg::kTtmLegacy};
  write_reg(reg::kRtaddr, 8, rtaddr.encode());
  global_command(reg::kGcmdSrtp, true, reg::kGstsRtps, "RTPS");
  // Linux init_dmars(): flush the context cache and IOTLB globally (and the
  // PASID cache in scalable mode) after a new root table.
  flush_all_caches();
}

void DriverUnit::flush_all_caches() {
  std::vector<QiDescriptor> d;
  QiDescriptor cc;
  cc.type = QiType::ContextCache;
  cc.cc_granularity = ContextGranularity::Global;
  d.push_back(cc);
  if (p_.mode == DriverMode::Scalable) {
    QiDescriptor pc;
    pc.type = QiType::PasidCache;
    pc.pc_granularity = PasidCacheGranularity::Global;
    d.push_back(pc);
  }
  QiDescriptor tlb;
  tlb.type = QiType::Iotlb;
  tlb.iotlb_granularity = IotlbGranularity::Global;
  tlb.dr = f.drd;
  tlb.dw = f.dwd;
  d.push_back(tlb);
  submit(std::move(d));
}

void DriverUnit::setup_irtes(const DriverEndpointInfo& ep, const MsiProgrammer& program_msi) {
  for (const auto& [addr, data] : ep.msis) {
    if (irt_next >= (1u << p_.irt_size_log2))
      throw InputError(fmt::format("host driver: {}: the interrupt remapping table's {} entries are used up "
                                   "(host.driver.irt_entries_log2)", info.name, 1u << p_.irt_size_log2));
    const MsiFields m = decode_msi(addr, data);
    Irte e;
    e.present = true;
    e.vector = m.vector;
    e.delivery_mode = m.delivery_mode;
    e.dest_mode_logical = m.logical;
    e.redirection_hint = m.redirection_hint;
    e.level_trigger = m.level;
    e.dst = Irte::make_dst(m.dest, eime);
    e.svt = kSvtRequesterId;
    e.sq = kSqAll;
    e.sid = ep.bdf.rid();
    const unsigned entry = irt_next++;
    const Addr at = irt + Addr{entry} * kIrteBytes;
    store(at + 8, 8, e.hi());
    store(at, 8, e.lo());
    st_.table_writes += 2;
    ++st_.irtes;
    if (program_msi) program_msi(ep.bdf, addr, data, msi_remappable_address(static_cast<uint16_t>(entry), false), 0);
  }
}

void DriverUnit::enable_interrupt_remapping(const std::vector<DriverEndpointInfo>& endpoints,
                                            const MsiProgrammer& program_msi) {
  const unsigned irtes = 1u << p_.irt_size_log2;
  const unsigned pages = std::max(1u, irtes * kIrteBytes / unsigned(kDriverPage));
  irt = alloc_page("the interrupt remapping table");
  for (unsigned i = 1; i < pages; ++i) alloc_page("the interrupt remapping table");
  eime = p_.x2apic;
  ir = true;
  // The entries first (Linux allocates them as drivers request interrupts;
  // here every device's interrupts are known at boot), then the table pointer.
  for (const DriverEndpointInfo& ep : endpoints)
    if (ep.unit == static_cast<int>(index)) setup_irtes(ep, program_msi);
  write_reg(reg::kIrta, 8, InterruptRemapTablePointer{irt, eime, p_.irt_size_log2 - 1}.encode());
  global_command(reg::kGcmdSirtp, true, reg::kGstsIrtps, "IRTPS");
  QiDescriptor iec;
  iec.type = QiType::InterruptEntryCache;
  iec.iec_granularity = IecGranularity::Global;
  submit({iec});
  global_command(reg::kGcmdIre, true, reg::kGstsIres, "IRES");
  // Linux iommu_enable_irq_remapping(): block compatibility-format MSIs.
  if (read_reg(reg::kGsts, 4) & reg::kGstsCfis) global_command(reg::kGcmdCfi, false, reg::kGstsCfis, "CFIS");
}

}  // namespace iommusim
