#include "pcie_bench_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace pciebench {

namespace {

int lane_index(int lanes) {
  const int all[] = {1, 2, 4, 8, 16, 32};
  for (int i = 0; i < 6; ++i)
    if (all[i] == lanes) return i;
  throw std::invalid_argument("pcie-bench model: lanes");
}

int mps_index(int mps) {
  for (int i = 0; i < 6; ++i)
    if ((128 << i) == mps) return i;
  throw std::invalid_argument("pcie-bench model: mps");
}

// pcie.py Ack_Limits, rows x1, x2, x4, x8, x16, x32, columns MPS 128..4096,
// for gen1, gen2, gen3 (gen4 and gen5 repeat gen3), as transcribed there.
constexpr int kAck[3][6][6] = {
    {{237, 416, 559, 1071, 2095, 4143},
     {128, 217, 289, 545, 1057, 2081},
     {73, 118, 154, 282, 538, 1050},
     {67, 107, 86, 150, 278, 534},
     {48, 72, 86, 150, 278, 534},
     {33, 45, 52, 84, 148, 276}},
    {{288, 467, 610, 1122, 2146, 4194},
     {179, 268, 340, 596, 1108, 2132},
     {124, 169, 205, 333, 589, 1101},
     {118, 158, 137, 201, 329, 585},
     {99, 123, 137, 201, 329, 585},
     {84, 96, 103, 135, 199, 237}},
    {{333, 512, 655, 1167, 2191, 4239},
     {224, 313, 385, 641, 1153, 2177},
     {169, 214, 250, 378, 634, 1146},
     {163, 203, 182, 246, 374, 630},
     {144, 168, 182, 246, 374, 630},
     {129, 141, 148, 180, 244, 372}},
};

// pcie.py FC_Guide: the same values except gen1 x32 MPS 2048 (248) and gen2
// x32 MPS 4096 (327).
int fc_guide(int gen, int li, int mi) {
  if (gen == 1 && li == 5 && mi == 4) return 248;
  if (gen == 2 && li == 5 && mi == 5) return 327;
  return kAck[std::min(gen, 3) - 1][li][mi];
}

constexpr int kDllpHdr = 8;  // DLLP_Hdr
constexpr int kTlpHdr = 4;   // TLP_Hdr
constexpr int kDig = 4;      // TLP_Dig (ECRC)

}  // namespace

double raw_gbps(const Cfg& c) {
  const double gts[] = {2.5, 5.0, 8.0, 16.0, 32.0};
  if (c.gen < 1 || c.gen > 5) throw std::invalid_argument("pcie-bench model: gen");
  const double gbs = gts[c.gen - 1] >= 8.0 ? (128.0 / 130.0) * gts[c.gen - 1] : (8.0 / 10.0) * gts[c.gen - 1];
  return gbs * c.lanes;
}

double tlp_gbps(const Cfg& c) {
  const int li = lane_index(c.lanes), mi = mps_index(c.mps);
  const double ack = 8.0 / kAck[std::min(c.gen, 3) - 1][li][mi];
  const double fc = 8.0 / fc_guide(c.gen, li, mi);
  const double skip = 4.0 / 1538.0;
  const double raw = raw_gbps(c);
  return raw - raw * (ack + fc + skip);
}

int mwr_overhead(const Cfg& c) { return kDllpHdr + kTlpHdr + (c.addr == 64 ? 12 : 8) + (c.ecrc ? kDig : 0); }
int mrd_overhead(const Cfg& c) { return mwr_overhead(c); }
int cpld_overhead(const Cfg& c) { return kDllpHdr + kTlpHdr + 8 + (c.ecrc ? kDig : 0); }

double write_gbps(const Cfg& c, int size) {
  const double tlps = std::ceil(double(size) / c.mps);
  const double raw_bytes = tlps * mwr_overhead(c) + size;
  return size * tlp_gbps(c) / raw_bytes;
}

namespace {

// The common part of read() and read_write(): raw bytes per transaction in
// each direction; returns the effective data rate in Gb/s.
double min_of_directions(const Cfg& c, double raw_tx_bytes, double raw_rx_bytes, double data_bytes) {
  const double avail = tlp_gbps(c) * 1e9;  // bits/s, both directions
  double trans = avail / (raw_rx_bytes * 8);  // what RX allows
  if (trans * raw_tx_bytes * 8 > avail) trans = avail / (raw_tx_bytes * 8);  // TX runs out first
  return trans * data_bytes * 8 / 1e9;
}

}  // namespace

double read_gbps(const Cfg& c, int size) {
  const double tx_tlps = std::ceil(double(size) / c.mrrs);
  const double rx_tlps = std::ceil(double(size) / (c.rcb_chunks ? c.rcb : c.mps));
  return min_of_directions(c, tx_tlps * mrd_overhead(c), rx_tlps * cpld_overhead(c) + size, size);
}

double read_write_gbps(const Cfg& c, int size) {
  const double wr_tlps = std::ceil(double(size) / c.mps);
  const double rd_tx_tlps = std::ceil(double(size) / c.mrrs);
  const double rd_rx_tlps = std::ceil(double(size) / (c.rcb_chunks ? c.rcb : c.mps));
  const double tx = wr_tlps * mwr_overhead(c) + size + rd_tx_tlps * mrd_overhead(c);
  const double rx = rd_rx_tlps * cpld_overhead(c) + size;
  return min_of_directions(c, tx, rx, size);
}

}  // namespace pciebench
