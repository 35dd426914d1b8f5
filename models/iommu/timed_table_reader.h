// The walker's memory (TableReader) as the remapping unit sees it: every entry
// read is one TLM read (8 bytes for a paging entry, 16/32/64 bytes for root,
// context and PASID-table entries) through the unit's memory-side socket, issued when
// the previous read of the same walk has returned, so that a walk pays the
// memory controller's real latency and competes with DMA for its banks
// (docs/architecture.md, "The system, as data flows through it").
//
// `path_latency` (the unit's `memory_latency_ns`; 0 by default) is the round
// trip of each read across the uncore to the coherent memory system and back:
// a read issued at t reaches memory at t + path/2 (rounded down to the ps), and
// returns path - path/2 after memory answered it.
//
// The reads' payloads come from `pool` (the owner's, so that a walk allocates
// nothing), or without one from a pool of the reader's own.
#pragma once
#include <cstdint>

#include <systemc>
#include <tlm>

#include "common/payload_pool.h"
#include "common/sc_time_conv.h"
#include "common/types.h"
#include "iommu/table_reader.h"

namespace iommusim {

template <class Socket>
class TimedTableReader : public TableReader {
 public:
  // Reads start no earlier than `start` (absolute simulated time).
  TimedTableReader(Socket& sock, Tick start, Tick path_latency = 0, PayloadPool* pool = nullptr)
      : sock_(sock),
        pool_(pool ? *pool : own_pool_),
        time_(start),
        to_memory_(path_latency / 2),
        from_memory_(path_latency - path_latency / 2) {}

  std::uint64_t read_qword(Addr pa) override {
    std::uint64_t v = 0;
    try_read_qword(pa, v);
    return v;
  }

  // A read the memory refuses (beyond memory) fails, and the walker reports
  // the access-error fault of the structure it was reading.
  bool try_read_qword(Addr pa, std::uint64_t& value) override { return try_read_entry(pa, &value, 1); }

  // One memory read for the whole entry (16, 32 or 64 bytes: one burst).
  bool try_read_entry(Addr pa, std::uint64_t* q, unsigned n) override {
    unsigned char buf[64] = {};
    const unsigned bytes = 8 * n;
    const PayloadPool::Handle payload = pool_.acquire();
    tlm::tlm_generic_payload& t = *payload;
    t.set_command(tlm::TLM_READ_COMMAND);
    t.set_address(pa);
    t.set_data_ptr(buf);
    t.set_data_length(bytes);
    t.set_streaming_width(bytes);
    t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    const Tick now = now_tick();
    sc_core::sc_time delay = to_sc_time((time_ > now ? time_ - now : 0) + to_memory_);
    sock_->b_transport(t, delay);
    time_ = now + to_tick(delay) + from_memory_;
    ++reads_;
    for (unsigned i = 0; i < n; ++i) q[i] = 0;
    if (!t.is_response_ok()) {
      ++errors_;
      return false;
    }
    for (unsigned i = 0; i < n; ++i)
      for (int b = 7; b >= 0; --b) q[i] = (q[i] << 8) | buf[8 * i + b];
    return true;
  }

  // The next read starts no earlier than `t` (a clocked walker's edge).
  void wait_until(Tick t) {
    if (t > time_) time_ = t;
  }

  Tick time() const { return time_; }
  unsigned reads() const { return reads_; }
  unsigned errors() const { return errors_; }

 private:
  Socket& sock_;
  PayloadPool own_pool_;  // used without an owner's pool
  PayloadPool& pool_;
  Tick time_;
  Tick to_memory_, from_memory_;  // the read's path to memory and back
  unsigned reads_ = 0;
  unsigned errors_ = 0;
};

}  // namespace iommusim
