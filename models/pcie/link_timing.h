// PCIe link timing at the level of TLPs, DLLPs and ordered sets (plain C++, no
// SystemC; the Link module in link.h is a thin shell over it).
//
// Wire bytes of a TLP (PCIe Base Specification, rev 3.0 numbering: 2.2.1 TLP
// format, 3.5.2 the data link layer's sequence number and LCRC, 4.2.1 and
// 4.2.2.3 framing):
//
//   header        3 DW (12 B) for a memory request below 4 GiB and for every
//                 completion; 4 DW (16 B) for a memory request at or above
//                 4 GiB (2.2.4.1: 64-bit format only for addresses >= 4 GiB),
//                 or for every memory request with `always_4dw`
//   payload       writes and completions with data
//   ECRC          4 B when `ecrc` (2.7, the TLP digest)
//   DLL + PHY     8 B in every generation:
//                   Gen1/2 (8b/10b):    STP 1 + sequence number 2 + LCRC 4 + END 1
//                   Gen3+ (128b/130b):  STP token 4 (it carries the 12-bit
//                                       sequence number) + LCRC 4, no END
//                 (pcie-bench's model uses the same 8 B for every generation.)
//
// A DLLP (ACK, UpdateFC) is 8 B on the wire: 6 B DLLP (type, payload,
// 16-bit CRC) + SDP/END (Gen1/2) or the 2 B SDP token (Gen3+). A SKP ordered
// set is counted as 4 B per direction, as pcie-bench counts it.
//
// Serialization: one direction moves width * GT/s * efficiency / 8 bytes per
// ns (efficiency 8/10 for Gen1/2, 128/130 for Gen3..5); a transfer of n bytes
// takes ceil(n * ps_per_byte_per_lane / width) ps.
//
// DLLP and SKP overhead follows pcie-bench (Neugebauer et al., SIGCOMM 2018,
// model/pcie.py): one 8 B ACK per `ack_interval` bytes of link time, one 8 B
// UpdateFC per `fc_interval`, one 4 B SKP per `skp_interval`, where the
// defaults for the first two are the PCIe Base Specification's Ack latency
// limits / UpdateFC latency guidelines in symbol times (Tables 3-7..3-9 and
// 2-46..2-48 of rev 5.0; ack_limit_symbols()), read as bytes as pcie-bench
// reads them. A direction that sends TLPs of w wire bytes then stands for
// T = w / (1 - o) bytes of link time, o = 8/ack + 8/fc + 4/skp, and owes
// T/ack ACKs, T/fc UpdateFCs and T/skp SKPs (DllpMeter, exact integers).
#pragma once
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/types.h"

namespace iommusim {

// Where the ACK and UpdateFC DLLPs a TLP stream owes are sent.
enum class DllpDirection {
  Same,      // on the direction that carries the TLPs (pcie-bench: both
             // directions lose the same share of their bandwidth)
  Opposite,  // on the other direction, from the receiver (as the protocol does)
};

// How a read's completion data is split (2.3.1.1): every completion but the
// last ends at a Read Completion Boundary.
enum class CplSplit {
  Mps,  // as few completions as MPS allows (pcie-bench's default)
  Rcb,  // one completion per RCB (pcie-bench's rcb_chunks; older chipsets)
};

struct LinkConfig {
  unsigned generation = 3;     // 1..5 (2.5, 5, 8, 16, 32 GT/s)
  unsigned width = 8;          // lanes: 1, 2, 4, 8, 12, 16, 32
  unsigned mps = 256;          // Max_Payload_Size (the endpoint's, see link.h)
  unsigned rcb = 64;           // Read Completion Boundary: 64 or 128
  CplSplit cpl_split = CplSplit::Mps;
  bool ecrc = false;
  bool always_4dw = false;     // 4 DW headers for every memory request
  Tick latency_ps = 50'000;    // one-way PHY + wire latency after serialization
  std::uint32_t ack_interval = 203;  // bytes of link time per ACK DLLP, 0 = none
  std::uint32_t fc_interval = 203;   // bytes of link time per UpdateFC DLLP, 0 = none
  std::uint32_t skp_interval = 1538; // bytes of link time per SKP ordered set, 0 = none
  DllpDirection dllp_direction = DllpDirection::Same;
};

constexpr unsigned kTlpLinkBytes = 8;   // framing + sequence number + LCRC
constexpr unsigned kDllpBytes = 8;
constexpr unsigned kSkpBytes = 4;
constexpr unsigned kHeader3Dw = 12;
constexpr unsigned kHeader4Dw = 16;
constexpr unsigned kEcrcBytes = 4;
constexpr std::uint32_t kMinInterval = 32;     // smallest accepted ack/fc/skp interval
constexpr std::uint32_t kMaxInterval = 65535;  // largest (keeps DllpMeter in 64 bits)

bool valid_generation(unsigned gen);  // 1..5
bool valid_width(unsigned width);     // 1, 2, 4, 8, 12, 16, 32
// Transfer rate in GT/s of a generation (2.5, 5, 8, 16, 32).
double gts(unsigned gen);
// Encoding efficiency: 0.8 (8b/10b, Gen1/2) or 128/130 (Gen3+).
double encoding_efficiency(unsigned gen);
// The specification's maximum Ack latency limit in symbol times for a
// generation, width and MPS (128..4096); the UpdateFC latency guideline has
// the same values. Gen2 adds 51 symbol times to Gen1's internal delay, Gen3
// and later 96.
std::uint32_t ack_limit_symbols(unsigned gen, unsigned width, unsigned mps);

class LinkTiming {
 public:
  // Throws std::invalid_argument when a field is out of range.
  explicit LinkTiming(const LinkConfig& c);

  const LinkConfig& config() const { return c_; }

  // Bytes per ns in one direction: width * GT/s * efficiency / 8.
  double bytes_per_ns() const;
  // Serialization time of n bytes on one direction, rounded up to whole ps.
  Tick serialize_ps(std::uint64_t bytes) const;

  // Header bytes of a memory request TLP at `addr` (12 or 16).
  unsigned request_header_bytes(Addr addr) const;
  // Wire bytes of a memory write TLP (header + payload + ECRC + 8).
  std::uint64_t write_wire_bytes(Addr addr, std::uint32_t len) const;
  // Wire bytes of a memory read request TLP (header + ECRC + 8).
  std::uint64_t read_request_wire_bytes(Addr addr) const;
  // Wire bytes of a completion with `payload` bytes of data (0: a completion
  // without data): 12 + payload + ECRC + 8.
  std::uint64_t completion_wire_bytes(std::uint32_t payload) const;
  // Data sizes of the completions for a read of `len` bytes at `addr`, in
  // order: each ends at an RCB boundary except the last, and carries at most
  // MPS (CplSplit::Mps) or RCB (CplSplit::Rcb) bytes.
  std::vector<std::uint32_t> completion_split(Addr addr, std::uint32_t len) const;
  // The same sizes passed to f(size) in order, without building a list (the
  // link's per-read path).
  template <class F>
  void for_each_completion(Addr addr, std::uint32_t len, F&& f) const {
    const std::uint64_t max = c_.cpl_split == CplSplit::Mps ? c_.mps : c_.rcb;
    Addr cur = addr;
    const Addr end = addr + len;
    while (cur < end) {
      // The largest RCB-aligned end within `max` bytes (max is a multiple of
      // RCB, so an aligned start gets exactly max); the last one ends at `end`.
      Addr stop = (cur + max) & ~Addr{c_.rcb - 1};
      if (stop <= cur) stop = cur + max;
      stop = std::min(stop, end);
      f(static_cast<std::uint32_t>(stop - cur));
      cur = stop;
    }
  }

  // o = 8/ack + 8/fc + 4/skp: the share of a direction's time that the
  // DLLPs and SKPs take when it is saturated.
  double overhead_share() const;

 private:
  LinkConfig c_;
  std::uint64_t ps_num_;  // ps per byte per lane = ps_num_ / ps_den_
  std::uint64_t ps_den_;
};

// Counts the ACK and UpdateFC DLLPs and SKP ordered sets owed by a stream of
// TLPs on one direction (see the top of this file). Exact: integer
// accumulators, so a saturated stream's overhead is exactly o in the long run.
class DllpMeter {
 public:
  explicit DllpMeter(const LinkConfig& c);
  struct Due {
    unsigned acks = 0;
    unsigned fcs = 0;
    unsigned skps = 0;
  };
  // Accounts for a TLP of `wire_bytes` and returns what became due.
  Due on_tlp(std::uint64_t wire_bytes);

 private:
  struct Item {
    std::uint64_t weight = 0;  // added per wire byte
    std::uint64_t acc = 0;
    bool on = false;
  };
  unsigned drain(Item& it);
  std::uint64_t d_ = 1;  // one item is due per d_ units
  Item ack_, fc_, skp_;
};

}  // namespace iommusim
