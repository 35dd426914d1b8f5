// An independent C++ re-implementation of the analytic PCIe bandwidth model
// of pcie-bench (R. Neugebauer et al., "Understanding PCIe performance for end
// host networking", SIGCOMM 2018; the model/ folder of their pcie-model
// repository: pcie.py for the constants, mem_bw.py for write(), read() and
// read_write()). It is the reference the simulated link is validated against
// (test_pcie_validation.cpp, docs/validation.md); it shares no code with
// models/pcie.
//
// What it assumes (pcie.py / mem_bw.py):
//  * raw bandwidth per direction: GT/s * lanes * 8/10 (Gen1/2) or 128/130
//    (Gen3..5), in Gb/s;
//  * usable TLP bandwidth per direction, whatever the traffic:
//      TLP_bw = raw * (1 - 8/AckLimit - 8/FCGuide - 4/1538)
//    with 8 B per ACK and per UpdateFC DLLP, one per AckLimit (FCGuide)
//    "bytes", the spec's Ack latency / UpdateFC tables in symbol times, and a
//    4-symbol SKP ordered set every 1538;
//  * per TLP 8 B of data link and physical layer overhead (DLLP_Hdr: sequence
//    number, LCRC, start/end framing) in every generation, a 4 B common TLP
//    header, 8 B (32-bit address) or 12 B (64-bit) more for MRd/MWr, 8 B more
//    for CplD, 4 B for ECRC;
//  * writes: ceil(S / MPS) MWr TLPs, no traffic back;
//  * reads: ceil(S / MRRS) MRd requests, ceil(S / MPS) completions (or
//    ceil(S / RCB) with rcb_chunks), addresses aligned; the achievable rate
//    is the smaller of what the completion direction and the request
//    direction allow;
//  * read+write: per transaction one read and one write of S bytes each; the
//    same min over both directions.
#pragma once
#include <string>

namespace pciebench {

struct Cfg {
  int gen = 3;         // 1..5
  int lanes = 8;       // 1, 2, 4, 8, 16, 32
  int addr = 64;       // address bits of requests: 32 or 64
  int ecrc = 0;        // 0 or 1
  int mps = 256;
  int mrrs = 512;
  int rcb = 64;
  bool rcb_chunks = false;
};

double raw_gbps(const Cfg& c);  // per direction, Gb/s
double tlp_gbps(const Cfg& c);  // raw minus ACK, UpdateFC and SKP overhead

int mwr_overhead(const Cfg& c);   // bytes per MWr TLP besides its payload
int mrd_overhead(const Cfg& c);   // bytes per MRd TLP
int cpld_overhead(const Cfg& c);  // bytes per CplD TLP besides its payload

// Effective bandwidths in Gb/s (data bytes per second * 8 / 1e9).
double write_gbps(const Cfg& c, int size);       // mem_bw.write().tx_eff
double read_gbps(const Cfg& c, int size);        // mem_bw.read().rx_eff
double read_write_gbps(const Cfg& c, int size);  // mem_bw.read_write().tx_eff

}  // namespace pciebench
