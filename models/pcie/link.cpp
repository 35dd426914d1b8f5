#include "pcie/link.h"

#include <cmath>

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

Link::Link(sc_core::sc_module_name name, const LinkParams& p, StatsRegistry& stats)
    : sc_module(name),
      from_device("from_device"),
      to_host("to_host"),
      p_(p),
      up_tlps_(stats.counter(std::string(this->name()) + ".up_tlps", "TLPs sent upstream")),
      down_tlps_(stats.counter(std::string(this->name()) + ".down_tlps", "TLPs sent downstream")),
      up_bytes_(stats.counter(std::string(this->name()) + ".up_bytes", "Bytes on the wire upstream (with overhead)", "Byte")),
      down_bytes_(stats.counter(std::string(this->name()) + ".down_bytes", "Bytes on the wire downstream (with overhead)", "Byte")),
      up_busy_(stats.counter(std::string(this->name()) + ".up_busy", "Time the upstream direction was serializing", "Tick")),
      down_busy_(stats.counter(std::string(this->name()) + ".down_busy", "Time the downstream direction was serializing", "Tick")) {
  from_device.register_b_transport(this, &Link::b_transport);
}

void Link::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const Tick now = now_tick();
  const bool write = trans.is_write();
  const std::uint64_t len = trans.get_data_length();

  const std::uint64_t up_bytes = p_.tlp_overhead_bytes + (write ? len : 0);
  const Tick up_ser = p_.serialize_ps(up_bytes);
  const Tick up_start = up_.reserve(now + to_tick(delay), up_ser);
  ++up_tlps_;
  up_bytes_ += up_bytes;
  up_busy_ += up_ser;
  delay = to_sc_time(up_start + up_ser + p_.latency_ps - now);

  to_host->b_transport(trans, delay);
  if (write) return;  // posted: no completion TLP

  // Read completion (with data when successful; a completion without data for
  // Unsupported Request / Completer Abort).
  const std::uint64_t down_bytes = p_.tlp_overhead_bytes + (trans.is_response_ok() ? len : 0);
  const Tick down_ser = p_.serialize_ps(down_bytes);
  const Tick down_start = down_.reserve(now + to_tick(delay), down_ser);
  ++down_tlps_;
  down_bytes_ += down_bytes;
  down_busy_ += down_ser;
  delay = to_sc_time(down_start + down_ser + p_.latency_ps - now);
}

}  // namespace iommusim
