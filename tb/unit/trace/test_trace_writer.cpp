// Unit tests for the canonical record writer: exact text and round trips.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "temp_dir.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

using namespace iommusim;
using iommusim::test::TempDir;

namespace {

TraceRecord parse_one(const std::string& line) {
  Trace t = parse_trace("iommusim-trace 1\n" + line + "\n", "w.trace", "");
  REQUIRE(t.records.size() == 1);
  return t.records[0];
}

// A random valid record of `op`; `load_file` (of size `load_size`) for loads.
TraceRecord random_record(std::mt19937_64& rng, TraceOp op, const std::string& load_file,
                          uint64_t load_size) {
  auto pick = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  // Mostly small values, sometimes the whole 64-bit range.
  auto any = [&]() { return pick(0, 3) == 0 ? rng() : pick(0, 0xffffff); };
  auto fit = [&](uint64_t size) {  // an address with [a, a + size) in range
    uint64_t a = any();
    return a > ~0ull - (size - 1) ? ~0ull - (size - 1) : a;
  };
  auto bdf = [&]() {
    Bdf b;
    b.segment = pick(0, 1) ? 0 : static_cast<uint16_t>(pick(0, 0xffff));
    b.bus = static_cast<uint8_t>(pick(0, 0xff));
    b.dev = static_cast<uint8_t>(pick(0, 0x1f));
    b.fn = static_cast<uint8_t>(pick(0, 7));
    return b;
  };
  TraceRecord r;
  r.op = op;
  r.time = pick(0, 3) == 0 ? rng() : pick(0, 10000000);
  r.host = is_host_op(op);
  if (!r.host) r.source = bdf();
  switch (op) {
    case TraceOp::MmioW:
    case TraceOp::MmioR:
      r.size = pick(0, 1) ? 4 : 8;
      r.addr = any() & ~(r.size - 1);
      if (op == TraceOp::MmioW) r.data = r.size == 8 ? rng() : rng() >> 32;
      break;
    case TraceOp::MemW:
    case TraceOp::MemR:
      r.size = pick(1, 8);
      r.addr = fit(r.size);
      if (op == TraceOp::MemW) r.data = rng() >> (64 - 8 * r.size);
      break;
    case TraceOp::Load:
      r.size = load_size;
      r.addr = fit(r.size);
      r.file = load_file;
      break;
    case TraceOp::Map:
    case TraceOp::Unmap:
      r.dev = bdf();
      r.size = pick(0, 1) ? pick(1, 0x100000) : pick(1, ~0ull);
      r.iova = fit(r.size);
      if (op == TraceOp::Map) {
        r.pa = fit(r.size);
        r.perm = static_cast<uint8_t>(pick(1, 3));
      }
      break;
    case TraceOp::DmaR:
    case TraceOp::DmaW:
    case TraceOp::Ats:
      r.size = pick(0, 1) ? pick(1, 4096) : pick(1, ~0ull);
      r.addr = fit(r.size);
      break;
    case TraceOp::Msi:
      r.size = 4;
      r.addr = 0xfee00000 + 4 * pick(0, 0x3ffff);
      r.data = rng() >> 32;
      break;
  }
  if (!r.host && pick(0, 1)) {
    r.has_pasid = true;
    r.pasid = static_cast<uint32_t>(pick(0, 0xfffff));
    r.priv = pick(0, 1);
    r.exec = pick(0, 1);
  }
  if (!r.host) r.translated = pick(0, 1);
  return r;
}

}  // namespace

TEST_CASE("trace: format_ns is the shortest exact decimal", "[unit]") {
  CHECK(format_ns(0) == "0");
  CHECK(format_ns(1) == "0.001");
  CHECK(format_ns(625) == "0.625");
  CHECK(format_ns(12500) == "12.5");
  CHECK(format_ns(12050) == "12.05");
  CHECK(format_ns(1500000) == "1500");
  CHECK(format_ns(1000) == "1");
  CHECK(format_ns(~0ull) == "18446744073709551.615");
}

TEST_CASE("trace: format_record canonical text", "[unit]") {
  CHECK(format_record(parse_one("1500 host mmio_w addr=0xFED90000 size=4 data=0xABC")) ==
        "1500 host mmio_w addr=0xfed90000 size=4 data=0xabc");
  CHECK(format_record(parse_one("0 host mmio_r addr=0 size=0x8")) ==
        "0 host mmio_r addr=0x0 size=8");
  CHECK(format_record(parse_one("12.5 host mem_w size=2 addr=16 data=0")) ==
        "12.5 host mem_w addr=0x10 size=2 data=0x0");
  CHECK(format_record(parse_one("0.625 host mem_r addr=1 size=1")) ==
        "0.625 host mem_r addr=0x1 size=1");
  CHECK(format_record(parse_one("+7 host map dev=0000:3A:00.1 perm=w iova=4096 pa=0x2000 "
                                "size=4096")) ==
        "7 host map dev=3a:00.1 iova=0x1000 pa=0x2000 size=4096 perm=w");
  CHECK(format_record(parse_one("0 host unmap dev=0002:00:1f.7 iova=0x1000 size=4096")) ==
        "0 host unmap dev=0002:00:1f.7 iova=0x1000 size=4096");
  CHECK(format_record(parse_one("3 0001:00:03.0 dma_r addr=0x1000 size=64")) ==
        "3 0001:00:03.0 dma_r addr=0x1000 size=64");
  CHECK(format_record(parse_one("3 00:03.0 dma_w at=translated exec=1 priv=1 pasid=0x10 "
                                "size=64 addr=0x1000")) ==
        "3 00:03.0 dma_w addr=0x1000 size=64 pasid=16 priv=1 exec=1 at=translated");
  CHECK(format_record(parse_one("3 00:03.0 msi addr=0xfee00000 data=0x21 at=untranslated")) ==
        "3 00:03.0 msi addr=0xfee00000 data=0x21");
  CHECK(format_record(parse_one("3 00:03.0 ats addr=0x1000 size=4096 pasid=0")) ==
        "3 00:03.0 ats addr=0x1000 size=4096 pasid=0");
}

TEST_CASE("trace: format_record of load keeps the resolved path", "[unit]") {
  TempDir tmp;
  const std::string dir = tmp.path;
  tmp.write("blob.bin", "12345");
  Trace t = parse_trace("iommusim-trace 1\n1 host load addr=0x40 file=blob.bin\n", "w.trace", dir);
  CHECK(format_record(t.records.at(0)) == "1 host load addr=0x40 file=" + dir + "/blob.bin");
}

TEST_CASE("trace: format_record round-trips random records", "[unit]") {
  TempDir tmp;
  const std::string blob = tmp.write("blob.bin", std::string(4096, '\0'));

  std::mt19937_64 rng(20240611);
  std::vector<TraceRecord> want;
  std::string text = "iommusim-trace 1\n";
  for (int i = 0; i < 3000; ++i) {
    TraceOp op = kAllTraceOps[rng() % std::size(kAllTraceOps)];
    TraceRecord r = random_record(rng, op, blob, 4096);
    r.seq = want.size();
    r.line = static_cast<uint32_t>(want.size() + 2);
    text += format_record(r) + "\n";
    want.push_back(r);
  }
  Trace got = parse_trace(text, "w.trace", "");
  REQUIRE(got.records.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("record " << i << ": " << format_record(want[i]));
    CHECK(got.records[i] == want[i]);
  }
}
