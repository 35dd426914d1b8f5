#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "host/host_driver.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "common/error.h"
#include "common/msi_message.h"
#include "common/sc_time_conv.h"
#include "host/table_builder.h"
#include "vtd/context_entry.h"
#include "vtd/irte.h"
#include "vtd/pasid_entry.h"
#include "vtd/registers.h"
#include "vtd/remappable_msi.h"

namespace iommusim {

namespace {

// Page-table levels Linux gives a domain: iommu_calculate_agaw() ->
// __iommu_calculate_agaw(iommu, DEFAULT_DOMAIN_ADDRESS_WIDTH = 57): the
// largest SAGAW level at or below 57 bits (5 levels). 0: none supported.
unsigned domain_levels(const UnitFeatures& f) {
  for (int agaw = 3; agaw >= 1; --agaw)
    if (f.sagaw & (1u << agaw)) return static_cast<unsigned>(agaw) + 2;
  return 0;
}

// Holds an sc_mutex for a scope (from an SC_THREAD).
class ScopedLock {
 public:
  explicit ScopedLock(sc_core::sc_mutex& m) : m_(m) { m_.lock(); }
  ~ScopedLock() { m_.unlock(); }
  ScopedLock(const ScopedLock&) = delete;
  ScopedLock& operator=(const ScopedLock&) = delete;

 private:
  sc_core::sc_mutex& m_;
};

}  // namespace

HostDriver::HostDriver(sc_core::sc_module_name name, const HostDriverSetup& setup, HostBus& bus, RunError& error,
                       StatsRegistry& stats)
    : sc_module(name),
      p_(setup.params),
      bus_(bus),
      error_(error),
      stats_(stats),
      endpoints_(setup.endpoints),
      rmrrs_(setup.rmrrs),
      program_msi_(setup.program_msi),
      st_(StatsGroup(stats, this->name())) {
  const std::vector<DriverUnitInfo>& units = setup.units;
  if (p_.memory_bytes / kDriverPage < 16 * std::max<std::size_t>(units.size(), 1))
    throw InputError(fmt::format("host.driver.memory.size: {:#x} bytes is too small for {} remapping units",
                                 p_.memory_bytes, units.size()));
  const uint64_t share = (p_.memory_bytes / std::max<std::size_t>(units.size(), 1)) & ~(kDriverPage - 1);
  for (std::size_t i = 0; i < units.size(); ++i) {
    const Addr base = p_.memory_base + i * share;
    units_.push_back(
        std::make_unique<DriverUnit>(units[i], i, base, base + ((share / 4) & ~(kDriverPage - 1)), bus_, p_, st_));
  }
  const StatsGroup g(stats, this->name());
  g.formula("bringup_time", "When bring-up finished (translation enabled; 1 Tick = 1 ps)", "Tick",
            [this] { return double(bringup_done_); });
  // A statistic of the logic summed over the units (`of` picks the counter).
  const auto over_units = [this](auto of) {
    return [this, of] {
      double s = 0;
      for (const auto& u : units_)
        if (u->api) s += double(of(*u->api));
      return s;
    };
  };
  const auto sum = [&](uint64_t DmaApiStats::*m) {
    return over_units([m](const DmaApi& a) { return a.stats().*m; });
  };
  const auto fqsum = [&](uint64_t FlushQueueStats::*m) {
    return over_units([m](const DmaApi& a) { return a.flush_queue().stats().*m; });
  };
  g.formula("maps", "DMA-API maps (identity included)", "Count", sum(&DmaApiStats::maps));
  g.formula("map_failures", "DMA-API maps that failed (IOVA or table pages exhausted)", "Count",
                sum(&DmaApiStats::map_failures));
  g.formula("unmaps", "DMA-API unmaps", "Count", sum(&DmaApiStats::unmaps));
  g.formula("fixed_maps", "Unmanaged-domain maps", "Count", sum(&DmaApiStats::fixed_maps));
  g.formula("fixed_unmaps", "Unmanaged-domain unmaps", "Count", sum(&DmaApiStats::fixed_unmaps));
  g.formula("direct_maps", "RMRR regions mapped 1:1", "Count", sum(&DmaApiStats::direct_maps));
  g.formula("iotlb_invalidations", "IOTLB invalidation requests of the DMA API", "Count",
                sum(&DmaApiStats::invalidations));
  g.formula("waits", "Invalidation waits of the DMA API", "Count", sum(&DmaApiStats::waits));
  g.formula("iova_frees", "IOVA ranges freed", "Count", sum(&DmaApiStats::iova_frees));
  g.formula("psi", "Page-selective IOTLB invalidations", "Count", fqsum(&FlushQueueStats::psi));
  g.formula("dsi", "Domain-selective IOTLB invalidations", "Count", fqsum(&FlushQueueStats::dsi));
  g.formula("global_invalidations", "Global IOTLB invalidations of the flush policy", "Count",
                fqsum(&FlushQueueStats::global));
  g.formula("lazy_flushes", "Flush-queue batch flushes (full + timeout)", "Count",
                fqsum(&FlushQueueStats::flushes));
  g.formula("lazy_full_flushes", "Batch flushes caused by a full flush queue", "Count",
                fqsum(&FlushQueueStats::full_flushes));
  g.formula("lazy_timeout_flushes", "Batch flushes caused by the flush-queue timer", "Count",
                fqsum(&FlushQueueStats::timeout_flushes));
  g.formula("lazy_ranges_flushed", "Unmapped ranges freed by batch flushes", "Count",
                fqsum(&FlushQueueStats::ranges_flushed));
  SC_THREAD(flush_timer);
  SC_THREAD(run_events);
}

HostDriver::~HostDriver() = default;

const DmaApi& HostDriver::api(std::size_t unit) const { return *units_.at(unit)->api; }
Addr HostDriver::root_table(std::size_t unit) const {
  const Unit& u = *units_.at(unit);
  return u.tables ? u.tables->root() : 0;
}
Addr HostDriver::invalidation_queue(std::size_t unit) const { return units_.at(unit)->iq; }
Addr HostDriver::irt(std::size_t unit) const { return units_.at(unit)->irt; }

void HostDriver::write_context(Unit& u, const DriverEndpointInfo& ep, DomainId d) {
  DmaApi& api = *u.api;
  const Bdf& dev = ep.bdf;
  const DomainType type = api.domain_type(d);
  if (type == DomainType::Identity && !u.f.pt)
    throw InputError(fmt::format("host driver: {} is in an identity (pass-through) domain, but {} has no "
                                 "pass-through (ECAP.PT)", dev.str(), u.info.name));
  TableBuilder& tables = *u.tables;
  // The context table (and its root entry) is created even for a blocked
  // device, whose entry then stays not present.
  tables.context_table(dev.rid());
  if (p_.mode == DriverMode::Legacy) {
    ContextEntry ce = api.context_entry(dev);
    if (!ce.present) return;  // blocked: the entry stays not present
    // VT-d 9.3: with TT = 10 AW must give the largest AGAW the hardware
    // supports (Linux: context_set_address_width(context, iommu->msagaw)).
    if (ce.tt == kTtPassThrough) ce.aw = static_cast<uint8_t>(domain_levels(u.f) - 2);
    const bool ats = u.f.dt && ce.tt == kTtUntranslatedOnly && ep.ats;
    if (ats) {
      ce.tt = kTtDeviceTlb;
      u.ats_devices[ce.did].push_back(dev);
      ++st_.ats_enabled;
    }
    tables.set_context(dev.rid(), ce);
    return;
  }
  // Scalable mode: the RID_PASID (0) entry of a PASID table of its own.
  if (type == DomainType::Blocked) return;
  PasidEntry pe;
  pe.present = true;
  pe.did = api.domain_did(d);
  if (type == DomainType::Identity) {
    pe.pgtt = kPgttPassThrough;
    pe.aw = static_cast<uint8_t>(domain_levels(u.f) - 2);  // Linux pasid_pte_config_pass_through(): iommu->agaw
  } else {
    const DomainPageTable* pt = api.page_table(d);
    pe.pgtt = kPgttSecondLevel;
    pe.slptptr = pt->root();
    pe.aw = static_cast<uint8_t>(pt->levels() - 2);
  }
  tables.set_rid_pasid(dev.rid(), pe);
}

DomainId HostDriver::domain_for(Unit& u, const std::string& device, DomainType type, const std::string& name) {
  DmaApi& api = *u.api;
  if (!name.empty()) {
    auto it = u.named.find(name);
    if (it != u.named.end()) {
      if (api.domain_type(it->second) != type)
        throw InputError(fmt::format("host.driver: '{}' is in domain '{}', which is {}, not {}", device, name,
                                     to_string(api.domain_type(it->second)), to_string(type)));
      return it->second;
    }
  }
  const uint64_t max_did = uint64_t{1} << (4 + 2 * u.f.nd);
  if (u.next_did >= max_did)
    throw InputError(fmt::format("host driver: {}: out of domain-ids ({} with CAP.ND {})", u.info.name, max_did, u.f.nd));
  const DomainId d = api.create_domain(type, u.next_did++);
  if (!name.empty()) u.named[name] = d;
  return d;
}

void HostDriver::attach_devices(Unit& u, std::size_t index) {
  DmaApi& api = *u.api;
  for (const DriverEndpointInfo& ep : endpoints_) {
    if (ep.unit != static_cast<int>(index)) continue;
    DriverDevice cfg;
    cfg.device = ep.name;
    cfg.domain = p_.default_domain;
    for (const DriverDevice& d : p_.devices)
      if (d.device == ep.name) cfg = d;
    const bool joins = !cfg.domain_name.empty() && u.named.count(cfg.domain_name);
    if (joins && !cfg.maps.empty())
      throw InputError(fmt::format("host.driver.devices: '{}' joins domain '{}', whose fixed maps come from its first "
                                   "device; give maps there", ep.name, cfg.domain_name));
    const DomainId dom = domain_for(u, ep.name, cfg.domain, cfg.domain_name);
    api.attach(ep.bdf, dom, cfg.dma_mask);
    // Reserved memory regions of the device, 1:1 (Linux: IOMMU_RESV_DIRECT).
    for (const DriverRmrr& r : rmrrs_) {
      if (std::find(r.devices.begin(), r.devices.end(), ep.bdf) == r.devices.end()) continue;
      if (!u.direct.insert({dom, r.base}).second) continue;
      perform(u, api.map_direct(dom, r.base, r.limit - r.base + 1));
    }
    for (const FixedMap& m : cfg.maps) perform(u, api.map_fixed(dom, m.iova, m.pa, m.size, m.perm));
    write_context(u, ep, dom);
  }
  if (u.f.cm) {
    // A caching-mode unit may cache not-present entries: invalidate what
    // was just made present (Linux domain_context_mapping_one()).
    u.flush_all_caches();
  }
}

void HostDriver::bring_up() {
  if (!p_.enabled) {
    // intel_iommu=off: the units stay as firmware left them; dma-direct.
    bringup_done_ = now_tick();
    ready_.open();
    return;
  }
  for (std::size_t i = 0; i < units_.size(); ++i) {
    Unit& u = *units_[i];
    u.cap = u.read_reg(reg::kCap, 8);
    u.ecap = u.read_reg(reg::kEcap, 8);
    u.f = decode_cap_ecap(u.cap, u.ecap);
    if (p_.mode == DriverMode::Scalable && !(u.f.smts && u.f.slts))
      throw InputError(fmt::format("host.driver.mode: scalable needs scalable-mode translation with second-level "
                                   "tables (ECAP.SMTS and SLTS), and {} has {}",
                                   u.info.name, u.f.smts ? "no SLTS" : "no SMTS"));
    if (p_.x2apic && p_.interrupt_remapping && u.f.ir && !u.f.eim)
      throw InputError(fmt::format("host.driver.x2apic: {} has no extended interrupt mode (ECAP.EIM)", u.info.name));
    if (u.read_reg(reg::kGsts, 4) & reg::kGstsTes)
      throw InputError(fmt::format("host driver: {} already has translation enabled (GSTS.TES) at boot",
                                   u.info.name));
    const unsigned levels = domain_levels(u.f);
    if (levels == 0)
      throw InputError(fmt::format("host driver: {} supports no page-table depth (CAP.SAGAW {:#x})", u.info.name,
                                   u.f.sagaw));
    DmaApiParams ap;
    ap.page_table.levels = levels;
    ap.page_table.superpages = p_.superpages && (u.f.sp_2m || u.f.sp_1g);
    ap.page_table.sp_2m = u.f.sp_2m;
    ap.page_table.sp_1g = u.f.sp_1g;
    ap.flush.strict = p_.strict;
    ap.flush.entries = p_.fq_entries;
    ap.flush.timeout = p_.fq_timeout_ps;
    ap.flush.global_flush = p_.fq_global_flush;
    ap.flush.caps = FlushCaps{u.f.psi, u.f.mamv, u.f.drd, u.f.dwd};
    ap.table_pool_base = u.end_page;
    const uint64_t share = (p_.memory_bytes / units_.size()) & ~(kDriverPage - 1);
    ap.table_pool_bytes = (p_.memory_base + i * share + share) - u.end_page;
    ap.forcedac = p_.forcedac;
    ap.caching_mode = u.f.cm;
    ap.map_cpu_ns = p_.map_cpu_ns;
    ap.unmap_cpu_ns = p_.unmap_cpu_ns;
    ap.inv_wait_cpu_ns = p_.inv_wait_cpu_ns;
    u.api = std::make_unique<DmaApi>(ap);

    u.enable_qi();
    u.set_root_table();
    if (p_.interrupt_remapping && u.f.ir) u.enable_interrupt_remapping(endpoints_, program_msi_);
    try {
      attach_devices(u, i);
    } catch (const std::logic_error& e) {
      throw InputError(fmt::format("host driver: {}: {}", u.info.name, e.what()));
    } catch (const TablePoolExhausted& e) {
      throw InputError(fmt::format("host driver: {}: {} (host.driver.memory.size)", u.info.name, e.what()));
    }
    u.global_command(reg::kGcmdTe, true, reg::kGstsTes, "TES");
  }
  bringup_done_ = now_tick();
  ready_.open();
}

void HostDriver::perform(Unit& u, DriverActions&& actions) {
  u.perform(std::move(actions));
  fq_armed_.notify(sc_core::SC_ZERO_TIME);
}

// --- DMA API ------------------------------------------------------------------

Tick HostDriver::locked_at(Tick asked) {
  st_.lock_wait.sample(double(now_tick() - asked));
  return now_tick();
}

HostDriver::Unit& HostDriver::unit_of(const Bdf& dev, const char* what) {
  for (const DriverEndpointInfo& ep : endpoints_)
    if (ep.bdf == dev) {
      if (ep.unit < 0)
        throw std::logic_error(fmt::format("{} for {}: the device is in no remapping unit's scope", what, dev.str()));
      return *units_[ep.unit];
    }
  throw std::logic_error(fmt::format("{} for {}: no such endpoint in the platform", what, dev.str()));
}

bool HostDriver::trace_map(const TraceRecord& r, std::string& why) {
  if (!p_.enabled) {
    if (r.iova == r.pa) {
      ++st_.trace_maps;
      return true;
    }
    ++st_.refused;
    why = fmt::format("the IOMMU is off (host.driver.enabled: false): a DMA address is the physical address, and "
                      "IOVA {:#x} != {:#x}", r.iova, r.pa);
    return false;
  }
  try {
    const Tick asked = now_tick();
    Unit& u = unit_of(r.dev, "map");
    DmaPerm perm;
    perm.r = r.perm & kPermRead;
    perm.w = r.perm & kPermWrite;
    ScopedLock lock(*u.op_lock);
    const Tick t0 = locked_at(asked);
    perform(u, u.api->map_at(r.dev, r.iova, r.pa, r.size, perm));
    st_.map_time.sample(double(now_tick() - t0));
    ++st_.trace_maps;
    return true;
  } catch (const std::logic_error& e) {
    ++st_.refused;
    why = e.what();
    return false;
  } catch (const TablePoolExhausted& e) {
    ++st_.refused;
    why = fmt::format("{} (host.driver.memory.size)", e.what());
    return false;
  }
}

bool HostDriver::trace_unmap(const TraceRecord& r, std::string& why) {
  if (!p_.enabled) {
    ++st_.trace_unmaps;
    return true;
  }
  try {
    const Tick asked = now_tick();
    Unit& u = unit_of(r.dev, "unmap");
    ScopedLock lock(*u.op_lock);
    const Tick t0 = locked_at(asked);
    perform(u, u.api->unmap_at(now_tick(), r.dev, r.iova, r.size));
    st_.unmap_time.sample(double(now_tick() - t0));
    ++st_.trace_unmaps;
    return true;
  } catch (const std::logic_error& e) {
    ++st_.refused;
    why = e.what();
    return false;
  }
}

bool HostDriver::dma_map(const Bdf& dev, Addr pa, uint64_t size, DmaDirection dir, Addr& dma_addr, std::string* why) {
  if (!p_.enabled) {
    const Tick t0 = now_tick();
    bus_.compute(ticks_from_ns(p_.map_cpu_ns));
    st_.map_time.sample(double(now_tick() - t0));
    dma_addr = pa;
    return true;
  }
  const Tick asked = now_tick();
  Unit& u = unit_of(dev, "dma_map");
  ScopedLock lock(*u.op_lock);
  const Tick t0 = locked_at(asked);
  DmaMapResult res = u.api->map(dev, pa, size, dir);
  perform(u, std::move(res.actions));
  st_.map_time.sample(double(now_tick() - t0));
  dma_addr = res.dma_addr;
  if (!res.ok && why) *why = res.error;
  return res.ok;
}

void HostDriver::dma_unmap(const Bdf& dev, Addr dma_addr, uint64_t size) {
  if (!p_.enabled) {
    const Tick t0 = now_tick();
    bus_.compute(ticks_from_ns(p_.unmap_cpu_ns));
    st_.unmap_time.sample(double(now_tick() - t0));
    return;
  }
  const Tick asked = now_tick();
  Unit& u = unit_of(dev, "dma_unmap");
  ScopedLock lock(*u.op_lock);
  const Tick t0 = locked_at(asked);
  perform(u, u.api->unmap(now_tick(), dev, dma_addr, size));
  st_.unmap_time.sample(double(now_tick() - t0));
}

void HostDriver::move_device(const DriverEvent& ev) {
  const auto ep = std::find_if(endpoints_.begin(), endpoints_.end(),
                               [&](const DriverEndpointInfo& e) { return e.name == ev.device; });
  if (ep == endpoints_.end() || ep->unit < 0)
    throw InputError(fmt::format("host.driver.events: '{}' is not an endpoint in a remapping unit's scope", ev.device));
  Unit& u = *units_[ep->unit];
  ScopedLock lock(*u.op_lock);
  DmaApi& api = *u.api;
  const Bdf dev = ep->bdf;
  const DomainId old = api.domain_of(dev);
  const uint16_t old_did = api.domain_did(old);
  // Clear the context entry (present bit first), then invalidate what the
  // unit may hold for the device and its old domain.
  u.tables->clear_context(dev.rid());
  std::vector<QiDescriptor> d;
  QiDescriptor cc;
  cc.type = QiType::ContextCache;
  cc.cc_granularity = ContextGranularity::Device;
  cc.did = old_did;
  cc.sid = dev.rid();
  cc.fm = 0;
  d.push_back(cc);
  if (p_.mode == DriverMode::Scalable) {
    QiDescriptor pc;
    pc.type = QiType::PasidCache;
    pc.pc_granularity = PasidCacheGranularity::Domain;
    pc.did = old_did;
    d.push_back(pc);
  }
  const IotlbFlush dsi = flush_domain(old_did, FlushCaps{u.f.psi, u.f.mamv, u.f.drd, u.f.dwd});
  d.push_back(dsi.descriptor());
  auto ats = u.ats_devices.find(old_did);
  if (ats != u.ats_devices.end()) {
    auto it = std::find(ats->second.begin(), ats->second.end(), dev);
    if (it != ats->second.end()) {
      d.push_back(devtlb_invalidation(dsi, dev));
      ats->second.erase(it);
    }
  }
  u.submit(std::move(d));
  // The new domain.
  DomainId nd = 0;
  try {
    nd = domain_for(u, ev.device, ev.domain, ev.domain_name);
    uint64_t mask = kDmaMask64;
    for (const DriverDevice& c : p_.devices)
      if (c.device == ev.device) mask = c.dma_mask;
    api.attach(dev, nd, mask);
  } catch (const std::logic_error& e) {
    throw InputError(fmt::format("host.driver.events: moving '{}': {}", ev.device, e.what()));
  }
  write_context(u, *ep, nd);
  ++st_.domain_moves;
}

void HostDriver::run_events() {
  if (p_.events.empty()) return;
  try {
    ready_.wait_open();
    const Tick origin = ready_.opened_at();
    for (const DriverEvent& ev : p_.events) {
      if (origin + ev.at_ps > now_tick()) sc_core::wait(to_sc_time(origin + ev.at_ps - now_tick()));
      if (!p_.enabled) continue;
      move_device(ev);
    }
  } catch (...) {
    error_.fail(std::current_exception());
  }
}

DmaMapper* HostDriver::add_pipeline(const std::string& name, const Bdf& dev, const PacketBuffers& pb) {
  auto p = std::make_unique<BufferPipeline>(*this, dev, pb, error_, StatsGroup(stats_, this->name()).group(name));
  BufferPipeline* raw = p.get();
  sc_core::sc_spawn(sc_bind(&BufferPipeline::run, raw), (name + "_buffers").c_str());
  pipelines_.push_back(std::move(p));
  return raw;
}

void HostDriver::flush_timer() {
  // Linux fq_flush_timeout(): when a unit's flush-queue deadline passes, its
  // domains are flushed and the queued ranges freed.
  for (;;) {
    std::optional<Tick> next;
    for (const auto& u : units_)
      if (u->api)
        if (auto d = u->api->next_deadline()) next = next ? std::min(*next, *d) : *d;
    if (!next) {
      sc_core::wait(fq_armed_);
      continue;
    }
    if (*next > now_tick()) {
      sc_core::wait(to_sc_time(*next - now_tick()), fq_armed_);
      continue;  // re-evaluate: an unmap may have flushed or re-armed
    }
    for (auto& u : units_) {
      if (!u->api) continue;
      const auto d = u->api->next_deadline();
      if (d && *d <= now_tick()) {
        ++st_.timer_flushes;
        try {
          ScopedLock lock(*u->op_lock);
          perform(*u, u->api->on_time(now_tick()));
        } catch (...) {
          error_.fail(std::current_exception());
          return;
        }
      }
    }
  }
}

}  // namespace iommusim
