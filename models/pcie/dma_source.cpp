#include "pcie/dma_source.h"

#include <algorithm>

#include <cmath>

namespace iommusim {

bool TraceDmaSource::next(DmaRequest& out) {
  while (pos_ < records_.size()) {
    const TraceRecord& r = records_[pos_++];
    if (r.op != TraceOp::DmaR && r.op != TraceOp::DmaW && r.op != TraceOp::Msi && r.op != TraceOp::Ats) continue;
    out = DmaRequest{};
    out.seq = r.seq;
    out.time = r.time;
    out.write = r.op == TraceOp::DmaW || r.op == TraceOp::Msi;
    out.msi = r.op == TraceOp::Msi;
    out.ats = r.op == TraceOp::Ats;
    out.data = static_cast<std::uint32_t>(r.data);
    out.addr = r.addr;
    out.size = r.size;
    out.has_pasid = r.has_pasid;
    out.pasid = r.pasid;
    out.priv = r.priv;
    out.exec = r.exec;
    out.translated = r.translated;
    out.from_trace = true;
    return true;
  }
  return false;
}

std::vector<std::pair<Addr, std::uint32_t>> TraceDmaSource::msi_targets() const {
  std::vector<std::pair<Addr, std::uint32_t>> out;
  for (const TraceRecord& r : records_)
    if (r.op == TraceOp::Msi) {
      const std::pair<Addr, std::uint32_t> m{r.addr, static_cast<std::uint32_t>(r.data)};
      if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
    }
  return out;
}

GeneratorParams GeneratorParams::from_config(ConfigNode n, unsigned address_width) {
  GeneratorParams p;
  p.pattern = n.choice("pattern", "random", {"random", "sequential"}) == "random" ? Pattern::Random
                                                                                   : Pattern::Sequential;
  p.write = n.choice("op", "read", {"read", "write"}) == "write";
  p.size = n.u64("size", p.size, 1, 1ull << 30);
  const std::uint64_t space = address_width >= 64 ? UINT64_MAX : (1ull << address_width);
  if (p.base >= space / 2) p.base = 0;  // narrow address spaces: start at 0
  p.base = n.u64("base", p.base, 0, space - 1);
  p.window = n.u64("window", p.window, p.size, space - p.base);
  p.count = n.u64("count", p.count, 1);
  p.start_ps = n.time_ns("start_ns", 0, 0, 1e12);
  p.interval_ps = n.time_ns("interval_ns", 0, 0, 1e12);
  return p;
}

GeneratorSource::GeneratorSource(const GeneratorParams& p, std::uint64_t seed) : p_(p), rng_(seed) {}

bool GeneratorSource::next(DmaRequest& out) {
  if (issued_ >= p_.count) return false;
  out = DmaRequest{};
  out.seq = issued_;
  out.time = p_.start_ps + issued_ * p_.interval_ps;
  out.write = p_.write;
  out.size = p_.size;
  const std::uint64_t slots = p_.window / p_.size;
  const std::uint64_t slot = p_.pattern == GeneratorParams::Pattern::Random ? rng_.next() % slots : issued_ % slots;
  out.addr = p_.base + slot * p_.size;
  ++issued_;
  return true;
}

}  // namespace iommusim
