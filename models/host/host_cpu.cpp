#include "host/host_cpu.h"

#include <fstream>
#include <iterator>

#include "common/sc_time_conv.h"

namespace iommusim {

HostCpu::HostCpu(sc_core::sc_module_name name, StatsRegistry& stats, Progress& progress, TxnLog* txn_log)
    : sc_module(name),
      mmio("mmio"),
      mem("mem"),
      progress_(progress),
      txn_log_(txn_log),
      mmio_reads_(stats.counter(std::string(this->name()) + ".mmio_reads", "Register reads")),
      mmio_writes_(stats.counter(std::string(this->name()) + ".mmio_writes", "Register writes")),
      mem_reads_(stats.counter(std::string(this->name()) + ".mem_reads", "CPU loads from memory")),
      mem_writes_(stats.counter(std::string(this->name()) + ".mem_writes", "CPU stores to memory")),
      loads_(stats.counter(std::string(this->name()) + ".loads", "Files copied into memory")),
      errors_(stats.counter(std::string(this->name()) + ".errors", "Accesses that completed with an error")) {
  SC_THREAD(run);
}

Tick HostCpu::access(const TraceRecord& r, TxnLogRow& row) {
  const bool write = r.op == TraceOp::MmioW || r.op == TraceOp::MemW;
  const bool is_mmio = r.op == TraceOp::MmioW || r.op == TraceOp::MmioR;
  unsigned char buf[8] = {};
  for (unsigned i = 0; i < r.size; ++i) buf[i] = static_cast<unsigned char>(r.data >> (8 * i));

  tlm::tlm_generic_payload trans;
  trans.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  trans.set_address(r.addr);
  trans.set_data_ptr(buf);
  trans.set_data_length(static_cast<unsigned>(r.size));
  trans.set_streaming_width(static_cast<unsigned>(r.size));
  trans.set_byte_enable_ptr(nullptr);
  trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  (is_mmio ? mmio : mem)->b_transport(trans, delay);
  ++(is_mmio ? (write ? mmio_writes_ : mmio_reads_) : (write ? mem_writes_ : mem_reads_));

  if (trans.is_response_ok()) {
    row.status = TxnStatus::Ok;
    if (!write) {
      std::uint64_t v = 0;
      for (unsigned i = 0; i < r.size; ++i) v |= std::uint64_t(buf[i]) << (8 * i);
      row.data = v;
    }
  } else {
    row.status = TxnStatus::Error;
    ++errors_;
  }
  return now_tick() + to_tick(delay);
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
  LocalClock clock(0);  // the CPU waits for each access: always synchronous
  for (const TraceRecord& r : records_) {
    clock.advance_to(r.time);
    TxnLogRow row;
    row.seq = r.seq;
    row.issue = now_tick();
    row.source = "host";
    row.op = r.op;
    row.addr = r.addr;
    row.size = r.size;
    row.done = r.op == TraceOp::Load ? load(r, row) : access(r, row);
    clock.advance_to(row.done);
    progress_.transaction_done();
    if (txn_log_) txn_log_->add(std::move(row));
  }
}

}  // namespace iommusim
