#include "host/host_cpu.h"

#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "common/sc_time_conv.h"
#include "common/stats_group.h"

namespace iommusim {

HostCpu::HostCpu(sc_core::sc_module_name name, StatsRegistry& stats, Progress& progress, TxnLog* txn_log,
                 const HostDriverSetup* driver)
    : sc_module(name),
      mmio("mmio"),
      mem("mem"),
      progress_(progress),
      txn_log_(txn_log),
      stats_group_(stats, this->name()),
      mmio_reads_(stats_group_.counter("mmio_reads", "Register reads")),
      mmio_writes_(stats_group_.counter("mmio_writes", "Register writes")),
      mem_reads_(stats_group_.counter("mem_reads", "CPU loads from memory")),
      mem_writes_(stats_group_.counter("mem_writes", "CPU stores to memory")),
      loads_(stats_group_.counter("loads", "Files copied into memory")),
      errors_(stats_group_.counter("errors", "Accesses that completed with an error")),
      driver_errors_(stats_group_.counter("driver_errors",
                                   "Trace map/unmap records the driver refused")) {
  if (driver) driver_ = std::make_unique<HostDriver>("driver", *driver, *this, run_error_, stats);
  SC_THREAD(run);
}

Tick HostCpu::transport(bool is_mmio, bool write, Addr addr, unsigned size, uint64_t& data, bool& ok) {
  unsigned char buf[8] = {};
  for (unsigned i = 0; i < size; ++i) buf[i] = static_cast<unsigned char>(data >> (8 * i));
  const PayloadPool::Handle payload = payloads_.acquire();
  tlm::tlm_generic_payload& trans = *payload;
  trans.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  trans.set_address(addr);
  trans.set_data_ptr(buf);
  trans.set_data_length(size);
  trans.set_streaming_width(size);
  trans.set_byte_enable_ptr(nullptr);
  trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  (is_mmio ? mmio : mem)->b_transport(trans, delay);
  ++(is_mmio ? (write ? mmio_writes_ : mmio_reads_) : (write ? mem_writes_ : mem_reads_));
  ok = trans.is_response_ok();
  if (!ok) ++errors_;
  if (ok && !write) {
    data = 0;
    for (unsigned i = 0; i < size; ++i) data |= std::uint64_t(buf[i]) << (8 * i);
  }
  return now_tick() + to_tick(delay);
}

bool HostCpu::blocking(bool is_mmio, bool write, Addr addr, unsigned size, uint64_t& data) {
  bool ok = false;
  const Tick done = transport(is_mmio, write, addr, size, data, ok);
  if (done > now_tick()) sc_core::wait(to_sc_time(done - now_tick()));
  return ok;
}

bool HostCpu::mmio_read(Addr addr, unsigned size, uint64_t& value) { return blocking(true, false, addr, size, value); }
bool HostCpu::mmio_write(Addr addr, unsigned size, uint64_t value) { return blocking(true, true, addr, size, value); }
bool HostCpu::mem_read(Addr addr, unsigned size, uint64_t& value) { return blocking(false, false, addr, size, value); }
bool HostCpu::mem_write(Addr addr, unsigned size, uint64_t value) { return blocking(false, true, addr, size, value); }
void HostCpu::compute(Tick t) {
  if (t) sc_core::wait(to_sc_time(t));
}

Tick HostCpu::driver_op(const TraceRecord& r, TxnLogRow& row) {
  std::string why;
  const bool ok = r.op == TraceOp::Map ? driver_->trace_map(r, why) : driver_->trace_unmap(r, why);
  row.addr = r.iova;
  row.status = ok ? TxnStatus::Ok : TxnStatus::Error;
  if (!ok) {
    ++driver_errors_;
    SC_REPORT_WARNING("/host/driver", fmt::format("line {}: {}: {}", r.line, op_name(r.op), why).c_str());
  }
  return now_tick();
}

Tick HostCpu::access(const TraceRecord& r, TxnLogRow& row) {
  const bool write = r.op == TraceOp::MmioW || r.op == TraceOp::MemW;
  const bool is_mmio = r.op == TraceOp::MmioW || r.op == TraceOp::MmioR;
  std::uint64_t data = r.data;
  bool ok = false;
  const Tick done = transport(is_mmio, write, r.addr, static_cast<unsigned>(r.size), data, ok);
  row.status = ok ? TxnStatus::Ok : TxnStatus::Error;
  if (ok && !write) row.data = data;
  return done;
}

Tick HostCpu::load(const TraceRecord& r, TxnLogRow& row) {
  // The trace reader checked the file; if it vanished since, the load fails.
  std::ifstream in(r.file, std::ios::binary);
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in || bytes.size() != r.size) {
    row.status = TxnStatus::Error;
    ++errors_;
    return now_tick();
  }
  tlm::tlm_generic_payload trans;
  trans.set_command(tlm::TLM_WRITE_COMMAND);
  trans.set_address(r.addr);
  trans.set_data_ptr(bytes.data());
  trans.set_data_length(static_cast<unsigned>(bytes.size()));
  trans.set_streaming_width(static_cast<unsigned>(bytes.size()));
  trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  const unsigned n = bytes.empty() ? 0 : mem->transport_dbg(trans);  // an empty file loads nothing
  ++loads_;
  row.status = n == bytes.size() ? TxnStatus::Ok : TxnStatus::Error;
  if (row.status == TxnStatus::Error) ++errors_;
  return now_tick();
}

void HostCpu::run() {
  try {
    Tick origin = 0;
    if (driver_) {
      driver_->bring_up();
      origin = driver_->ready().opened_at();
    }
    perform_records(origin);
  } catch (...) {
    run_error_.fail(std::current_exception());
  }
}

void HostCpu::perform_records(Tick origin) {
  LocalClock clock(0);  // the CPU waits for each access: always synchronous
  for (const TraceRecord& r : records_) {
    clock.advance_to(origin + r.time);
    TxnLogRow row;
    row.seq = r.seq;
    row.issue = now_tick();
    row.source = "host";
    row.op = r.op;
    row.addr = r.addr;
    row.size = r.size;
    row.done = r.op == TraceOp::Load                            ? load(r, row)
               : (r.op == TraceOp::Map || r.op == TraceOp::Unmap) ? driver_op(r, row)
                                                                 : access(r, row);
    clock.advance_to(row.done);
    progress_.transaction_done();
    if (txn_log_) txn_log_->add(std::move(row));
  }
}

}  // namespace iommusim
