#include "platform/system.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "common/error.h"
#include "pcie/workloads.h"
#include "trace/trace_writer.h"
#include "common/sc_time_conv.h"
#include "platform/acpi_dmar.h"
#include "platform/dmar_boot_log.h"
#include "platform/dmar_import.h"
#include "platform/iommu_groups.h"
#include "platform/rmrr_atsr.h"
#include "platform/unit_scope.h"

namespace iommusim {

namespace {


// Mixes the run seed with a component's identity, so that every generator has
// its own stream and adding one does not shift the others.
std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t id) {
  std::uint64_t z = seed * 0x9e3779b97f4a7c15ull + id;
  z = (z ^ (z >> 33)) * 0xff51afd7ed558ccdull;
  return z ^ (z >> 33);
}

}  // namespace

System::System(sc_core::sc_module_name name, Config& cfg, const Trace* trace, bool auto_endpoints,
               StatsRegistry& stats, Progress& progress, TxnLog* txn_log)
    : sc_module(name), totals_(std::string(this->name()), stats) {
  if (sc_core::sc_get_time_resolution() != sc_core::sc_time(1, sc_core::SC_PS))
    throw std::logic_error("SystemC time resolution must be 1 ps");
  ConfigNode root = cfg.root();
  sim_ = SimulationParams::from_config(root.child("simulation"), cfg.base_dir());
  ConfigNode plat = root.child("platform");

  ConfigNode mem_node = plat.child("memory");
  const MemoryParams mp = MemoryParams::from_config(mem_node);
  mem_ = std::make_unique<MemoryController>(mem_node.instance_name("name", "mem0").c_str(), mp, stats);
  ConfigNode rc_node = plat.child("root_complex");
  rc_ = std::make_unique<RootComplex>(rc_node.instance_name("name", "rc").c_str(), RootComplexParams::from_config(rc_node),
                                      stats);

  // The DMA-remapping units (the default platform has one, iommu0, covering
  // every device, registers at 0xFED90000), each with its device scope.
  add_default_components(cfg);
  std::vector<ConfigNode> unit_nodes = plat.list("iommus");
  if (unit_nodes.empty()) plat.fail("iommus", "expected at least one remapping unit");
  ic_ = std::make_unique<InterruptController>("ic", stats);
  std::vector<std::string> unit_names;
  for (std::size_t i = 0; i < unit_nodes.size(); ++i) {
    const RemappingUnitParams up = RemappingUnitParams::from_config(unit_nodes[i], mp.address_width);
    if (std::find(unit_names.begin(), unit_names.end(), up.name) != unit_names.end())
      unit_nodes[i].fail("name", fmt::format("duplicate remapping unit name '{}'", up.name));
    scopes_.push_back(UnitScope::from_config(unit_nodes[i].child("scope")));
    unit_names.push_back(up.name);
    auto u = std::make_unique<RemappingUnit>(up.name.c_str(), up, stats, stream_seed(sim_.seed, (1u << 20) + i));
    u->set_segment(scopes_.back().segment);
    rc_->to_memory.bind(u->dma_in);
    u->dma_out.bind(rc_->translated_in);  // then memory, or a peer's BAR
    u->mem.bind(mem_->tsock);
    rc_->mmio_out.bind(u->regs);
    rc_->msi_out.bind(u->msi_in);
    u->irq_out.bind(ic_->irq_in);
    u->ats_out.bind(rc_->ats_in);
    try {
      rc_->add_mmio_window(up.reg_base, u->register_block_bytes(), static_cast<int>(i), up.name);
    } catch (const std::logic_error& e) {
      unit_nodes[i].fail("reg_base", e.what());
    }
    units_.push_back(std::move(u));
  }
  if (const std::string bad = check_scopes(scopes_, unit_names); !bad.empty()) plat.fail("iommus", bad);
  mmio_ports_ = static_cast<int>(units_.size());  // mmio_out[i]: unit i's registers, then BARs
  rc_->to_dram.bind(mem_->tsock);
  rc_->unremapped_irq.bind(ic_->irq_in);
  rc_->set_default_route(unit_for_device(scopes_, Bdf{}));

  // The DMAR's other structures: bridges its paths go through, reserved
  // memory regions, ATS ports.
  const std::map<Bdf, Bridge> bridges = read_bridges(plat);
  for (ConfigNode r : plat.list("rmrrs")) rmrrs_.push_back(RmrrRegion::from_config(r));
  for (ConfigNode a : plat.list("atsrs")) atsrs_.push_back(AtsrPorts::from_config(a));
  const bool check_atsr = cfg.flag("dmar_imported") || !atsrs_.empty();

  // A trace run without a config: one endpoint per device the trace names.
  if (auto_endpoints && trace)
    for (const Bdf& b : trace->devices())
      cfg.append("platform.endpoints", {{"name", b.endpoint_name()}, {"bdf", b.str()}});

  std::map<Bdf, Endpoint*> by_bdf;  // segment and requester ID
  std::map<std::string, Endpoint*> by_name;
  const LocalClock clock(sim_.quantum_ps);
  for (ConfigNode ep_node : plat.list("endpoints")) {
    EndpointParams ep = EndpointParams::from_config(ep_node);
    if (by_name.count(ep.name)) ep_node.fail("name", fmt::format("duplicate endpoint name '{}'", ep.name));
    if (by_bdf.count(ep.bdf))
      ep_node.fail("bdf", fmt::format("{} is used by endpoint '{}'", ep.bdf.str(),
                                      by_bdf[ep.bdf]->params().name));
    const int unit = unit_for_device(scopes_, ep.bdf);
    rc_->set_route(ep.bdf, unit);
    if (ep.has_devtlb) {
      if (unit < 0)
        ep_node.fail("devtlb", fmt::format("{} is in no remapping unit's scope: a device TLB needs one (ATS)",
                                           ep.bdf.str()));
      const RemappingUnitParams& up = units_[unit]->params();
      if (up.features.smts)
        ep_node.fail("devtlb", fmt::format("a device TLB behind a unit with scalable mode (features.smts) is not "
                                           "supported yet: ATS in scalable mode is not built yet"));
      if (!up.features.dt)
        ep_node.fail("devtlb", fmt::format("a device TLB needs a remapping unit with Device-TLB support "
                                           "(ECAP.DT, features.dt), and {} has none", up.name));
      if (check_atsr && !ats_allowed(atsrs_, bridges, ep.bdf))
        ep_node.fail("devtlb", fmt::format("no ATSR of the platform covers {} (platform.atsrs): ATS is not allowed "
                                           "below its root port (VT-d 8.5)", ep.bdf.str()));
    }
    auto link = std::make_unique<Link>((ep.name + "_link").c_str(), ep.link, stats);
    auto e = std::make_unique<Endpoint>(ep.name.c_str(), ep, stats, totals_, clock, progress, txn_log);
    e->to_link.bind(link->from_device);
    link->to_host.bind(rc_->from_links);
    // Downstream: ATS invalidate requests and MMIO to the BARs cross the link.
    link->to_device.bind(e->from_link);
    rc_->ats_out.bind(link->from_host);
    rc_->add_ats_target(ep.bdf, static_cast<int>(endpoints_.size()));
    if (!ep.bars.empty()) {
      const int port = mmio_ports_++;
      rc_->mmio_out.bind(link->from_host);
      for (std::size_t b = 0; b < ep.bars.size(); ++b) {
        const Addr base = ep.bars[b].base, last = base + (ep.bars[b].size - 1);
        if (base <= RootComplex::kMsiLimit && last >= RootComplex::kMsiBase)
          ep_node.fail("bars", fmt::format("BAR {} ({:#x}-{:#x}) overlaps the MSI window 0xfee00000-0xfeefffff", b,
                                           base, last));
        if (mem_->contains(base, 1) || mem_->contains(last, 1))
          ep_node.fail("bars", fmt::format("BAR {} ({:#x}-{:#x}) overlaps physical memory ({:#x}-{:#x}): put it in "
                                           "the MMIO hole above memory, or make memory smaller",
                                           b, base, last, mem_->params().base,
                                           mem_->params().base + mem_->params().size - 1));
        try {
          rc_->add_mmio_window(ep.bars[b].base, ep.bars[b].size, port, fmt::format("{} BAR {}", ep.name, b), true,
                               ep.bdf);
        } catch (const std::logic_error& err) {
          ep_node.fail("bars", err.what());
        }
      }
    }
    by_bdf[ep.bdf] = e.get();
    by_name[ep.name] = e.get();
    links_.push_back(std::move(link));
    endpoints_.push_back(std::move(e));
  }

  // IOMMU groups from the topology (bridges, ACS), in the statistics and in
  // the root complex's peer-to-peer routing.
  {
    std::vector<GroupedDevice> devs;
    for (const auto& e : endpoints_) devs.push_back({e->params().bdf, e->params().acs});
    const std::vector<IommuGroup> groups = iommu_groups(devs, bridges);
    int count = 0;
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
      rc_->set_group(endpoints_[i]->params().bdf, groups[i].id, groups[i].bridged);
      const int id = groups[i].id;
      stats.formula(std::string(endpoints_[i]->name()) + ".iommu_group", "The device's IOMMU group (topology and ACS)",
                    "Count", [id] { return double(id); });
      count = std::max(count, id + 1);
    }
    stats.formula(std::string(this->name()) + ".iommu_groups", "IOMMU groups of the platform's endpoints", "Count",
                  [count] { return double(count); });
  }

  // Synthetic workloads.
  std::vector<ConfigNode> workloads = root.list("workloads");
  for (std::size_t i = 0; i < workloads.size(); ++i) {
    ConfigNode w = workloads[i];
    const std::string dev = w.required_str("device");
    auto it = by_name.find(dev);
    if (it == by_name.end()) w.fail("device", fmt::format("no endpoint named '{}' in platform.endpoints", dev));
    if (it->second->has_source())
      w.fail("device", fmt::format("endpoint '{}' already has a workload", dev));
    const Bdf& b = it->second->params().bdf;
    const std::uint64_t id = (std::uint64_t(b.segment) << 16) | b.rid();
    std::unique_ptr<DmaSource> src = make_workload(w, mp.address_width, stream_seed(sim_.seed, id));
    if (src->packet_buffers()) {
      if (!root.child("host").has("driver"))
        w.fail("mapping", "per_packet mapping needs the OS driver model: add host.driver to the configuration");
      if (!sim_.record_trace.empty())
        w.fail("mapping", "simulation.record_trace cannot record a per_packet workload yet (its replay would need "
                          "the driver's map and unmap records, which are not recorded)");
      if (unit_for_device(scopes_, b) < 0)
        w.fail("mapping", fmt::format("per_packet mapping needs a remapping unit, and {} is in no unit's scope",
                                      b.str()));
    }
    if (!sim_.record_trace.empty()) src = std::make_unique<RecordingSource>(std::move(src), b, &recorded_);
    it->second->set_source(std::move(src));
  }

  if (trace) {
    check_trace(*trace);
    std::map<Bdf, std::vector<TraceRecord>> per_device;
    std::vector<TraceRecord> host_records;
    for (const TraceRecord& r : trace->records) {
      if (r.host) host_records.push_back(r);
      else per_device[r.source].push_back(r);
    }
    for (auto& [bdf, recs] : per_device) {
      Endpoint* e = by_bdf.at(bdf);
      if (e->has_source())
        throw InputError(fmt::format("{}:{}: device {} ('{}') also has a configured workload", trace->path,
                                     recs.front().line, recs.front().source.str(), e->params().name));
      e->set_source(std::make_unique<TraceDmaSource>(std::move(recs)));
    }
    host_records_ = std::move(host_records);
  }

  // The host CPU, and the OS driver model if the configuration has one: it
  // learns the units, the endpoints and their interrupts, and the RMRRs as
  // an OS does from ACPI and PCI enumeration.
  std::unique_ptr<HostDriverSetup> driver;
  ConfigNode host_node = root.child("host");
  if (host_node.has("driver")) {
    driver = std::make_unique<HostDriverSetup>();
    driver->params = HostDriverParams::from_config(host_node.child("driver"));
    if (!mem_->contains(driver->params.memory_base, driver->params.memory_bytes))
      host_node.child("driver").child("memory").fail(
          "base", fmt::format("the driver's memory {:#x}+{:#x} is not inside physical memory ({:#x}+{:#x})",
                              driver->params.memory_base, driver->params.memory_bytes, mem_->params().base,
                              mem_->params().size));
    for (const DriverDevice& d : driver->params.devices)
      if (!by_name.count(d.device))
        throw InputError(fmt::format("host.driver.devices: no endpoint named '{}' in platform.endpoints", d.device));
    for (const DriverEvent& e : driver->params.events)
      if (!by_name.count(e.device))
        throw InputError(fmt::format("host.driver.events: no endpoint named '{}' in platform.endpoints", e.device));
    for (const auto& u : units_) driver->units.push_back({u->params().name, u->params().reg_base});
    for (const auto& e : endpoints_)
      driver->endpoints.push_back({e->params().name, e->params().bdf, unit_for_device(scopes_, e->params().bdf),
                                   e->msi_targets(), e->params().has_devtlb});
    for (const RmrrRegion& r : rmrrs_) driver->rmrrs.push_back({r.base, r.limit, r.devices});
    driver->program_msi = [by_bdf](const Bdf& dev, Addr a, std::uint32_t d, Addr to_a, std::uint32_t to_d) {
      by_bdf.at(dev)->program_msi(a, d, to_a, to_d);
    };
  } else if (trace) {
    for (const TraceRecord& r : trace->records)
      if (r.op == TraceOp::Map || r.op == TraceOp::Unmap)
        throw InputError(fmt::format("{}:{}: op '{}' needs the OS driver model: add host.driver to the "
                                     "configuration (docs/models/host.md)", trace->path, r.line, op_name(r.op)));
  }
  host_ = std::make_unique<HostCpu>("host", stats, progress, txn_log, driver.get());
  host_->mmio.bind(rc_->mmio_in);
  host_->mem.bind(mem_->tsock);
  host_->set_records(std::move(host_records_));
  if (HostDriver* d = host_->driver())
    for (auto& e : endpoints_) {
      e->set_start_gate(&d->ready());
      if (const PacketBuffers* pb = e->packet_buffers())
        e->set_mapper(d->add_pipeline(e->params().name, e->params().bdf, *pb));
    }
}

void System::add_default_components(Config& cfg) {
  ConfigNode plat = cfg.root().child("platform");
  const bool acpi = plat.has("dmar"), log = plat.has("dmar_boot_log");
  if (acpi || log) {
    if (cfg.flag("dmar_imported")) return;
    if (acpi && log) plat.fail("dmar_boot_log", "give platform.dmar or platform.dmar_boot_log, not both");
    if (plat.has("iommus"))
      plat.fail("iommus", "the remapping units come from the DMAR import (platform.dmar or dmar_boot_log): "
                          "platform.iommus cannot be given too (use --set dmarN.key=value to change a unit)");
    std::string path = plat.str(acpi ? "dmar" : "dmar_boot_log", "");
    if (!path.empty() && path[0] != '/' && !cfg.base_dir().empty()) path = cfg.base_dir() + "/" + path;
    const DmarDescription d = acpi ? read_acpi_dmar_file(path) : read_dmar_boot_log_file(path);
    import_dmar(cfg, d, path);
    cfg.set_flag("dmar_imported");
    return;
  }
  if (!plat.has("iommus")) cfg.append("platform.iommus", {{"name", "iommu0"}});
}

void System::check_trace(const Trace& trace) const {
  for (const TraceRecord& r : trace.records) {
    const std::string at = fmt::format("{}:{}", trace.path, r.line);
    if ((r.op == TraceOp::Map || r.op == TraceOp::Unmap) &&
        !std::any_of(endpoints_.begin(), endpoints_.end(), [&](const auto& e) { return e->params().bdf == r.dev; }))
      throw InputError(fmt::format("{}: {} for device {}, which is not in the platform", at, op_name(r.op),
                                   r.dev.str()));
    if (!r.host) {
      if (!std::any_of(endpoints_.begin(), endpoints_.end(),
                       [&](const auto& e) { return e->params().bdf == r.source; }))
        throw InputError(fmt::format("{}: device {} is not in the platform", at, r.source.str()));
      const int unit = unit_for_device(scopes_, r.source);
      const RemappingUnit* u = unit < 0 ? nullptr : units_[unit].get();
      if (r.has_pasid && u && !u->params().features.pasid)
        throw InputError(fmt::format(
            "{}: pasid needs a remapping unit with requests-with-PASID (features smts and pasid), and {} has none",
            at, u->params().name));
      if (r.op == TraceOp::Ats) {
        const auto& e = *std::find_if(endpoints_.begin(), endpoints_.end(),
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
      if (r.size > 0 && !mem_->contains(r.addr, r.size))
        throw InputError(fmt::format("{}: {} of {} bytes at {:#x} is outside physical memory", at, op_name(r.op),
                                     r.size, r.addr));
      if (r.op == TraceOp::Load && r.size > (1ull << 30))
        throw InputError(fmt::format("{}: load of {} bytes: files over 1 GiB are not supported", at, r.size));
    }
  }
}

Tick System::run() {
  SC_REPORT_INFO_VERB("/platform/system",
                      fmt::format("{} endpoints, memory {:#x}+{:#x}, quantum {} ps", endpoints_.size(),
                                  mem_->params().base, mem_->params().size, sim_.quantum_ps)
                          .c_str(),
                      sc_core::SC_MEDIUM);
  if (sim_.end_ps) sc_core::sc_start(to_sc_time(sim_.end_ps));
  else sc_core::sc_start();
  host_->run_error().rethrow_if_failed();
  if (!sim_.record_trace.empty()) write_recorded_trace();
  return std::max(now_tick(), totals_.last_done());
}

void System::write_recorded_trace() {
  // Per device the records are in issue order with non-decreasing times; a
  // stable sort by time interleaves the devices and keeps each one's order.
  std::stable_sort(recorded_.begin(), recorded_.end(),
                   [](const TraceRecord& a, const TraceRecord& b) { return a.time < b.time; });
  const std::string tmp = sim_.record_trace + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << "iommusim-trace 1\n# Recorded from the workloads of a run (simulation.record_trace), seed "
        << sim_.seed << ".\n";
    for (const TraceRecord& r : recorded_) out << format_record(r) << '\n';
    if (!out) throw InputError(fmt::format("{}: cannot write", tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, sim_.record_trace, ec);
  if (ec) throw InputError(fmt::format("{}: cannot write: {}", sim_.record_trace, ec.message()));
}

}  // namespace iommusim
