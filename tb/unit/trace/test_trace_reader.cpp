// Unit tests for the trace-v1 reader: syntax, values, relative times, errors.
#include <catch2/catch.hpp>

#include "temp_dir.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/error.h"
#include "trace/trace_reader.h"

using namespace iommusim;
namespace fs = std::filesystem;
using iommusim::test::TempDir;

namespace {


// Parses `body` after a header line, so the first record is on line 2.
Trace parse(const std::string& body, const std::string& base_dir = "") {
  return parse_trace("iommusim-trace 1\n" + body, "run.trace", base_dir);
}

TraceRecord one(const std::string& line) {
  Trace t = parse(line + "\n");
  REQUIRE(t.records.size() == 1);
  return t.records[0];
}

}  // namespace

TEST_CASE("trace: header, comments, blank lines and CRLF", "[unit]") {
  CHECK(parse_trace("iommusim-trace 1\n", "a.trace", "").records.empty());
  CHECK(parse_trace("iommusim-trace 1", "a.trace", "").records.empty());
  CHECK(parse_trace("\xEF\xBB\xBFiommusim-trace 1\n", "a.trace", "").records.empty());
  Trace t = parse_trace(
      "# generated\r\n\r\n  \t iommusim-trace 1 \t\r\n"
      "  # a comment\r\n"
      "\r\n"
      "10 host mem_r addr=0x1000 size=8\r\n"
      "\t\r\n"
      "20\thost  mem_w   addr=0x1000\tsize=1 data=0xff  \r\n",
      "a.trace", "");
  CHECK(t.path == "a.trace");
  REQUIRE(t.records.size() == 2);
  CHECK(t.records[0].seq == 0);
  CHECK(t.records[0].line == 6);
  CHECK(t.records[0].op == TraceOp::MemR);
  CHECK(t.records[1].seq == 1);
  CHECK(t.records[1].line == 8);
  CHECK(t.records[1].data == 0xff);
}

TEST_CASE("trace: host ops and their keys", "[unit]") {
  TraceRecord r = one("1500 host mmio_w addr=0xFED90000 size=8 data=0xDEADBEEFcafef00d");
  CHECK(r.time == 1500000);
  CHECK(r.host);
  CHECK(r.op == TraceOp::MmioW);
  CHECK(r.addr == 0xfed90000);
  CHECK(r.size == 8);
  CHECK(r.data == 0xdeadbeefcafef00dull);

  r = one("0 host mmio_r addr=0xfed90004 size=4");
  CHECK(r.op == TraceOp::MmioR);
  CHECK(r.addr == 0xfed90004);
  CHECK(r.size == 4);
  CHECK(r.data == 0);

  r = one("0 host mem_w addr=4097 size=3 data=0xffffff");
  CHECK(r.op == TraceOp::MemW);
  CHECK(r.addr == 4097);
  CHECK(r.size == 3);
  CHECK(r.data == 0xffffff);

  r = one("0 host mem_r addr=0X10 size=1");
  CHECK(r.op == TraceOp::MemR);
  CHECK(r.addr == 0x10);
  CHECK(r.size == 1);

  r = one("0 host map dev=0001:3A:00.1 iova=0x10000 pa=0x200000 size=8192 perm=rw");
  CHECK(r.op == TraceOp::Map);
  CHECK(r.dev == *parse_bdf("0001:3a:00.1"));
  CHECK(r.iova == 0x10000);
  CHECK(r.pa == 0x200000);
  CHECK(r.size == 8192);
  CHECK(r.perm == (kPermRead | kPermWrite));
  CHECK(one("0 host map dev=00:03.0 iova=0 pa=0 size=1 perm=r").perm == kPermRead);
  CHECK(one("0 host map dev=00:03.0 iova=0 pa=0 size=1 perm=w").perm == kPermWrite);

  r = one("0 host unmap dev=00:03.0 iova=0x10000 size=0x2000");
  CHECK(r.op == TraceOp::Unmap);
  CHECK(r.dev == *parse_bdf("00:03.0"));
  CHECK(r.iova == 0x10000);
  CHECK(r.size == 0x2000);
  CHECK(r.pa == 0);
  CHECK(r.perm == 0);
}

TEST_CASE("trace: load resolves the file relative to the trace", "[unit]") {
  TempDir dir;
  fs::create_directory(dir.path + "/img");
  dir.write("img/blob.bin", std::string(300, 'x'));
  std::string trace_path = dir.write("run.trace",
                                     "iommusim-trace 1\n"
                                     "0 host load addr=0x1000 file=img/blob.bin\n");
  Trace t = read_trace_file(trace_path);
  CHECK(t.path == trace_path);
  REQUIRE(t.records.size() == 1);
  const TraceRecord& r = t.records[0];
  CHECK(r.op == TraceOp::Load);
  CHECK(r.addr == 0x1000);
  CHECK(r.size == 300);
  CHECK(r.file == dir.path + "/img/blob.bin");
  CHECK(fs::exists(r.file));

  // An absolute path is kept; an empty file loads 0 bytes.
  std::string empty = dir.write("empty.bin", "");
  TraceRecord e = one("0 host load addr=0xffffffffffffffff file=" + empty);
  CHECK(e.file == empty);
  CHECK(e.size == 0);

  // parse_trace resolves against the base folder it is given.
  CHECK(parse("0 host load addr=0 file=img/blob.bin\n", dir.path).records[0].file ==
        dir.path + "/img/blob.bin");
}

TEST_CASE("trace: device ops and their optional keys", "[unit]") {
  TraceRecord r = one("5 3a:00.1 dma_r addr=0x1000 size=4096");
  CHECK_FALSE(r.host);
  CHECK(r.source == *parse_bdf("3a:00.1"));
  CHECK(r.op == TraceOp::DmaR);
  CHECK(r.addr == 0x1000);
  CHECK(r.size == 4096);
  CHECK_FALSE(r.has_pasid);
  CHECK_FALSE(r.priv);
  CHECK_FALSE(r.exec);
  CHECK_FALSE(r.translated);

  r = one("5 00:03.0 dma_w addr=0x2000 size=64 pasid=0xfffff priv=1 exec=1 at=translated");
  CHECK(r.op == TraceOp::DmaW);
  CHECK(r.has_pasid);
  CHECK(r.pasid == 0xfffff);
  CHECK(r.priv);
  CHECK(r.exec);
  CHECK(r.translated);

  r = one("5 00:03.0 dma_w addr=0x2000 size=64 at=untranslated pasid=0 priv=0 exec=0");
  CHECK(r.has_pasid);
  CHECK(r.pasid == 0);
  CHECK_FALSE(r.priv);
  CHECK_FALSE(r.exec);
  CHECK_FALSE(r.translated);

  r = one("5 00:03.0 msi addr=0xfee00ffc data=0x4021 pasid=7 priv=1");
  CHECK(r.op == TraceOp::Msi);
  CHECK(r.addr == 0xfee00ffc);
  CHECK(r.data == 0x4021);
  CHECK(r.size == 4);
  CHECK(r.pasid == 7);
  CHECK(r.priv);
  CHECK_FALSE(r.exec);
  CHECK(one("0 00:03.0 msi addr=0xfee00000 data=0xffffffff").data == 0xffffffff);
  CHECK(one("0 00:03.0 msi addr=0xFEEFFFFC data=0").addr == 0xfeeffffc);

  r = one("5 00:03.0 ats addr=0x7000 size=0x1000 pasid=3 exec=1 at=untranslated");
  CHECK(r.op == TraceOp::Ats);
  CHECK(r.size == 0x1000);
  CHECK(r.pasid == 3);
  CHECK(r.exec);

  CHECK(one("0 00:03.0 dma_r addr=0x1000 size=1 at=translated").translated);
}

TEST_CASE("trace: times, absolute and relative per source", "[unit]") {
  Trace t = parse(
      "+100 host mem_r addr=0 size=1\n"         // host first: 100 ns
      "12.5 00:03.0 dma_r addr=0 size=1\n"      // 12.5 ns
      "+0.625 00:03.0 dma_r addr=0 size=1\n"    // 13.125 ns
      "+1 0001:00:03.0 dma_r addr=0 size=1\n"   // other segment: its own first, 1 ns
      "+50 host mem_r addr=0 size=1\n"          // 150 ns
      "7 00:03.0 dma_r addr=0 size=1\n"         // absolute, earlier than before
      "+1.5000 00:03.0 dma_r addr=0 size=1\n"   // 8.5 ns, zeros past ps are fine
      "+0 0000:00:03.0 dma_r addr=0 size=1\n"   // same source as 00:03.0
      "0.001 host mem_r addr=0 size=1\n"
      "18446744073709551.615 host mem_r addr=0 size=1\n");
  REQUIRE(t.records.size() == 10);
  CHECK(t.records[0].time == 100000);
  CHECK(t.records[1].time == 12500);
  CHECK(t.records[2].time == 13125);
  CHECK(t.records[3].time == 1000);
  CHECK(t.records[3].source.segment == 1);
  CHECK(t.records[4].time == 150000);
  CHECK(t.records[5].time == 7000);
  CHECK(t.records[6].time == 8500);
  CHECK(t.records[7].time == 8500);
  CHECK(t.records[8].time == 1);
  CHECK(t.records[9].time == 18446744073709551615ull);
}

TEST_CASE("trace: numbers at the edges of 64 bits", "[unit]") {
  CHECK(one("0 host mem_r addr=18446744073709551615 size=1").addr == ~0ull);
  CHECK(one("0 host mem_r addr=0xFFFFFFFFFFFFFFFF size=1").addr == ~0ull);
  CHECK(one("0 host mem_r addr=0x00000000000000000001 size=1").addr == 1);
  CHECK(one("0 host mem_r addr=007 size=1").addr == 7);
  CHECK(one("0 host mem_w addr=0 size=8 data=0xffffffffffffffff").data == ~0ull);
  CHECK(one("0 00:03.0 dma_r addr=0xffffffffffffff00 size=0x100").size == 0x100);
}

TEST_CASE("trace: devices lists sources and map targets", "[unit]") {
  Trace t = parse(
      "0 host map dev=00:05.0 iova=0 pa=0 size=1 perm=r\n"
      "0 3a:00.1 dma_r addr=0 size=1\n"
      "0 00:03.0 dma_r addr=0 size=1\n"
      "0 host unmap dev=0001:00:01.0 iova=0 size=1\n"
      "0 00:03.0 ats addr=0 size=1\n"
      "0 host mem_r addr=0 size=1\n");
  std::vector<Bdf> want = {*parse_bdf("00:03.0"), *parse_bdf("00:05.0"), *parse_bdf("3a:00.1"),
                           *parse_bdf("0001:00:01.0")};
  CHECK(t.devices() == want);
}

TEST_CASE("trace: header errors", "[unit]") {
  REQUIRE_THROWS_AS(parse_trace("", "run.trace", ""), InputError);
  REQUIRE_THROWS_WITH(parse_trace("", "run.trace", ""),
                      "run.trace:1: expected header 'iommusim-trace 1'");
  REQUIRE_THROWS_WITH(parse_trace("# just a comment\n", "run.trace", ""),
                      "run.trace:2: expected header 'iommusim-trace 1'");
  REQUIRE_THROWS_WITH(parse_trace("\n0 host mem_r addr=0 size=1\n", "run.trace", ""),
                      "run.trace:2: expected header 'iommusim-trace 1'");
  REQUIRE_THROWS_WITH(parse_trace("iommusim-trace 2\n", "run.trace", ""),
                      "run.trace:1: expected header 'iommusim-trace 1'");
  REQUIRE_THROWS_WITH(parse_trace("iommusim-trace  1\n", "run.trace", ""),
                      "run.trace:1: expected header 'iommusim-trace 1'");
  REQUIRE_THROWS_WITH(parse_trace("IOMMUSIM-TRACE 1\n", "run.trace", ""),
                      "run.trace:1: expected header 'iommusim-trace 1'");
}

TEST_CASE("trace: time errors", "[unit]") {
  REQUIRE_THROWS_WITH(parse("0x10 host mem_r addr=0 size=1\n"),
                      "run.trace:2: bad time '0x10': hex is not allowed, times are decimal "
                      "nanoseconds");
  REQUIRE_THROWS_WITH(parse("+0x10 host mem_r addr=0 size=1\n"),
                      "run.trace:2: bad time '+0x10': hex is not allowed, times are decimal "
                      "nanoseconds");
  for (const char* bad : {"abc", "1.", ".5", "-1", "1e3", "+", "1.2.3", "++1", "1,5"})
    REQUIRE_THROWS_WITH(parse(std::string(bad) + " host mem_r addr=0 size=1\n"),
                        "run.trace:2: bad time '" + std::string(bad) +
                            "': expected decimal nanoseconds, e.g. 1500 or 12.5");
  REQUIRE_THROWS_WITH(parse("0.0001 host mem_r addr=0 size=1\n"),
                      "run.trace:2: time '0.0001' is below the 1 ps resolution");
  REQUIRE_THROWS_WITH(parse("+12.5005 host mem_r addr=0 size=1\n"),
                      "run.trace:2: time '+12.5005' is below the 1 ps resolution");
  REQUIRE_THROWS_WITH(parse("18446744073709551.616 host mem_r addr=0 size=1\n"),
                      "run.trace:2: time '18446744073709551.616' does not fit in 64-bit "
                      "picoseconds");
  REQUIRE_THROWS_WITH(parse("99999999999999999999999 host mem_r addr=0 size=1\n"),
                      "run.trace:2: time '99999999999999999999999' does not fit in 64-bit "
                      "picoseconds");
  REQUIRE_THROWS_WITH(parse("18446744073709551 host mem_r addr=0 size=1\n"
                            "+1 host mem_r addr=0 size=1\n"),
                      "run.trace:3: time '+1' does not fit in 64-bit picoseconds");
}

TEST_CASE("trace: line structure errors", "[unit]") {
  REQUIRE_THROWS_WITH(parse("10 host\n"),
                      "run.trace:2: expected '<time> <source> <op> [key=value ...]'");
  REQUIRE_THROWS_WITH(parse("10 host dma_x addr=0\n"), "run.trace:2: unknown op 'dma_x'");
  REQUIRE_THROWS_WITH(parse("10 host MEM_R addr=0 size=1\n"), "run.trace:2: unknown op 'MEM_R'");
  REQUIRE_THROWS_WITH(parse("10 cpu mem_r addr=0 size=1\n"),
                      "run.trace:2: unknown source 'cpu': expected 'host' or a BDF like 00:03.0");
  REQUIRE_THROWS_WITH(parse("10 00:20.0 dma_r addr=0 size=1\n"),
                      "run.trace:2: unknown source '00:20.0': expected 'host' or a BDF like "
                      "00:03.0");
  REQUIRE_THROWS_WITH(parse("10 00:03.0 mmio_w addr=0 size=4 data=0\n"),
                      "run.trace:2: mmio_w: host op from device source 00:03.0");
  REQUIRE_THROWS_WITH(parse("10 0001:3a:00.1 map dev=00:03.0 iova=0 pa=0 size=1 perm=r\n"),
                      "run.trace:2: map: host op from device source 0001:3a:00.1");
  REQUIRE_THROWS_WITH(parse("10 host dma_r addr=0 size=1\n"),
                      "run.trace:2: dma_r: device op from source host");
}

TEST_CASE("trace: key errors", "[unit]") {
  REQUIRE_THROWS_WITH(parse("0 host mem_r addr=0 size=1\n0 00:03.0 dma_r addr=0x1000\n"),
                      "run.trace:3: dma_r: missing required key 'size'");
  REQUIRE_THROWS_WITH(parse("0 host map dev=00:03.0 iova=0 pa=0 size=1\n"),
                      "run.trace:2: map: missing required key 'perm'");
  REQUIRE_THROWS_WITH(parse("0 host load addr=0\n"),
                      "run.trace:2: load: missing required key 'file'");
  REQUIRE_THROWS_WITH(parse("0 host mem_r addr=0 size=1 color=red\n"),
                      "run.trace:2: mem_r: unknown key 'color'");
  REQUIRE_THROWS_WITH(parse("0 host mem_r addr=0 size=1 data=0\n"),
                      "run.trace:2: mem_r: unknown key 'data'");
  REQUIRE_THROWS_WITH(parse("0 host mem_r addr=0 size=1 pasid=1\n"),
                      "run.trace:2: mem_r: unknown key 'pasid'");
  REQUIRE_THROWS_WITH(parse("0 00:03.0 msi addr=0xfee00000 data=0 size=4\n"),
                      "run.trace:2: msi: unknown key 'size'");
  REQUIRE_THROWS_WITH(parse("0 host mem_r addr=0 size=1 addr=4\n"),
                      "run.trace:2: mem_r: duplicate key 'addr'");
  REQUIRE_THROWS_WITH(parse("0 host mem_r addr=0 size=1 # comment\n"),
                      "run.trace:2: mem_r: expected key=value, got '#'");
  REQUIRE_THROWS_WITH(parse("0 host mem_r addr=0 size 1\n"),
                      "run.trace:2: mem_r: expected key=value, got 'size'");
  REQUIRE_THROWS_WITH(parse("0 host mem_r addr=0 =1\n"),
                      "run.trace:2: mem_r: expected key=value, got '=1'");
  REQUIRE_THROWS_WITH(parse("0 host mem_r addr= size=1\n"),
                      "run.trace:2: mem_r: empty value for key 'addr'");
}

TEST_CASE("trace: number errors", "[unit]") {
  REQUIRE_THROWS_WITH(parse("0 host mem_r addr=abc size=1\n"),
                      "run.trace:2: mem_r: bad number 'abc' for key 'addr'");
  for (const char* bad : {"12x", "0x", "0xg", "-1", "+1", "1.0", "0b1", "1_000", "0x-1"})
    REQUIRE_THROWS_WITH(parse("0 host mem_r addr=" + std::string(bad) + " size=1\n"),
                        "run.trace:2: mem_r: bad number '" + std::string(bad) +
                            "' for key 'addr'");
  REQUIRE_THROWS_WITH(parse("0 00:03.0 dma_r addr=0 size=4k\n"),
                      "run.trace:2: dma_r: bad number '4k' for key 'size'");
  REQUIRE_THROWS_WITH(parse("0 host mem_r addr=18446744073709551616 size=1\n"),
                      "run.trace:2: mem_r: number '18446744073709551616' for key 'addr' does "
                      "not fit in 64 bits");
  REQUIRE_THROWS_WITH(parse("0 host mem_r addr=0x10000000000000000 size=1\n"),
                      "run.trace:2: mem_r: number '0x10000000000000000' for key 'addr' does "
                      "not fit in 64 bits");
}

TEST_CASE("trace: host op value errors", "[unit]") {
  REQUIRE_THROWS_WITH(parse("0 host mmio_r addr=0 size=2\n"),
                      "run.trace:2: mmio_r: size must be 4 or 8, got 2");
  REQUIRE_THROWS_WITH(parse("0 host mmio_w addr=0x1004 size=8 data=0\n"),
                      "run.trace:2: mmio_w: addr 0x1004 is not aligned to size 8");
  REQUIRE_THROWS_WITH(parse("0 host mmio_r addr=0x1002 size=4\n"),
                      "run.trace:2: mmio_r: addr 0x1002 is not aligned to size 4");
  REQUIRE_THROWS_WITH(parse("0 host mmio_w addr=0 size=4 data=0x100000000\n"),
                      "run.trace:2: mmio_w: data 0x100000000 does not fit in 4 bytes");
  REQUIRE_THROWS_WITH(parse("0 host mem_r addr=0 size=0\n"),
                      "run.trace:2: mem_r: size must be 1..8, got 0");
  REQUIRE_THROWS_WITH(parse("0 host mem_w addr=0 size=9 data=0\n"),
                      "run.trace:2: mem_w: size must be 1..8, got 9");
  REQUIRE_THROWS_WITH(parse("0 host mem_w addr=0 size=1 data=0x100\n"),
                      "run.trace:2: mem_w: data 0x100 does not fit in 1 bytes");
  REQUIRE_THROWS_WITH(parse("0 host mem_r addr=0xffffffffffffffff size=2\n"),
                      "run.trace:2: mem_r: addr 0xffffffffffffffff + size 2 overflows the "
                      "64-bit address space");
  REQUIRE_THROWS_WITH(parse("0 host map dev=00:03.0 iova=0 pa=0 size=1 perm=x\n"),
                      "run.trace:2: map: perm must be r, w or rw, got 'x'");
  REQUIRE_THROWS_WITH(parse("0 host map dev=00:03.0 iova=0 pa=0 size=1 perm=wr\n"),
                      "run.trace:2: map: perm must be r, w or rw, got 'wr'");
  REQUIRE_THROWS_WITH(parse("0 host map dev=host iova=0 pa=0 size=1 perm=r\n"),
                      "run.trace:2: map: bad BDF 'host' for key 'dev'");
  REQUIRE_THROWS_WITH(parse("0 host map dev=00:03.0 iova=0 pa=0 size=0 perm=r\n"),
                      "run.trace:2: map: size must be at least 1");
  REQUIRE_THROWS_WITH(parse("0 host unmap dev=00:03.0 iova=0 size=0\n"),
                      "run.trace:2: unmap: size must be at least 1");
  REQUIRE_THROWS_WITH(parse("0 host map dev=00:03.0 iova=0xfffffffffffff000 pa=0 size=0x1001 "
                            "perm=r\n"),
                      "run.trace:2: map: iova 0xfffffffffffff000 + size 4097 overflows the "
                      "64-bit address space");
  REQUIRE_THROWS_WITH(parse("0 host map dev=00:03.0 iova=0 pa=0xfffffffffffff000 size=0x1001 "
                            "perm=r\n"),
                      "run.trace:2: map: pa 0xfffffffffffff000 + size 4097 overflows the "
                      "64-bit address space");
  REQUIRE_THROWS_WITH(parse("0 host unmap dev=00:03.0 iova=0xffffffffffffffff size=2\n"),
                      "run.trace:2: unmap: iova 0xffffffffffffffff + size 2 overflows the "
                      "64-bit address space");
}

TEST_CASE("trace: load errors", "[unit]") {
  TempDir dir;
  REQUIRE_THROWS_WITH(parse("0 host load addr=0 file=nope.bin\n", dir.path),
                      "run.trace:2: load: cannot open '" + dir.path +
                          "/nope.bin': No such file or directory");
  fs::create_directory(dir.path + "/sub");
  REQUIRE_THROWS_WITH(parse("0 host load addr=0 file=sub\n", dir.path),
                      "run.trace:2: load: '" + dir.path + "/sub' is not a regular file");
  dir.write("two.bin", "ab");
  REQUIRE_THROWS_WITH(parse("0 host load addr=0xffffffffffffffff file=two.bin\n", dir.path),
                      "run.trace:2: load: addr 0xffffffffffffffff + size 2 overflows the "
                      "64-bit address space");
}

TEST_CASE("trace: device op value errors", "[unit]") {
  REQUIRE_THROWS_WITH(parse("0 00:03.0 dma_r addr=0 size=0\n"),
                      "run.trace:2: dma_r: size must be at least 1");
  REQUIRE_THROWS_WITH(parse("0 00:03.0 ats addr=0 size=0\n"),
                      "run.trace:2: ats: size must be at least 1");
  REQUIRE_THROWS_WITH(parse("0 00:03.0 dma_w addr=0xffffffffffffff00 size=0x101\n"),
                      "run.trace:2: dma_w: addr 0xffffffffffffff00 + size 257 overflows the "
                      "64-bit address space");
  REQUIRE_THROWS_WITH(parse("0 00:03.0 msi addr=0xfedffffc data=0\n"),
                      "run.trace:2: msi: addr 0xfedffffc is outside the MSI window "
                      "0xfee00000-0xfeefffff");
  REQUIRE_THROWS_WITH(parse("0 00:03.0 msi addr=0xfef00000 data=0\n"),
                      "run.trace:2: msi: addr 0xfef00000 is outside the MSI window "
                      "0xfee00000-0xfeefffff");
  REQUIRE_THROWS_WITH(parse("0 00:03.0 msi addr=0xfee00002 data=0\n"),
                      "run.trace:2: msi: addr 0xfee00002 is not 4-byte aligned");
  REQUIRE_THROWS_WITH(parse("0 00:03.0 msi addr=0xfee00000 data=0x100000000\n"),
                      "run.trace:2: msi: data 0x100000000 does not fit in 32 bits");
  REQUIRE_THROWS_WITH(parse("0 00:03.0 dma_r addr=0 size=1 priv=1\n"),
                      "run.trace:2: dma_r: priv requires pasid");
  REQUIRE_THROWS_WITH(parse("0 00:03.0 ats addr=0 size=1 exec=0\n"),
                      "run.trace:2: ats: exec requires pasid");
  REQUIRE_THROWS_WITH(parse("0 00:03.0 dma_r addr=0 size=1 pasid=1 priv=2\n"),
                      "run.trace:2: dma_r: priv must be 0 or 1, got '2'");
  REQUIRE_THROWS_WITH(parse("0 00:03.0 dma_r addr=0 size=1 pasid=0x100000\n"),
                      "run.trace:2: dma_r: pasid 1048576 does not fit in 20 bits");
  REQUIRE_THROWS_WITH(parse("0 00:03.0 dma_r addr=0 size=1 at=yes\n"),
                      "run.trace:2: dma_r: at must be 'translated' or 'untranslated', got "
                      "'yes'");
}

TEST_CASE("trace: reading files", "[unit]") {
  TempDir dir;
  REQUIRE_THROWS_WITH(read_trace_file(dir.path + "/x.trace"),
                      dir.path + "/x.trace: cannot open: No such file or directory");
  REQUIRE_THROWS_WITH(read_trace_file(dir.path),
                      dir.path + ": cannot read: Is a directory");
  std::string p = dir.write("bad.trace", "iommusim-trace 1\n# c\n0 host mem_r addr=0\n");
  REQUIRE_THROWS_WITH(read_trace_file(p), p + ":3: mem_r: missing required key 'size'");
}
