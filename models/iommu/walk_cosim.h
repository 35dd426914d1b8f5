// Cosimulation of the TLM and RTL second-level walkers (docs/models/rtl-walker.md):
// recording the reads of a TLM walk, replaying them to the RTL, comparing the
// two results and describing a mismatch. Plain C++.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/types.h"
#include "iommu/rtl_walker.h"
#include "iommu/sl_walker.h"
#include "iommu/table_reader.h"

namespace iommusim {

// A TableReader that passes reads on to `inner` and logs each one (address,
// data, success and, when `clock` is given, its times: issued is the clock
// before the read, done after it).
class RecordingReader : public TableReader {
 public:
  explicit RecordingReader(TableReader& inner, std::function<Tick()> clock = {})
      : inner_(inner), clock_(std::move(clock)) {}
  std::uint64_t read_qword(Addr pa) override;
  bool try_read_qword(Addr pa, std::uint64_t& value) override;
  const std::vector<WalkRead>& log() const { return log_; }

 private:
  TableReader& inner_;
  std::function<Tick()> clock_;
  std::vector<WalkRead> log_;
};

// The RTL's memory in `both` mode: its i-th read gets the TLM walk's i-th
// read (data, success, latency) when the address is the same, so that both
// walkers see the same memory and the RTL adds no memory traffic. A read the
// TLM walk did not make (the walkers already disagree) goes to `fallback`
// with no latency.
class ReplayMemory : public TimedMemory {
 public:
  ReplayMemory(const std::vector<WalkRead>& log, TableReader& fallback) : log_(log), fallback_(fallback) {}
  bool read(Tick at, Addr pa, std::uint64_t& value, Tick& done) override;
  unsigned diverged() const { return diverged_; }

 private:
  const std::vector<WalkRead>& log_;
  TableReader& fallback_;
  std::size_t next_ = 0;
  unsigned diverged_ = 0;
};

// A TimedMemory over a TableReader with a fixed latency per read.
class FixedLatencyMemory : public TimedMemory {
 public:
  FixedLatencyMemory(TableReader& mem, Tick latency) : mem_(mem), latency_(latency) {}
  bool read(Tick at, Addr pa, std::uint64_t& value, Tick& done) override {
    done = at + latency_;
    return mem_.try_read_qword(pa, value);
  }

 private:
  TableReader& mem_;
  Tick latency_;
};

// What differs between two walks of the same request (a bit set).
enum CosimField : unsigned {
  kCosimOk = 1u << 0,        // one translated, the other did not
  kCosimFault = 1u << 1,     // fault reason
  kCosimPa = 1u << 2,        // output address
  kCosimPageSize = 1u << 3,
  kCosimPerm = 1u << 4,      // R or W
  kCosimLevel = 1u << 5,     // level the walk ended at
  kCosimReads = 1u << 6,     // the sequence of addresses read
};
inline constexpr unsigned kCosimFieldCount = 7;
const char* cosim_field_name(unsigned bit_index);  // "ok", "fault", "pa", ...

unsigned compare_walks(const SlWalkResult& tlm, const std::vector<WalkRead>& tlm_reads, const SlWalkResult& rtl,
                       const std::vector<WalkRead>& rtl_reads);

// A multi-line report of a mismatch: the request and walk parameters, both
// results, the fields that differ, and every table entry either walker read.
std::string describe_walk_mismatch(const SlWalkParams& p, const SlWalkRequest& q, const SlWalkResult& tlm,
                                   const std::vector<WalkRead>& tlm_reads, const SlWalkResult& rtl,
                                   const std::vector<WalkRead>& rtl_reads, unsigned fields);

// One line: "ok pa=0x... 4K rw level 1" or "fault 0x6 level 2 r-".
std::string describe_walk_result(const SlWalkResult& r);

}  // namespace iommusim
