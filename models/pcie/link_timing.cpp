#include "pcie/link_timing.h"

#include <algorithm>
#include <array>

namespace iommusim {

namespace {

constexpr std::array<unsigned, 7> kWidths = {1, 2, 4, 8, 12, 16, 32};

// Gen1 (2.5 GT/s) maximum Ack latency limits in symbol times, rows x1, x2,
// x4, x8, x12, x16, x32, columns MPS 128, 256, 512, 1024, 2048, 4096 (PCIe Base
// Specification, the 2.5 GT/s Ack latency table; the UpdateFC guideline table
// has the same values). They follow ((MPS + 28) * AckFactor) / width + 19.
constexpr std::uint32_t kGen1AckLimit[7][6] = {
    {237, 416, 559, 1071, 2095, 4143},  // x1
    {128, 217, 289, 545, 1057, 2081},   // x2
    {73, 118, 154, 282, 538, 1050},     // x4
    {67, 107, 86, 150, 278, 534},       // x8
    {58, 90, 109, 194, 365, 706},       // x12
    {48, 72, 86, 150, 278, 534},        // x16
    {33, 45, 52, 84, 148, 276},         // x32
};

int width_index(unsigned width) {
  for (std::size_t i = 0; i < kWidths.size(); ++i)
    if (kWidths[i] == width) return static_cast<int>(i);
  return -1;
}

int mps_index(unsigned mps) {
  for (int i = 0; i < 6; ++i)
    if (128u << i == mps) return i;
  return -1;
}

bool pow2(std::uint64_t v) { return v && !(v & (v - 1)); }

}  // namespace

bool valid_generation(unsigned gen) { return gen >= 1 && gen <= 5; }
bool valid_width(unsigned width) { return width_index(width) >= 0; }

double gts(unsigned gen) {
  switch (gen) {
    case 1: return 2.5;
    case 2: return 5.0;
    case 3: return 8.0;
    case 4: return 16.0;
    case 5: return 32.0;
    default: throw std::invalid_argument("PCIe generation must be 1..5, got " + std::to_string(gen));
  }
}

double encoding_efficiency(unsigned gen) { return gen <= 2 ? 8.0 / 10.0 : 128.0 / 130.0; }

std::uint32_t ack_limit_symbols(unsigned gen, unsigned width, unsigned mps) {
  const int w = width_index(width), m = mps_index(mps);
  if (!valid_generation(gen) || w < 0 || m < 0)
    throw std::invalid_argument("no Ack latency limit for Gen" + std::to_string(gen) + " x" + std::to_string(width) +
                                " MPS " + std::to_string(mps));
  const std::uint32_t extra = gen == 1 ? 0 : gen == 2 ? 51 : 96;
  return kGen1AckLimit[w][m] + extra;
}

LinkTiming::LinkTiming(const LinkConfig& c) : c_(c) {
  if (!valid_generation(c.generation))
    throw std::invalid_argument("generation must be 1..5, got " + std::to_string(c.generation));
  if (!valid_width(c.width))
    throw std::invalid_argument("width must be 1, 2, 4, 8, 12, 16 or 32, got " + std::to_string(c.width));
  if (!pow2(c.mps) || c.mps < 128 || c.mps > 4096)
    throw std::invalid_argument("mps must be a power of two 128..4096, got " + std::to_string(c.mps));
  if (c.rcb != 64 && c.rcb != 128) throw std::invalid_argument("rcb must be 64 or 128, got " + std::to_string(c.rcb));
  for (auto v : {c.ack_interval, c.fc_interval, c.skp_interval})
    if (v != 0 && (v < kMinInterval || v > kMaxInterval))
      throw std::invalid_argument("DLLP/SKP intervals must be 0 or " + std::to_string(kMinInterval) + ".." +
                                  std::to_string(kMaxInterval) + ", got " + std::to_string(v));
  // ps per byte per lane: 8 bits * (10/8 or 130/128) / GT/s.
  switch (c.generation) {
    case 1: ps_num_ = 4000, ps_den_ = 1; break;        // 10 bits / 2.5 GT/s = 4 ns
    case 2: ps_num_ = 2000, ps_den_ = 1; break;        // 10 bits / 5 GT/s
    case 3: ps_num_ = 130'000, ps_den_ = 128; break;   // 8 * 130/128 / 8 GT/s = 1.015625 ns
    case 4: ps_num_ = 130'000, ps_den_ = 256; break;
    default: ps_num_ = 130'000, ps_den_ = 512; break;  // Gen5
  }
}

double LinkTiming::bytes_per_ns() const {
  return c_.width * gts(c_.generation) * encoding_efficiency(c_.generation) / 8.0;
}

Tick LinkTiming::serialize_ps(std::uint64_t bytes) const {
  const std::uint64_t den = ps_den_ * c_.width;
  return (bytes * ps_num_ + den - 1) / den;
}

unsigned LinkTiming::request_header_bytes(Addr addr) const {
  return (c_.always_4dw || addr >= (Addr{1} << 32)) ? kHeader4Dw : kHeader3Dw;
}

std::uint64_t LinkTiming::write_wire_bytes(Addr addr, std::uint32_t len) const {
  return request_header_bytes(addr) + std::uint64_t{len} + (c_.ecrc ? kEcrcBytes : 0) + kTlpLinkBytes;
}

std::uint64_t LinkTiming::read_request_wire_bytes(Addr addr) const {
  return request_header_bytes(addr) + (c_.ecrc ? kEcrcBytes : 0) + kTlpLinkBytes;
}

std::uint64_t LinkTiming::completion_wire_bytes(std::uint32_t payload) const {
  return kHeader3Dw + std::uint64_t{payload} + (c_.ecrc ? kEcrcBytes : 0) + kTlpLinkBytes;
}

std::vector<std::uint32_t> LinkTiming::completion_split(Addr addr, std::uint32_t len) const {
  std::vector<std::uint32_t> out;
  for_each_completion(addr, len, [&](std::uint32_t n) { out.push_back(n); });
  return out;
}

double LinkTiming::overhead_share() const {
  double o = 0;
  if (c_.ack_interval) o += double(kDllpBytes) / c_.ack_interval;
  if (c_.fc_interval) o += double(kDllpBytes) / c_.fc_interval;
  if (c_.skp_interval) o += double(kSkpBytes) / c_.skp_interval;
  return o;
}

DllpMeter::DllpMeter(const LinkConfig& c) {
  // With P the product of the enabled intervals L_i and b_i their sizes,
  // 1 - o = D / P with D = P - sum(b_i * P / L_i). Item i is due every
  // L_i * (1 - o) wire bytes of TLPs, i.e. every D units when it gains P / L_i
  // units per wire byte.
  const std::uint64_t l[3] = {c.ack_interval, c.fc_interval, c.skp_interval};
  const std::uint64_t b[3] = {kDllpBytes, kDllpBytes, kSkpBytes};
  Item* items[3] = {&ack_, &fc_, &skp_};
  std::uint64_t p = 1;
  for (auto v : l)
    if (v) p *= v;
  std::uint64_t d = p;
  for (int i = 0; i < 3; ++i) {
    if (!l[i]) continue;
    items[i]->on = true;
    items[i]->weight = p / l[i];
    d -= b[i] * (p / l[i]);
  }
  d_ = d;
}

unsigned DllpMeter::drain(Item& it) {
  unsigned n = 0;
  while (it.acc >= d_) {
    it.acc -= d_;
    ++n;
  }
  return n;
}

DllpMeter::Due DllpMeter::on_tlp(std::uint64_t wire_bytes) {
  Due due;
  if (ack_.on) ack_.acc += wire_bytes * ack_.weight, due.acks = drain(ack_);
  if (fc_.on) fc_.acc += wire_bytes * fc_.weight, due.fcs = drain(fc_);
  if (skp_.on) skp_.acc += wire_bytes * skp_.weight, due.skps = drain(skp_);
  return due;
}

}  // namespace iommusim
