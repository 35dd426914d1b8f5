// Reusable TLM generic payloads for a model's own transactions. A
// tlm_generic_payload allocates its extension array when it is constructed
// and frees it when it is destroyed, so a payload on the stack costs a
// malloc and a free per transaction. A pool keeps the payloads it has made
// on a free list instead: acquire() hands out one that is not in use (a new
// one only when all are, so the pool grows to the most payloads in flight at
// once and then allocates nothing), and the handle returns it when it goes
// out of scope.
//
// A handed-out payload is in the state a newly constructed one is in
// (command IGNORE, address 0, no data or byte enables, lengths and streaming
// width 0, response INCOMPLETE, DMI hint false, minimal gp option, no
// extension set, no memory manager), so code written for a payload on the
// stack behaves the same with one from the pool. On release the pool frees
// any extension still set, as the payload's destructor would have done at
// the end of the scope, and resets the fields.
//
// Safe across wait(): a payload is off the free list from acquire() until its
// handle releases it, so a b_transport that holds one and waits cannot have it
// handed to another process of the same module in the meantime. (SystemC runs
// its processes on one OS thread: the pool needs no lock.)
#pragma once
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include <tlm>

namespace iommusim {

class PayloadPool {
 public:
  // Owns one payload of the pool until it is destroyed, reset() or moved from.
  class Handle {
   public:
    Handle() = default;
    Handle(Handle&& o) noexcept : pool_(o.pool_), p_(o.p_) { o.p_ = nullptr; }
    Handle& operator=(Handle&& o) noexcept {
      if (this != &o) {
        reset();
        pool_ = o.pool_;
        p_ = o.p_;
        o.p_ = nullptr;
      }
      return *this;
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() { reset(); }

    tlm::tlm_generic_payload& operator*() const { return *p_; }
    tlm::tlm_generic_payload* operator->() const { return p_; }
    tlm::tlm_generic_payload* get() const { return p_; }
    explicit operator bool() const { return p_ != nullptr; }

    // Returns the payload to the pool now.
    void reset() {
      if (p_) {
        pool_->release(p_);
        p_ = nullptr;
      }
    }

   private:
    friend class PayloadPool;
    Handle(PayloadPool* pool, tlm::tlm_generic_payload* p) : pool_(pool), p_(p) {}
    PayloadPool* pool_ = nullptr;
    tlm::tlm_generic_payload* p_ = nullptr;
  };

  PayloadPool() = default;
  PayloadPool(const PayloadPool&) = delete;
  PayloadPool& operator=(const PayloadPool&) = delete;

  Handle acquire() {
    if (free_.empty()) {
      all_.push_back(std::make_unique<tlm::tlm_generic_payload>());
      free_.reserve(all_.size());  // so that release() never allocates
      return Handle(this, all_.back().get());
    }
    tlm::tlm_generic_payload* p = free_.back();
    free_.pop_back();
    return Handle(this, p);
  }

  std::size_t created() const { return all_.size(); }               // payloads made so far
  std::size_t in_use() const { return all_.size() - free_.size(); }  // handed out, not yet returned

  // Puts `p` in the state of a newly constructed payload (without a memory
  // manager), freeing the extensions still set as its destructor would.
  static void clear(tlm::tlm_generic_payload& p) {
    p.free_all_extensions();
    p.set_command(tlm::TLM_IGNORE_COMMAND);
    p.set_address(0);
    p.set_data_ptr(nullptr);
    p.set_data_length(0);
    p.set_byte_enable_ptr(nullptr);
    p.set_byte_enable_length(0);
    p.set_streaming_width(0);
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    p.set_dmi_allowed(false);
    p.set_gp_option(tlm::TLM_MIN_PAYLOAD);
  }

 private:
  void release(tlm::tlm_generic_payload* p) {
    clear(*p);
    free_.push_back(p);  // within the capacity reserved in acquire()
  }

  std::vector<std::unique_ptr<tlm::tlm_generic_payload>> all_;
  std::vector<tlm::tlm_generic_payload*> free_;
};

}  // namespace iommusim
