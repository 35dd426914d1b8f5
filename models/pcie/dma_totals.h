// System-wide DMA statistics that every endpoint adds to: the figures of the
// run summary (DMAs done, bytes, achieved bandwidth, latency distribution).
#pragma once
#include <algorithm>
#include <limits>
#include <string>

#include "common/stats_group.h"
#include "common/types.h"

namespace iommusim {

class DmaTotals {
 public:
  DmaTotals(const std::string& prefix, StatsRegistry& stats) : DmaTotals(StatsGroup(stats, prefix)) {}
  explicit DmaTotals(const StatsGroup& g)
      : dmas_(g.counter("dmas", "DMAs completed (all endpoints)")),
        bytes_(g.counter("dma_bytes", "Bytes moved by completed DMAs", "Byte")),
        errors_(g.counter("dma_errors", "DMAs that completed with an error or fault")),
        latency_(g.histogram("dma_latency", "DMA latency, issue of the first TLP to the last completion (1 Tick = 1 ps)", "Tick")) {
    g.formula("dma_bandwidth", "Bytes moved per second between the first issue and the last completion",
                  "Byte/Second", [this] { return bandwidth(); });
    g.formula("dma_span", "Time from the first DMA issue to the last DMA completion", "Second",
                  [this] { return span_seconds(); });
  }

  void record(Tick issue, Tick done, std::uint64_t bytes, bool ok) {
    ++dmas_;
    if (ok) bytes_ += bytes;
    else ++errors_;
    latency_.sample(done - issue);
    first_issue_ = std::min(first_issue_, issue);
    last_done_ = std::max(last_done_, done);
  }

  double span_seconds() const {
    return last_done_ > first_issue_ ? static_cast<double>(last_done_ - first_issue_) * 1e-12 : 0.0;
  }
  double bandwidth() const {
    const double s = span_seconds();
    return s > 0 ? static_cast<double>(bytes_.value()) / s : 0.0;
  }
  Tick last_done() const { return last_done_; }
  const Counter& dmas() const { return dmas_; }
  const Counter& bytes() const { return bytes_; }
  const Counter& errors() const { return errors_; }
  const Histogram& latency() const { return latency_; }

 private:
  Counter& dmas_;
  Counter& bytes_;
  Counter& errors_;
  Histogram& latency_;
  Tick first_issue_ = std::numeric_limits<Tick>::max();
  Tick last_done_ = 0;
};

}  // namespace iommusim
