#include "host/host_driver_params.h"

#include <fmt/format.h>

namespace iommusim {

namespace {

DomainType domain_type(ConfigNode n, const std::string& key, const std::string& def) {
  const std::string t = n.choice(key, def, {"dma", "identity", "unmanaged", "blocked"});
  if (t == "identity") return DomainType::Identity;
  if (t == "unmanaged") return DomainType::Unmanaged;
  if (t == "blocked") return DomainType::Blocked;
  return DomainType::Dma;
}

}  // namespace

HostDriverParams HostDriverParams::from_config(ConfigNode n) {
  HostDriverParams p;
  p.enabled = n.boolean("enabled", true);
  p.mode = n.choice("mode", "legacy", {"legacy", "scalable"}) == "scalable" ? DriverMode::Scalable : DriverMode::Legacy;
  p.default_domain = domain_type(n, "default_domain", "dma");
  if (p.default_domain == DomainType::Unmanaged)
    n.fail("default_domain", "expected dma, identity or blocked (unmanaged domains are per device)");
  p.strict = n.boolean("strict", false);
  ConfigNode fq = n.child("flush_queue");
  p.fq_entries = fq.u64("entries", 256, 1, 1u << 20);
  p.fq_timeout_ps = fq.time_us("timeout_us", 10000, 0.001, 1e9);
  p.fq_global_flush = fq.boolean("global_flush", false);
  p.superpages = n.boolean("superpages", true);
  p.forcedac = n.boolean("forcedac", false);
  p.interrupt_remapping = n.boolean("interrupt_remapping", true);
  p.x2apic = n.boolean("x2apic", false);
  p.map_cpu_ns = n.real("map_cpu_ns", 0, 0, 1e9);
  p.unmap_cpu_ns = n.real("unmap_cpu_ns", 0, 0, 1e9);
  p.inv_wait_cpu_ns = n.real("inv_wait_cpu_ns", 0, 0, 1e9);
  p.queue_qs = static_cast<unsigned>(n.u64("queue_qs", 0, 0, 7));
  p.poll_ps = n.time_ns("poll_ns", 100, 1, 1e9);
  p.max_polls = n.u64("max_polls", 1000000, 1);
  p.irt_size_log2 = static_cast<unsigned>(n.u64("irt_entries_log2", 8, 1, 16));
  ConfigNode mem = n.child("memory");
  p.memory_base = mem.u64("base", 0x40000000);
  p.memory_bytes = mem.u64("size", 64ull << 20, 1ull << 20);
  if (p.memory_base & 0xfff) mem.fail("base", "expected a 4 KiB aligned address");
  if (p.memory_bytes & 0xfff) mem.fail("size", "expected a multiple of 4 KiB");
  if (p.memory_base + (p.memory_bytes - 1) < p.memory_base) mem.fail("size", "the region wraps around");

  for (ConfigNode d : n.list("devices")) {
    DriverDevice dev;
    dev.device = d.required_str("device");
    for (const DriverDevice& o : p.devices)
      if (o.device == dev.device) d.fail("device", fmt::format("'{}' is listed twice", dev.device));
    dev.domain = domain_type(d, "domain", p.default_domain == DomainType::Identity   ? "identity"
                                          : p.default_domain == DomainType::Blocked ? "blocked"
                                                                                    : "dma");
    dev.domain_name = d.str("domain_name", "");
    const uint64_t bits = d.u64("dma_mask_bits", 64, 12, 64);
    dev.dma_mask = bits == 64 ? kDmaMask64 : (uint64_t{1} << bits) - 1;
    for (ConfigNode m : d.list("maps")) {
      if (dev.domain != DomainType::Unmanaged)
        m.fail("iova", "fixed maps belong to unmanaged domains (domain: unmanaged)");
      FixedMap f;
      f.iova = m.u64("iova", 0);
      f.pa = m.u64("pa", f.iova);
      f.size = m.u64("size", 4096, 1);
      const std::string perm = m.choice("perm", "rw", {"r", "w", "rw"});
      f.perm.r = perm != "w";
      f.perm.w = perm != "r";
      if (f.iova & 0xfff) m.fail("iova", "expected a 4 KiB aligned address");
      if (f.pa & 0xfff) m.fail("pa", "expected a 4 KiB aligned address");
      if (f.size & 0xfff) m.fail("size", "expected a multiple of 4 KiB");
      if (f.iova + (f.size - 1) < f.iova || f.pa + (f.size - 1) < f.pa) m.fail("size", "the range wraps around");
      dev.maps.push_back(f);
    }
    p.devices.push_back(std::move(dev));
  }
  for (ConfigNode e : n.list("events")) {
    DriverEvent ev;
    ev.at_ps = e.time_ns("at_ns", 0, 0, 1e12);
    ev.device = e.required_str("device");
    ev.domain = domain_type(e, "domain", "blocked");
    ev.domain_name = e.str("domain_name", "");
    if (!p.events.empty() && ev.at_ps < p.events.back().at_ps)
      e.fail("at_ns", "events must be in time order");
    p.events.push_back(std::move(ev));
  }
  return p;
}

const char* to_string(DriverMode m) { return m == DriverMode::Scalable ? "scalable" : "legacy"; }

}  // namespace iommusim
