// The TLP-level link timing (models/pcie/link_timing.h) against hand-computed
// wire bytes and serialization times.
//
// ps per byte per lane: Gen1 10 bits / 2.5 GT/s = 4000; Gen3 8 bits * 130/128
// / 8 GT/s = 1015.625; Gen5 253.90625. Divided by the width, times the bytes,
// rounded up to a whole ps.
#include <catch2/catch.hpp>
#include <cstdint>
#include <numeric>
#include <vector>

#include "common/config.h"
#include "common/error.h"
#include "pcie/link.h"
#include "pcie/link_timing.h"
#include "pcie/tlp_split.h"

using namespace iommusim;

namespace {

LinkConfig cfg(unsigned gen, unsigned width, unsigned mps = 256) {
  LinkConfig c;
  c.generation = gen;
  c.width = width;
  c.mps = mps;
  return c;
}

constexpr Addr kLow = 0x1000;            // below 4 GiB: 3 DW request headers
constexpr Addr kHigh = 0x1'0000'0000;    // at 4 GiB: 4 DW

}  // namespace

TEST_CASE("link timing: Gen1 x1 8b/10b", "[unit][pcie][link]") {
  const LinkTiming t(cfg(1, 1));
  CHECK(t.bytes_per_ns() == Approx(0.25));  // 2.5 GT/s * 8/10 / 8
  // 64 B write below 4 GiB: 12 header + 64 + 8 (STP, seq 2, LCRC 4, END) = 84 B
  // at 4 ns per byte.
  CHECK(t.write_wire_bytes(kLow, 64) == 84);
  CHECK(t.serialize_ps(84) == 336'000);
  // Read request: 12 + 8 = 20 B = 80 ns; its 64 B completion: 12 + 64 + 8 = 84 B.
  CHECK(t.read_request_wire_bytes(kLow) == 20);
  CHECK(t.serialize_ps(20) == 80'000);
  CHECK(t.completion_wire_bytes(64) == 84);
  // A DLLP: 8 B = 32 ns.
  CHECK(t.serialize_ps(kDllpBytes) == 32'000);
}

TEST_CASE("link timing: Gen3 x8 128b/130b", "[unit][pcie][link]") {
  const LinkTiming t(cfg(3, 8));
  CHECK(t.bytes_per_ns() == Approx(7.876923).epsilon(1e-6));  // 8 GT/s * 8 * 128/130 / 8
  // 256 B write at 4 GiB: 16 + 256 + 8 = 280 B * 126.953125 ps = 35546.875 -> 35547 ps.
  CHECK(t.write_wire_bytes(kHigh, 256) == 280);
  CHECK(t.serialize_ps(280) == 35'547);
  // Below 4 GiB: 12 + 256 + 8 = 276 B -> 35039.0625 -> 35040 ps.
  CHECK(t.write_wire_bytes(kLow, 256) == 276);
  CHECK(t.serialize_ps(276) == 35'040);
  // Read request 20 B -> 2539.0625 -> 2540 ps; 64 B completion 84 B -> 10664.0625 -> 10665 ps.
  CHECK(t.serialize_ps(t.read_request_wire_bytes(kLow)) == 2'540);
  CHECK(t.serialize_ps(t.completion_wire_bytes(64)) == 10'665);
  // DLLP 8 B -> 1015.625 -> 1016 ps; SKP 4 B -> 507.8125 -> 508 ps.
  CHECK(t.serialize_ps(kDllpBytes) == 1'016);
  CHECK(t.serialize_ps(kSkpBytes) == 508);
}

TEST_CASE("link timing: Gen5 x16", "[unit][pcie][link]") {
  const LinkTiming t(cfg(5, 16));
  CHECK(t.bytes_per_ns() == Approx(63.015385).epsilon(1e-6));  // 32 GT/s * 16 * 128/130 / 8
  // ps per byte: 253.90625 / 16 = 15.869140625.
  // 64 B completion: 84 B -> 1333.0078125 -> 1334 ps.
  CHECK(t.serialize_ps(t.completion_wire_bytes(64)) == 1'334);
  // 512 B write at 4 GiB: 16 + 512 + 8 = 536 B -> 8505.859375 -> 8506 ps.
  CHECK(t.write_wire_bytes(kHigh, 512) == 536);
  CHECK(t.serialize_ps(536) == 8'506);
}

TEST_CASE("link timing: Gen2 x4 and Gen4 x12 rates", "[unit][pcie][link]") {
  // Gen2: 2000 ps per byte per lane; x4: 500 ps per byte.
  CHECK(LinkTiming(cfg(2, 4)).serialize_ps(84) == 42'000);
  // Gen4: 507.8125 ps per byte per lane; x12: 42.317708.. ps; 84 B -> 3554.6875 -> 3555 ps.
  CHECK(LinkTiming(cfg(4, 12)).serialize_ps(84) == 3'555);
  CHECK(LinkTiming(cfg(4, 12)).bytes_per_ns() == Approx(23.630769).epsilon(1e-6));
}

TEST_CASE("link timing: 3DW and 4DW request headers", "[unit][pcie][link]") {
  LinkConfig c = cfg(3, 8);
  const LinkTiming t(c);
  CHECK(t.request_header_bytes(0) == 12);
  CHECK(t.request_header_bytes(0xFFFF'FFFF) == 12);
  CHECK(t.request_header_bytes(0x1'0000'0000) == 16);
  CHECK(t.read_request_wire_bytes(0xFFFF'F000) == 20);
  CHECK(t.read_request_wire_bytes(0x1'0000'0000) == 24);
  // Completions always have a 3 DW header, whatever the address.
  CHECK(t.completion_wire_bytes(128) == 148);
  CHECK(t.completion_wire_bytes(0) == 20);  // completion without data
  c.always_4dw = true;
  const LinkTiming t4(c);
  CHECK(t4.request_header_bytes(0x1000) == 16);
  CHECK(t4.read_request_wire_bytes(0x1000) == 24);
  CHECK(t4.write_wire_bytes(0x1000, 64) == 88);
  CHECK(t4.completion_wire_bytes(64) == 84);
}

TEST_CASE("link timing: ECRC adds 4 bytes to every TLP", "[unit][pcie][link]") {
  LinkConfig c = cfg(3, 8);
  c.ecrc = true;
  const LinkTiming t(c);
  // 16 + 256 + 4 + 8 = 284 B -> 36054.6875 -> 36055 ps.
  CHECK(t.write_wire_bytes(kHigh, 256) == 284);
  CHECK(t.serialize_ps(284) == 36'055);
  CHECK(t.read_request_wire_bytes(kHigh) == 28);
  CHECK(t.completion_wire_bytes(64) == 88);
}

TEST_CASE("link timing: a 4 KiB read at MRRS 512, RCB 64", "[unit][pcie][link]") {
  LinkConfig c = cfg(3, 8, 256);
  c.rcb = 64;
  const auto reqs = split_request(kHigh, 4096, 512);
  REQUIRE(reqs.size() == 8);  // 4096 / 512 requests of 24 B each (4 DW)
  SECTION("completions up to MPS (256): 2 per request") {
    const LinkTiming t(c);
    std::vector<std::uint32_t> all;
    std::uint64_t req_bytes = 0, cpl_bytes = 0;
    Tick cpl_ps = 0;
    for (const auto& r : reqs) {
      req_bytes += t.read_request_wire_bytes(r.addr);
      for (auto n : t.completion_split(r.addr, r.size)) {
        all.push_back(n);
        cpl_bytes += t.completion_wire_bytes(n);
        cpl_ps += t.serialize_ps(t.completion_wire_bytes(n));
      }
    }
    CHECK(req_bytes == 8 * 24);
    CHECK(all == std::vector<std::uint32_t>(16, 256));
    CHECK(cpl_bytes == 16 * 276);  // 4416 B for 4096 B of data
    CHECK(cpl_ps == 16 * 35'040);  // 560.64 ns, DLLPs not included
  }
  SECTION("one completion per RCB: 8 per request") {
    c.cpl_split = CplSplit::Rcb;
    const LinkTiming t(c);
    std::size_t count = 0;
    std::uint64_t cpl_bytes = 0;
    for (const auto& r : reqs)
      for (auto n : t.completion_split(r.addr, r.size)) {
        CHECK(n == 64);
        ++count;
        cpl_bytes += t.completion_wire_bytes(n);
      }
    CHECK(count == 64);
    CHECK(cpl_bytes == 64 * 84);  // 5376 B
    CHECK(t.serialize_ps(84) * 64 == 682'560);
  }
}

TEST_CASE("link timing: completions of an unaligned read end at RCB boundaries", "[unit][pcie][link]") {
  LinkConfig c = cfg(3, 8, 256);
  c.rcb = 64;
  // 0x1020 + 256 = 0x1120, down to RCB: 0x1100 -> 224; then 256; then 32.
  CHECK(LinkTiming(c).completion_split(0x1020, 512) == std::vector<std::uint32_t>{224, 256, 32});
  c.rcb = 128;
  // 0x1050 + 256 = 0x1150, down to 128: 0x1100 -> 176; 256; 80.
  CHECK(LinkTiming(c).completion_split(0x1050, 512) == std::vector<std::uint32_t>{176, 256, 80});
  c.rcb = 64;
  c.cpl_split = CplSplit::Rcb;
  // 0x1020..0x1040, 0x1040..0x1080, 0x1080..0x10c0, 0x10c0..0x10e8.
  CHECK(LinkTiming(c).completion_split(0x1020, 200) == std::vector<std::uint32_t>{32, 64, 64, 40});
  // Below one RCB: one completion.
  CHECK(LinkTiming(c).completion_split(0x1004, 8) == std::vector<std::uint32_t>{8});
}

TEST_CASE("link timing: for_each_completion gives completion_split's sizes in order", "[unit][pcie][link]") {
  LinkConfig c = cfg(3, 8, 256);
  c.rcb = 64;
  std::vector<std::uint32_t> got;
  LinkTiming(c).for_each_completion(0x1020, 512, [&](std::uint32_t n) { got.push_back(n); });
  CHECK(got == std::vector<std::uint32_t>{224, 256, 32});
  got.clear();
  LinkTiming(c).for_each_completion(0x1020, 0, [&](std::uint32_t n) { got.push_back(n); });
  CHECK(got.empty());
}

TEST_CASE("link timing: a 1 KiB write at MPS 256", "[unit][pcie][link]") {
  const LinkTiming t(cfg(3, 8, 256));
  const auto tlps = split_request(kHigh, 1024, 256);
  REQUIRE(tlps.size() == 4);
  std::uint64_t bytes = 0;
  Tick ps = 0;
  for (const auto& w : tlps) {
    bytes += t.write_wire_bytes(w.addr, w.size);
    ps += t.serialize_ps(t.write_wire_bytes(w.addr, w.size));
  }
  CHECK(bytes == 4 * 280);  // 1120 B on the wire for 1024 B of data
  CHECK(ps == 4 * 35'547);  // 142.188 ns, DLLPs not included
}

TEST_CASE("link timing: Ack latency limits by generation, width and MPS", "[unit][pcie][link]") {
  CHECK(ack_limit_symbols(1, 1, 128) == 237);
  CHECK(ack_limit_symbols(1, 8, 512) == 86);
  CHECK(ack_limit_symbols(1, 12, 512) == 109);
  CHECK(ack_limit_symbols(2, 1, 128) == 288);
  CHECK(ack_limit_symbols(3, 8, 128) == 163);
  CHECK(ack_limit_symbols(3, 8, 256) == 203);
  CHECK(ack_limit_symbols(4, 16, 256) == 168);
  CHECK(ack_limit_symbols(5, 32, 4096) == 372);
  CHECK_THROWS_AS(ack_limit_symbols(3, 3, 256), std::invalid_argument);
  CHECK_THROWS_AS(ack_limit_symbols(6, 8, 256), std::invalid_argument);
}

TEST_CASE("link timing: DllpMeter with round intervals", "[unit][pcie][link]") {
  // ACK every 100 B of link time, UpdateFC every 200, no SKP: o = 8/100 + 8/200
  // = 0.12, so an ACK is due every 100 * 0.88 = 88 TLP bytes and an UpdateFC
  // every 176.
  LinkConfig c = cfg(3, 8);
  c.ack_interval = 100;
  c.fc_interval = 200;
  c.skp_interval = 0;
  CHECK(LinkTiming(c).overhead_share() == Approx(0.12));
  DllpMeter m(c);
  auto d = m.on_tlp(44);
  CHECK((d.acks == 0 && d.fcs == 0 && d.skps == 0));
  d = m.on_tlp(44);  // 88
  CHECK((d.acks == 1 && d.fcs == 0));
  d = m.on_tlp(87);  // 175
  CHECK((d.acks == 0 && d.fcs == 0));
  d = m.on_tlp(1);  // 176
  CHECK((d.acks == 1 && d.fcs == 1));
  d = m.on_tlp(176 * 3);  // 704: 8 ACKs, 4 UpdateFCs in all
  CHECK((d.acks == 6 && d.fcs == 3 && d.skps == 0));
  // Per 176 TLP bytes: 2 ACKs + 1 UpdateFC = 24 B, 176 / 200 = 1 - o.
}

TEST_CASE("link timing: DllpMeter at Gen3 x8 MPS 256 defaults", "[unit][pcie][link]") {
  // ack = fc = 203, skp = 1538: 1 - o = 1 - 16/203 - 4/1538, so an ACK (and an
  // UpdateFC) is due every 203 * (1 - o) = 186.47 TLP bytes and a SKP every
  // 1538 * (1 - o) = 1412.78 (exactly D / (P / L) with P = 203 * 203 * 1538,
  // D = P - 8 P/203 - 8 P/203 - 4 P/1538 = 58219182).
  LinkConfig c = cfg(3, 8);
  c.ack_interval = c.fc_interval = ack_limit_symbols(3, 8, 256);
  c.skp_interval = 1538;
  DllpMeter m(c);
  std::vector<unsigned> acks;
  unsigned fcs = 0, skps = 0;
  for (int i = 0; i < 100; ++i) {
    const auto d = m.on_tlp(276);  // 256 B writes below 4 GiB
    acks.push_back(d.acks);
    fcs += d.fcs;
    skps += d.skps;
  }
  CHECK(std::vector<unsigned>(acks.begin(), acks.begin() + 5) == std::vector<unsigned>{1, 1, 2, 1, 2});
  // 27600 TLP bytes: floor(27600 / 186.47) = 148 ACKs and UpdateFCs,
  // floor(27600 / 1412.78) = 19 SKPs.
  CHECK(std::accumulate(acks.begin(), acks.end(), 0u) == 148);
  CHECK(fcs == 148);
  CHECK(skps == 19);
}

TEST_CASE("link timing: out-of-range settings are refused", "[unit][pcie][link]") {
  CHECK_THROWS_AS(LinkTiming(cfg(0, 8)), std::invalid_argument);
  CHECK_THROWS_AS(LinkTiming(cfg(6, 8)), std::invalid_argument);
  CHECK_THROWS_AS(LinkTiming(cfg(3, 3)), std::invalid_argument);
  CHECK_THROWS_AS(LinkTiming(cfg(3, 8, 192)), std::invalid_argument);
  LinkConfig c = cfg(3, 8);
  c.rcb = 256;
  CHECK_THROWS_AS(LinkTiming(c), std::invalid_argument);
  c = cfg(3, 8);
  c.ack_interval = 16;
  CHECK_THROWS_AS(LinkTiming(c), std::invalid_argument);
}

TEST_CASE("link timing: configuration keys, defaults and errors", "[unit][pcie][link]") {
  SECTION("defaults are written back, DLLP intervals from the table") {
    Config cf = Config::from_string("link: {generation: 4, width: 16}\n", "l.yaml");
    const LinkParams p = LinkParams::from_config(cf.root().child("link"), 128);
    CHECK(p.timing.generation == 4);
    CHECK(p.timing.width == 16);
    CHECK(p.timing.mps == 128);
    CHECK(p.timing.rcb == 64);
    CHECK(p.timing.ack_interval == 144);  // Gen4 x16 MPS 128
    CHECK(p.timing.fc_interval == 144);
    CHECK(p.timing.skp_interval == 1538);
    CHECK(p.timing.latency_ps == 50'000);
    CHECK(p.timing.cpl_split == CplSplit::Mps);
    CHECK(p.timing.dllp_direction == DllpDirection::Same);
    const auto j = cf.to_json();
    CHECK(j["link"]["ack_interval"] == 144);
    CHECK(j["link"]["rcb"] == 64);
    CHECK(j["link"]["dllp_direction"] == "same");
  }
  SECTION("every key") {
    Config cf = Config::from_string(
        "link: {generation: 1, width: 12, rcb: 128, cpl_split: rcb, ecrc: true, always_4dw: true,\n"
        "       latency_ns: 12.5, ack_interval: 0, fc_interval: 400, skp_interval: 0, dllp_direction: opposite}\n",
        "l.yaml");
    const LinkParams p = LinkParams::from_config(cf.root().child("link"), 512);
    CHECK(p.timing.generation == 1);
    CHECK(p.timing.width == 12);
    CHECK(p.timing.rcb == 128);
    CHECK(p.timing.cpl_split == CplSplit::Rcb);
    CHECK(p.timing.ecrc);
    CHECK(p.timing.always_4dw);
    CHECK(p.timing.latency_ps == 12'500);
    CHECK(p.timing.ack_interval == 0);
    CHECK(p.timing.fc_interval == 400);
    CHECK(p.timing.skp_interval == 0);
    CHECK(p.timing.dllp_direction == DllpDirection::Opposite);
  }
  auto error = [](const std::string& yaml) {
    Config cf = Config::from_string(yaml, "l.yaml");
    try {
      LinkParams::from_config(cf.root().child("link"), 256);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error("link: {width: 3}\n") == "l.yaml:1: link.width: expected 1, 2, 4, 8, 12, 16 or 32 lanes, got 3");
  CHECK(error("link: {generation: 6}\n") == "l.yaml:1: link.generation: expected an integer in [1, 5], got 6");
  CHECK(error("link: {rcb: 96}\n") == "l.yaml:1: link.rcb: expected 64 or 128 bytes, got 96");
  CHECK(error("link: {ack_interval: 16}\n") ==
        "l.yaml:1: link.ack_interval: expected 0 (none) or 32..65535 bytes, got 16");
  CHECK(error("link: {dllp_direction: up}\n").find("link.dllp_direction") != std::string::npos);
  CHECK(error("link: {cpl_split: 4k}\n").find("link.cpl_split") != std::string::npos);
  CHECK(error("link: {ecrc: maybe}\n").find("link.ecrc") != std::string::npos);
}
