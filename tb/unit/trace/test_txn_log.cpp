// Unit tests for the per-transaction CSV log.
#include <catch2/catch.hpp>

#include "temp_dir.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/error.h"
#include "trace/txn_log.h"

using namespace iommusim;
namespace fs = std::filesystem;
using iommusim::test::TempDir;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TxnLogRow row(uint64_t seq, Tick done) {
  TxnLogRow r;
  r.seq = seq;
  r.issue = 1000;
  r.done = done;
  r.source = "host";
  r.op = TraceOp::MemR;
  r.addr = 0x10;
  r.size = 8;
  return r;
}

}  // namespace

TEST_CASE("txnlog: header and row text", "[unit]") {
  CHECK(TxnLog::header() ==
        "seq,issue_ns,done_ns,source,op,addr,size,pasid,status,pa,data,fault_reason,vector,dest");

  TxnLogRow r = row(0, 12500);
  r.data = 0xDEADBEEF;
  CHECK(TxnLog::format_row(r) == "0,1,12.5,host,mem_r,0x10,8,,ok,,0xdeadbeef,,,");

  TxnLogRow d;
  d.seq = 7;
  d.issue = 625;
  d.done = 1500000;
  d.source = "0001:3a:00.1";
  d.op = TraceOp::DmaW;
  d.addr = 0xABC000;
  d.size = 4096;
  d.pasid = 5;
  d.status = TxnStatus::Fault;
  d.fault_reason = 0x5;
  CHECK(TxnLog::format_row(d) == "7,0.625,1500,0001:3a:00.1,dma_w,0xabc000,4096,5,fault,,,0x5,,");

  d.status = TxnStatus::Ok;
  d.fault_reason.reset();
  d.pa = 0x1234000;
  d.pasid.reset();
  CHECK(TxnLog::format_row(d) == "7,0.625,1500,0001:3a:00.1,dma_w,0xabc000,4096,,ok,0x1234000,,,,");

  TxnLogRow m;
  m.seq = 3;
  m.issue = 0;
  m.done = 1;
  m.source = "00:03.0";
  m.op = TraceOp::Msi;
  m.addr = 0xfee00000;
  m.size = 4;
  m.pa = 0xfee00000;
  m.vector = 33;
  m.dest = 255;
  CHECK(TxnLog::format_row(m) == "3,0,0.001,00:03.0,msi,0xfee00000,4,,ok,0xfee00000,,,33,255");

  m.status = TxnStatus::Error;
  m.pa.reset();
  m.vector.reset();
  m.dest.reset();
  m.addr = 0;
  CHECK(TxnLog::format_row(m) == "3,0,0.001,00:03.0,msi,0x0,4,,error,,,,,");

  TxnLogRow big = row(1, 2000);
  big.fault_reason = 0xff;
  big.data = ~0ull;
  big.pasid = 0xfffff;
  big.vector = 0xffffffff;
  CHECK(TxnLog::format_row(big) ==
        "1,1,2,host,mem_r,0x10,8,1048575,ok,,0xffffffffffffffff,0xff,4294967295,");
}

TEST_CASE("txnlog: finish writes rows sorted by done then seq", "[unit]") {
  TempDir dir;
  std::string path = dir.path + "/txn.csv";
  TxnLog log(path);
  log.add(row(3, 5000));
  log.add(row(0, 9000));
  log.add(row(2, 5000));
  log.add(row(1, 1000));
  CHECK(log.rows() == 4);
  CHECK_FALSE(fs::exists(path));
  log.finish();
  CHECK(slurp(path) ==
        "seq,issue_ns,done_ns,source,op,addr,size,pasid,status,pa,data,fault_reason,vector,dest\n"
        "1,1,1,host,mem_r,0x10,8,,ok,,,,,\n"
        "2,1,5,host,mem_r,0x10,8,,ok,,,,,\n"
        "3,1,5,host,mem_r,0x10,8,,ok,,,,,\n"
        "0,1,9,host,mem_r,0x10,8,,ok,,,,,\n");
  CHECK_FALSE(fs::exists(path + ".tmp"));
}

TEST_CASE("txnlog: an empty log has only the header", "[unit]") {
  TempDir dir;
  std::string path = dir.path + "/txn.csv";
  TxnLog log(path);
  log.finish();
  CHECK(log.rows() == 0);
  CHECK(slurp(path) == TxnLog::header() + "\n");
}

TEST_CASE("txnlog: no file without finish", "[unit]") {
  TempDir dir;
  std::string path = dir.path + "/txn.csv";
  {
    TxnLog log(path);
    log.add(row(0, 1000));
    // A leftover temporary from an interrupted finish is cleaned up too.
    std::ofstream(path + ".tmp") << "partial";
  }
  CHECK_FALSE(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".tmp"));
}

TEST_CASE("txnlog: unwritable path names the file", "[unit]") {
  TempDir dir;
  std::string path = dir.path + "/missing/txn.csv";
  TxnLog log(path);
  log.add(row(0, 1000));
  REQUIRE_THROWS_AS(log.finish(), InputError);
  REQUIRE_THROWS_WITH(log.finish(), path + ": cannot write: No such file or directory");
  CHECK_FALSE(fs::exists(path));

  // Renaming onto a directory fails and leaves no temporary behind.
  std::string onto_dir = dir.path + "/adir";
  fs::create_directory(onto_dir);
  TxnLog log2(onto_dir);
  REQUIRE_THROWS_WITH(log2.finish(), onto_dir + ": cannot rename into place: Is a directory");
  CHECK_FALSE(fs::exists(onto_dir + ".tmp"));
}
