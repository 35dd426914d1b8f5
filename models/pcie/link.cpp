#include "pcie/link.h"

#include <cmath>

#include <fmt/format.h>

#include "common/sc_time_conv.h"

namespace iommusim {

LinkParams LinkParams::from_config(ConfigNode n) {
  LinkParams p;
  p.bytes_per_ns = n.real("bytes_per_ns", p.bytes_per_ns, 0.001, 1e6);
  p.latency_ps = static_cast<Tick>(std::llround(n.real("latency_ns", p.latency_ps / 1000.0, 0, 1e9) * 1000));
  p.tlp_overhead_bytes = static_cast<unsigned>(n.u64("tlp_overhead_bytes", p.tlp_overhead_bytes, 0, 256));
  return p;
}

Tick LinkParams::serialize_ps(std::uint64_t bytes) const {
  return static_cast<Tick>(std::ceil(static_cast<double>(bytes) * 1000.0 / bytes_per_ns - 1e-9));
}

Link::Direction::Direction(const std::string& prefix, const char* dir, StatsRegistry& stats)
    : tlps(stats.counter(fmt::format("{}.{}_tlps", prefix, dir), fmt::format("TLPs sent {}stream", dir))),
      bytes(stats.counter(fmt::format("{}.{}_bytes", prefix, dir),
                          fmt::format("Bytes on the wire {}stream (with overhead)", dir), "Byte")),
      busy(stats.counter(fmt::format("{}.{}_busy", prefix, dir),
                         fmt::format("Time the {}stream direction was serializing", dir), "Tick")) {}

Tick Link::Direction::send(Tick earliest, std::uint64_t n, const LinkParams& p) {
  const Tick ser = p.serialize_ps(n);
  const Tick start = line.reserve(earliest, ser);
  ++tlps;
  bytes += n;
  busy += ser;
  return start + ser + p.latency_ps;
}

Link::Link(sc_core::sc_module_name name, const LinkParams& p, StatsRegistry& stats)
    : sc_module(name),
      from_device("from_device"),
      to_host("to_host"),
      p_(p),
      up_(this->name(), "up", stats),
      down_(this->name(), "down", stats) {
  from_device.register_b_transport(this, &Link::b_transport);
}

void Link::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const Tick now = now_tick();
  const bool write = trans.is_write();
  const std::uint64_t len = trans.get_data_length();

  delay = to_sc_time(up_.send(now + to_tick(delay), p_.tlp_overhead_bytes + (write ? len : 0), p_) - now);
  to_host->b_transport(trans, delay);
  if (write) return;  // posted: no completion TLP

  // Read completion (with data when successful; a completion without data for
  // Unsupported Request / Completer Abort).
  const std::uint64_t cpl_bytes = p_.tlp_overhead_bytes + (trans.is_response_ok() ? len : 0);
  delay = to_sc_time(down_.send(now + to_tick(delay), cpl_bytes, p_) - now);
}

}  // namespace iommusim
