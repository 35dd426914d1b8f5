#include "platform/platform_builder.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "common/error.h"
#include "common/stats_group.h"
#include "mem/cache_state.h"
#include "pcie/workloads.h"
#include "platform/acpi_dmar.h"
#include "platform/dmar_boot_log.h"
#include "platform/iommu_groups.h"
#include "platform/system.h"
#include "trace/trace_writer.h"

namespace iommusim {

namespace {

// Mixes the run seed with a component's identity, so that every generator has
// its own stream and adding one does not shift the others.
std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t id) {
  std::uint64_t z = seed * 0x9e3779b97f4a7c15ull + id;
  z = (z ^ (z >> 33)) * 0xff51afd7ed558ccdull;
  return z ^ (z >> 33);
}

// An idle endpoint with default parameters for a device the platform lacks
// (one a trace or a DMAR scope names), named after its BDF.
void append_idle_endpoint(Config& cfg, const Bdf& b) {
  cfg.append("platform.endpoints", {{"name", b.endpoint_name()}, {"bdf", b.str()}});
}

std::vector<std::string> bdf_texts(const std::vector<Bdf>& bdfs) {
  std::vector<std::string> out;
  for (const Bdf& b : bdfs) out.push_back(b.str());
  return out;
}

}  // namespace

PlatformBuilder::PlatformBuilder(System& sys, Config& cfg, StatsRegistry& stats, Progress& progress,
                                 TxnLog* txn_log)
    : sys_(sys), cfg_(cfg), stats_(stats), progress_(progress), txn_log_(txn_log) {}

// ---------------------------------------------------------------- parse

void PlatformBuilder::parse_configuration(const Trace* trace, bool auto_endpoints) {
  ConfigNode root = cfg_.root();
  sys_.sim_ = SimulationParams::from_config(root.child("simulation"), cfg_.base_dir());
  ConfigNode plat = root.child("platform");

  ConfigNode mem_node = plat.child("memory");
  memory_ = MemoryParams::from_config(mem_node);
  memory_name_ = mem_node.instance_name("name", "mem0");
  // The host last-level cache, only when configured: without it nothing is
  // read (no defaults written back) and memory is bound as before.
  if (plat.has("llc")) llc_ = LlcParams::from_config(plat.child("llc"));
  ConfigNode rc_node = plat.child("root_complex");
  // The parameters before the name: the order their defaults are written back in.
  root_complex_ = RootComplexParams::from_config(rc_node);
  root_complex_name_ = rc_node.instance_name("name", "rc");

  // The DMA-remapping units (the default platform has one, iommu0, covering
  // every device, registers at 0xFED90000), each with its device scope.
  System::add_default_components(cfg_);
  unit_nodes_ = plat.list("iommus");
  if (unit_nodes_.empty()) plat.fail("iommus", "expected at least one remapping unit");
  std::vector<std::string> unit_names;
  for (ConfigNode& n : unit_nodes_) {
    RemappingUnitParams up = RemappingUnitParams::from_config(n, memory_.address_width);
    if (std::find(unit_names.begin(), unit_names.end(), up.name) != unit_names.end())
      n.fail("name", fmt::format("duplicate remapping unit name '{}'", up.name));
    sys_.scopes_.push_back(UnitScope::from_config(n.child("scope")));
    unit_names.push_back(up.name);
    units_.push_back(std::move(up));
  }
  if (const std::string bad = check_scopes(sys_.scopes_, unit_names); !bad.empty()) plat.fail("iommus", bad);

  // The DMAR's other structures: bridges its paths go through, reserved
  // memory regions, ATS ports.
  bridges_ = read_bridges(plat);
  for (ConfigNode r : plat.list("rmrrs")) sys_.rmrrs_.push_back(RmrrRegion::from_config(r));
  for (ConfigNode a : plat.list("atsrs")) sys_.atsrs_.push_back(AtsrPorts::from_config(a));
  check_atsr_ = cfg_.flag("dmar_imported") || !sys_.atsrs_.empty();

  // A trace run without a config: one endpoint per device the trace names.
  if (auto_endpoints && trace)
    for (const Bdf& b : trace->devices()) append_idle_endpoint(cfg_, b);

  std::map<Bdf, std::string> name_of;  // segment and requester ID
  std::set<std::string> names;
  for (ConfigNode n : plat.list("endpoints")) {
    EndpointParams ep = EndpointParams::from_config(n);
    if (names.count(ep.name)) n.fail("name", fmt::format("duplicate endpoint name '{}'", ep.name));
    if (name_of.count(ep.bdf))
      n.fail("bdf", fmt::format("{} is used by endpoint '{}'", ep.bdf.str(), name_of[ep.bdf]));
    name_of[ep.bdf] = ep.name;
    names.insert(ep.name);
    endpoint_nodes_.push_back(n);
    endpoints_.push_back(std::move(ep));
  }
}

// ---------------------------------------------------------------- build

void PlatformBuilder::build_modules() {
  sys_.mem_ = std::make_unique<MemoryController>(memory_name_.c_str(), memory_, stats_);
  if (llc_) sys_.llc_ = std::make_unique<HostCache>("llc", *llc_, memory_.base, memory_.size, stats_);
  sys_.rc_ = std::make_unique<RootComplex>(root_complex_name_.c_str(), root_complex_, stats_);
  sys_.ic_ = std::make_unique<InterruptController>("ic", stats_);
  for (std::size_t i = 0; i < units_.size(); ++i) {
    const RemappingUnitParams& up = units_[i];
    sys_.units_.push_back(
        std::make_unique<RemappingUnit>(up.name.c_str(), up, stats_, stream_seed(sys_.sim_.seed, (1u << 20) + i)));
  }
  const LocalClock clock(sys_.sim_.quantum_ps, true, sys_.sim_.end_ps);
  for (const EndpointParams& ep : endpoints_) {
    sys_.links_.push_back(std::make_unique<Link>((ep.name + "_link").c_str(), ep.link, stats_));
    sys_.endpoints_.push_back(
        std::make_unique<Endpoint>(ep.name.c_str(), ep, stats_, sys_.totals_, clock, progress_, txn_log_));
    by_bdf_[ep.bdf] = sys_.endpoints_.back().get();
    by_name_[ep.name] = sys_.endpoints_.back().get();
  }
}

// ---------------------------------------------------------------- check

void PlatformBuilder::check_cross_references() {
  const MemoryController& mem = *sys_.mem_;
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    const EndpointParams& ep = endpoints_[i];
    ConfigNode& n = endpoint_nodes_[i];
    if (ep.has_devtlb) {
      const int unit = unit_for_device(sys_.scopes_, ep.bdf);
      if (unit < 0)
        n.fail("devtlb", fmt::format("{} is in no remapping unit's scope: a device TLB needs one (ATS)",
                                     ep.bdf.str()));
      const RemappingUnitParams& up = units_[unit];
      if (up.features.smts)
        n.fail("devtlb", fmt::format("a device TLB behind a unit with scalable mode (features.smts) is not "
                                     "supported yet: ATS in scalable mode is not built yet"));
      if (!up.features.dt)
        n.fail("devtlb", fmt::format("a device TLB needs a remapping unit with Device-TLB support "
                                     "(ECAP.DT, features.dt), and {} has none", up.name));
      if (check_atsr_ && !ats_allowed(sys_.atsrs_, bridges_, ep.bdf))
        n.fail("devtlb", fmt::format("no ATSR of the platform covers {} (platform.atsrs): ATS is not allowed "
                                     "below its root port (VT-d 8.5)", ep.bdf.str()));
    }
    for (std::size_t b = 0; b < ep.bars.size(); ++b) {
      const Addr base = ep.bars[b].base, last = base + (ep.bars[b].size - 1);
      if (base <= RootComplex::kMsiLimit && last >= RootComplex::kMsiBase)
        n.fail("bars", fmt::format("BAR {} ({:#x}-{:#x}) overlaps the MSI window 0xfee00000-0xfeefffff", b,
                                   base, last));
      if (mem.contains(base, 1) || mem.contains(last, 1))
        n.fail("bars", fmt::format("BAR {} ({:#x}-{:#x}) overlaps physical memory ({:#x}-{:#x}): put it in "
                                   "the MMIO hole above memory, or make memory smaller",
                                   b, base, last, mem.params().base, mem.params().base + mem.params().size - 1));
    }
  }
}

// ---------------------------------------------------------------- bind

void PlatformBuilder::bind_sockets() {
  RootComplex& rc = *sys_.rc_;
  // With a host cache, the I/O requesters (DMA, the units' table reads) reach
  // memory through its `io` socket.
  if (sys_.llc_) sys_.llc_->to_memory.bind(sys_.mem_->tsock);
  auto bind_io = [this](auto& initiator) {
    if (sys_.llc_)
      initiator.bind(sys_.llc_->io);
    else
      initiator.bind(sys_.mem_->tsock);
  };
  for (std::size_t i = 0; i < sys_.units_.size(); ++i) {
    RemappingUnit& u = *sys_.units_[i];
    u.set_segment(sys_.scopes_[i].segment);
    rc.to_memory.bind(u.dma_in);
    u.dma_out.bind(rc.translated_in);  // then memory, or a peer's BAR
    bind_io(u.mem);
    rc.mmio_out.bind(u.regs);
    rc.msi_out.bind(u.msi_in);
    u.irq_out.bind(sys_.ic_->irq_in);
    u.ats_out.bind(rc.ats_in);
    try {
      rc.add_mmio_window(units_[i].reg_base, u.register_block_bytes(), static_cast<int>(i), units_[i].name);
    } catch (const std::logic_error& e) {
      unit_nodes_[i].fail("reg_base", e.what());
    }
  }
  int mmio_ports = static_cast<int>(sys_.units_.size());  // mmio_out[i]: unit i's registers, then BARs
  bind_io(rc.to_dram);
  rc.unremapped_irq.bind(sys_.ic_->irq_in);
  rc.set_default_route(unit_for_device(sys_.scopes_, Bdf{}));

  for (std::size_t i = 0; i < sys_.endpoints_.size(); ++i) {
    const EndpointParams& ep = endpoints_[i];
    Endpoint& e = *sys_.endpoints_[i];
    Link& link = *sys_.links_[i];
    rc.set_route(ep.bdf, unit_for_device(sys_.scopes_, ep.bdf));
    e.to_link.bind(link.from_device);
    link.to_host.bind(rc.from_links);
    // Downstream: ATS invalidate requests and MMIO to the BARs cross the link.
    link.to_device.bind(e.from_link);
    rc.ats_out.bind(link.from_host);
    rc.add_ats_target(ep.bdf, static_cast<int>(i));
    if (ep.bars.empty()) continue;
    const int port = mmio_ports++;
    rc.mmio_out.bind(link.from_host);
    for (std::size_t b = 0; b < ep.bars.size(); ++b) {
      try {
        rc.add_mmio_window(ep.bars[b].base, ep.bars[b].size, port, fmt::format("{} BAR {}", ep.name, b), true,
                           ep.bdf);
      } catch (const std::logic_error& err) {
        endpoint_nodes_[i].fail("bars", err.what());
      }
    }
  }
}

// ---------------------------------------------------------------- groups

void PlatformBuilder::form_iommu_groups() {
  // IOMMU groups from the topology (bridges, ACS), in the statistics and in
  // the root complex's peer-to-peer routing.
  const auto& endpoints = sys_.endpoints_;
  std::vector<GroupedDevice> devs;
  for (const auto& e : endpoints) devs.push_back({e->params().bdf, e->params().acs});
  const std::vector<IommuGroup> groups = iommu_groups(devs, bridges_);
  int count = 0;
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    sys_.rc_->set_group(endpoints[i]->params().bdf, groups[i].id, groups[i].bridged);
    const int id = groups[i].id;
    StatsGroup(stats_, endpoints[i]->name())
        .formula("iommu_group", "The device's IOMMU group (topology and ACS)", "Count", [id] { return double(id); });
    count = std::max(count, id + 1);
  }
  StatsGroup(stats_, sys_.name())
      .formula("iommu_groups", "IOMMU groups of the platform's endpoints", "Count", [count] { return double(count); });
}

// ---------------------------------------------------------------- workloads and trace

void PlatformBuilder::attach_workloads() {
  ConfigNode root = cfg_.root();
  const SimulationParams& sim = sys_.sim_;
  std::vector<ConfigNode> workloads = root.list("workloads");
  for (ConfigNode w : workloads) {
    const std::string dev = w.required_str("device");
    auto it = by_name_.find(dev);
    if (it == by_name_.end()) w.fail("device", fmt::format("no endpoint named '{}' in platform.endpoints", dev));
    if (it->second->has_source()) w.fail("device", fmt::format("endpoint '{}' already has a workload", dev));
    const Bdf& b = it->second->params().bdf;
    const std::uint64_t id = (std::uint64_t(b.segment) << 16) | b.rid();
    std::unique_ptr<DmaSource> src = make_workload(w, memory_.address_width, stream_seed(sim.seed, id));
    if (src->packet_buffers()) {
      if (!root.child("host").has("driver"))
        w.fail("mapping", "per_packet mapping needs the OS driver model: add host.driver to the configuration");
      if (!sim.record_trace.empty())
        w.fail("mapping", "simulation.record_trace cannot record a per_packet workload yet (its replay would need "
                          "the driver's map and unmap records, which are not recorded)");
      if (unit_for_device(sys_.scopes_, b) < 0)
        w.fail("mapping", fmt::format("per_packet mapping needs a remapping unit, and {} is in no unit's scope",
                                      b.str()));
    }
    // The host cache state the workload measures in (pcie-bench's Cache
    // column), set up before the run (mem/cache_state.h).
    if (const std::optional<CachePreparation> prep = src->cache_preparation()) {
      if (sys_.llc_) sys_.llc_->prepare(*prep);
      else if (prep->state != CacheState::Cold)
        w.fail("cache", fmt::format("cache state {} needs a host cache model: add platform.llc to the platform",
                                    cache_state_name(prep->state)));
    }
    if (!sim.record_trace.empty()) src = std::make_unique<RecordingSource>(std::move(src), b, &sys_.recorded_);
    it->second->set_source(std::move(src));
  }
}

void PlatformBuilder::attach_trace(const Trace& trace) {
  check_trace(trace);
  std::map<Bdf, std::vector<TraceRecord>> per_device;
  for (const TraceRecord& r : trace.records) {
    if (r.host) host_records_.push_back(r);
    else per_device[r.source].push_back(r);
  }
  for (auto& [bdf, recs] : per_device) {
    Endpoint* e = by_bdf_.at(bdf);
    if (e->has_source())
      throw InputError(fmt::format("{}:{}: device {} ('{}') also has a configured workload", trace.path,
                                   recs.front().line, recs.front().source.str(), e->params().name));
    e->set_source(std::make_unique<TraceDmaSource>(std::move(recs)));
  }
}

void PlatformBuilder::check_trace(const Trace& trace) const {
  const auto& endpoints = sys_.endpoints_;
  for (const TraceRecord& r : trace.records) {
    const std::string at = fmt::format("{}:{}", trace.path, r.line);
    if ((r.op == TraceOp::Map || r.op == TraceOp::Unmap) &&
        !std::any_of(endpoints.begin(), endpoints.end(), [&](const auto& e) { return e->params().bdf == r.dev; }))
      throw InputError(fmt::format("{}: {} for device {}, which is not in the platform", at, op_name(r.op),
                                   r.dev.str()));
    if (!r.host) {
      if (!std::any_of(endpoints.begin(), endpoints.end(),
                       [&](const auto& e) { return e->params().bdf == r.source; }))
        throw InputError(fmt::format("{}: device {} is not in the platform", at, r.source.str()));
      const int unit = unit_for_device(sys_.scopes_, r.source);
      const RemappingUnit* u = unit < 0 ? nullptr : sys_.units_[unit].get();
      if (r.has_pasid && u && !u->params().features.pasid)
        throw InputError(fmt::format(
            "{}: pasid needs a remapping unit with requests-with-PASID (features smts and pasid), and {} has none",
            at, u->params().name));
      if (r.op == TraceOp::Ats) {
        const auto& e = *std::find_if(endpoints.begin(), endpoints.end(),
                                      [&](const auto& x) { return x->params().bdf == r.source; });
        if (!e->params().has_devtlb)
          throw InputError(fmt::format("{}: ats needs a device TLB, and endpoint '{}' has none (platform.endpoints[]."
                                       "devtlb)", at, e->params().name));
      }
      if (r.translated && u && u->params().features.smts)
        throw InputError(fmt::format(
            "{}: at=translated on a scalable-mode unit is not supported yet: it needs ATS, which is not built yet", at));
      // (A device address is an IOVA: the remapping unit decides what it reaches.)
    } else if (r.op == TraceOp::MemR || r.op == TraceOp::MemW || r.op == TraceOp::Load) {
      if (r.size > 0 && !sys_.mem_->contains(r.addr, r.size))
        throw InputError(fmt::format("{}: {} of {} bytes at {:#x} is outside physical memory", at, op_name(r.op),
                                     r.size, r.addr));
      if (r.op == TraceOp::Load && r.size > (1ull << 30))
        throw InputError(fmt::format("{}: load of {} bytes: files over 1 GiB are not supported", at, r.size));
    }
  }
}

// ---------------------------------------------------------------- host

void PlatformBuilder::attach_host_driver(const Trace* trace) {
  // The OS driver model, if the configuration has one, learns the units, the
  // endpoints and their interrupts, and the RMRRs as an OS does from ACPI and
  // PCI enumeration.
  std::unique_ptr<HostDriverSetup> driver;
  ConfigNode host_node = cfg_.root().child("host");
  const MemoryController& mem = *sys_.mem_;
  if (host_node.has("driver")) {
    driver = std::make_unique<HostDriverSetup>();
    driver->params = HostDriverParams::from_config(host_node.child("driver"));
    if (!mem.contains(driver->params.memory_base, driver->params.memory_bytes))
      host_node.child("driver").child("memory").fail(
          "base", fmt::format("the driver's memory {:#x}+{:#x} is not inside physical memory ({:#x}+{:#x})",
                              driver->params.memory_base, driver->params.memory_bytes, mem.params().base,
                              mem.params().size));
    for (const DriverDevice& d : driver->params.devices)
      if (!by_name_.count(d.device))
        throw InputError(fmt::format("host.driver.devices: no endpoint named '{}' in platform.endpoints", d.device));
    for (const DriverEvent& e : driver->params.events)
      if (!by_name_.count(e.device))
        throw InputError(fmt::format("host.driver.events: no endpoint named '{}' in platform.endpoints", e.device));
    for (const auto& u : sys_.units_) driver->units.push_back({u->params().name, u->params().reg_base});
    for (const auto& e : sys_.endpoints_)
      driver->endpoints.push_back({e->params().name, e->params().bdf, unit_for_device(sys_.scopes_, e->params().bdf),
                                   e->msi_targets(), e->params().has_devtlb});
    for (const RmrrRegion& r : sys_.rmrrs_) driver->rmrrs.push_back({r.base, r.limit, r.devices});
    driver->program_msi = [by_bdf = by_bdf_](const Bdf& dev, Addr a, std::uint32_t d, Addr to_a,
                                             std::uint32_t to_d) { by_bdf.at(dev)->program_msi(a, d, to_a, to_d); };
  } else if (trace) {
    for (const TraceRecord& r : trace->records)
      if (r.op == TraceOp::Map || r.op == TraceOp::Unmap)
        throw InputError(fmt::format("{}:{}: op '{}' needs the OS driver model: add host.driver to the "
                                     "configuration (docs/models/host.md)", trace->path, r.line, op_name(r.op)));
  }
  sys_.host_ = std::make_unique<HostCpu>("host", stats_, progress_, txn_log_, driver.get());
  HostCpu& host = *sys_.host_;
  host.mmio.bind(sys_.rc_->mmio_in);
  if (sys_.llc_)
    host.mem.bind(sys_.llc_->cpu);  // the CPU's accesses: write-back, write-allocate
  else
    host.mem.bind(sys_.mem_->tsock);
  host.set_records(std::move(host_records_));
  if (HostDriver* d = host.driver())
    for (auto& e : sys_.endpoints_) {
      e->set_start_gate(&d->ready());
      if (const PacketBuffers* pb = e->packet_buffers())
        e->set_mapper(d->add_pipeline(e->params().name, e->params().bdf, *pb));
    }
}

// ---------------------------------------------------------------- DMAR import

void PlatformBuilder::add_dmar_components(Config& cfg) {
  ConfigNode plat = cfg.root().child("platform");
  const bool acpi = plat.has("dmar"), log = plat.has("dmar_boot_log");
  if (acpi && log) plat.fail("dmar_boot_log", "give platform.dmar or platform.dmar_boot_log, not both");
  if (plat.has("iommus"))
    plat.fail("iommus", "the remapping units come from the DMAR import (platform.dmar or dmar_boot_log): "
                        "platform.iommus cannot be given too (use --set dmarN.key=value to change a unit)");
  std::string path = plat.str(acpi ? "dmar" : "dmar_boot_log", "");
  if (!path.empty() && path[0] != '/' && !cfg.base_dir().empty()) path = cfg.base_dir() + "/" + path;
  const DmarDescription d = acpi ? read_acpi_dmar_file(path) : read_dmar_boot_log_file(path);
  // What the platform has already: its bridges (to place scope paths) and its
  // endpoints (the import adds the others a scope names).
  const std::map<Bdf, Bridge> bridges = read_bridges(plat);
  std::set<Bdf> listed;
  for (ConfigNode e : plat.list("endpoints"))
    if (auto b = parse_bdf(e.str("bdf", ""))) listed.insert(*b);
  add_to_config(cfg, import_dmar(d, bridges, listed, path));
  cfg.set_flag("dmar_imported");
}

void PlatformBuilder::add_to_config(Config& cfg, const ImportedPlatform& p) {
  for (const ImportedUnit& u : p.units) {
    ConfigEntry e;
    e.set("name", u.name).set("reg_base", fmt::format("{:#x}", u.reg_base));
    if (u.cap && u.ecap) {
      e.set("cap", fmt::format("{:#x}", *u.cap)).set("ecap", fmt::format("{:#x}", *u.ecap));
      if (u.haw) e.set("haw", std::to_string(u.haw));
    } else if (u.haw) {
      e.set("features", ConfigEntry().set("haw", std::to_string(u.haw)));
    }
    ConfigEntry scope;
    scope.set("segment", std::to_string(u.scope.segment));
    if (u.scope.include_pci_all) {
      scope.set("include_pci_all", "true");
    } else {
      std::vector<std::string> subtrees;
      for (const BusRange& r : u.scope.subtrees) subtrees.push_back(fmt::format("{:02x}-{:02x}", r.first, r.last));
      scope.set("include_pci_all", "false").set("devices", bdf_texts(u.scope.devices)).set("subtrees", subtrees);
    }
    cfg.append("platform.iommus", e.set("scope", scope));
  }
  for (const RmrrRegion& r : p.rmrrs)
    cfg.append("platform.rmrrs", ConfigEntry()
                                     .set("segment", std::to_string(r.segment))
                                     .set("base", fmt::format("{:#x}", r.base))
                                     .set("limit", fmt::format("{:#x}", r.limit))
                                     .set("devices", bdf_texts(r.devices)));
  for (const AtsrPorts& a : p.atsrs)
    cfg.append("platform.atsrs", ConfigEntry()
                                     .set("segment", std::to_string(a.segment))
                                     .set("all_ports", a.all_ports ? "true" : "false")
                                     .set("ports", bdf_texts(a.ports)));
  for (const Bdf& b : p.endpoints) append_idle_endpoint(cfg, b);
}

}  // namespace iommusim
