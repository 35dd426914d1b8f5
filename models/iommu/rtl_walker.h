// The RTL second-level walker (rtl/iommu_sl_walker.sv, built with Verilator)
// as a walker implementation: what the remapping unit and the cosimulation
// tests see of it. Plain C++: the Verilated model and its clocking live in
// rtl/rtl_sl_walker.cpp, built when CMake's IOMMUSIM_RTL is on
// (IOMMUSIM_HAVE_RTL defined); without it make_rtl_sl_walker() returns null.
// See docs/models/rtl-walker.md.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/types.h"
#include "iommu/sl_walker.h"

namespace iommusim {

// Memory as a clocked walker sees it: a read issued at absolute time `at`
// returns its data (or fails) and says when it completed (`done` >= at).
class TimedMemory {
 public:
  virtual ~TimedMemory() = default;
  virtual bool read(Tick at, Addr pa, std::uint64_t& value, Tick& done) = 0;
};

// One walk request, as walk_second_level() takes it (the SlWalkParams carry
// the table root, the level count and the unit's features).
struct SlWalkRequest {
  Addr iova = 0;
  bool write = false;
  bool read = false;  // write = read = false: a translation request
  unsigned start_level = 0;  // a paging-structure-cache resume (0: from the top)
  Addr start_table = 0;
  bool start_r = true, start_w = true;
};

// A memory read the walker made: its address, what came back, when.
struct WalkRead {
  Addr addr = 0;
  std::uint64_t data = 0;
  bool ok = true;
  Tick issued = 0, done = 0;
};

struct RtlWalkOutcome {
  // In the TLM walker's form; steps hold the entries read successfully, their
  // levels counted down from the level the walk started at.
  SlWalkResult result;
  std::vector<WalkRead> reads;  // every read, failed ones included
  unsigned cycles = 0;          // clock edges, request accepted to result taken
  Tick end = 0;                 // time of the last edge (the walk's end)
};

// Port-level back-pressure for tests: before each handshake the wrapper holds
// the memory's ready, the read's response or the result's ready low for a
// pseudo-random 0..max cycles (seeded). All 0 (the default) in the unit.
struct RtlPortTiming {
  unsigned max_mem_stall = 0;     // cycles mem_req_ready stays low
  unsigned max_rsp_delay = 0;     // extra cycles before a read's response
  unsigned max_result_stall = 0;  // cycles rsp_ready stays low
  std::uint64_t seed = 1;
};

class RtlSlWalker {
 public:
  virtual ~RtlSlWalker() = default;

  // Runs one walk, clocking the RTL from `start` with period `cycle_ps`; the
  // clock stops while a read is at the memory (each read is issued at the
  // time of the edge that handed it over and answered on the first edge after
  // it completed), so the walk's time is
  //   cycles * cycle_ps + the memory latencies of its reads.
  virtual RtlWalkOutcome walk(TimedMemory& mem, Tick start, Tick cycle_ps, const SlWalkParams& p,
                              const SlWalkRequest& q) = 0;

  virtual void set_port_timing(const RtlPortTiming& t) = 0;

  // Waveform (VCD) of every walk whose time overlaps [from, to] (ps), written
  // to `path`. Walks run one after another in the order the unit makes them;
  // one that starts before the previous one's waveform ends is drawn from
  // that end instead (shifted_walks() counts them), since a VCD's time only
  // goes forward. Throws std::runtime_error if the file cannot be opened.
  virtual void open_vcd(const std::string& path, Tick from, Tick to) = 0;
  virtual void close_vcd() = 0;
  virtual std::uint64_t shifted_walks() const = 0;

  // Number of walk contexts (the NUM_WALKS parameter).
  virtual unsigned contexts() const = 0;
};

// Which Verilated model. BrokenPa is the RTL with BROKEN_PA_BIT = 12 (bit 12
// of every successful output address flipped): only the tests use it, to
// show that the cosimulation catches a wrong RTL.
enum class RtlVariant { Normal, BrokenPa };

// Null when the build has no RTL (IOMMUSIM_RTL off).
std::unique_ptr<RtlSlWalker> make_rtl_sl_walker(RtlVariant v = RtlVariant::Normal);
bool rtl_walker_built();

}  // namespace iommusim
