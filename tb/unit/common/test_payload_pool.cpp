#include <catch2/catch.hpp>

#include <utility>

#include <tlm>

#include "common/payload_pool.h"

using iommusim::PayloadPool;

namespace {

// Counts its destructions (an extension left set on release is freed).
struct CountedExt : tlm::tlm_extension<CountedExt> {
  explicit CountedExt(int* deleted) : deleted_(deleted) {}
  ~CountedExt() override { ++*deleted_; }
  tlm::tlm_extension_base* clone() const override { return new CountedExt(deleted_); }
  void copy_from(const tlm::tlm_extension_base&) override {}
  int* deleted_;
};

// The state of a newly constructed payload.
void check_fresh(const tlm::tlm_generic_payload& p) {
  CHECK(p.get_command() == tlm::TLM_IGNORE_COMMAND);
  CHECK(p.get_address() == 0);
  CHECK(p.get_data_ptr() == nullptr);
  CHECK(p.get_data_length() == 0);
  CHECK(p.get_byte_enable_ptr() == nullptr);
  CHECK(p.get_byte_enable_length() == 0);
  CHECK(p.get_streaming_width() == 0);
  CHECK(p.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE);
  CHECK(p.is_dmi_allowed() == false);
  CHECK(p.get_gp_option() == tlm::TLM_MIN_PAYLOAD);
  CHECK(p.get_extension<CountedExt>() == nullptr);
  CHECK(p.has_mm() == false);
}

void dirty(tlm::tlm_generic_payload& p, unsigned char* data, unsigned char* be) {
  p.set_command(tlm::TLM_WRITE_COMMAND);
  p.set_address(0x1234);
  p.set_data_ptr(data);
  p.set_data_length(8);
  p.set_byte_enable_ptr(be);
  p.set_byte_enable_length(8);
  p.set_streaming_width(4);
  p.set_response_status(tlm::TLM_OK_RESPONSE);
  p.set_dmi_allowed(true);
  p.set_gp_option(tlm::TLM_FULL_PAYLOAD);
}

}  // namespace

TEST_CASE("payload pool: a handed-out payload is in the constructed state", "[unit]") {
  PayloadPool pool;
  CHECK(pool.created() == 0);
  CHECK(pool.in_use() == 0);
  PayloadPool::Handle h = pool.acquire();
  REQUIRE(h);
  check_fresh(*h);
  CHECK(pool.created() == 1);
  CHECK(pool.in_use() == 1);
}

TEST_CASE("payload pool: a released payload is reused, reset", "[unit]") {
  PayloadPool pool;
  unsigned char data[8] = {}, be[8] = {};
  tlm::tlm_generic_payload* first = nullptr;
  {
    PayloadPool::Handle h = pool.acquire();
    first = h.get();
    dirty(*h, data, be);
  }
  CHECK(pool.in_use() == 0);
  PayloadPool::Handle h = pool.acquire();
  CHECK(h.get() == first);
  check_fresh(*h);
  CHECK(pool.created() == 1);
}

TEST_CASE("payload pool: payloads in use are never handed out again", "[unit]") {
  PayloadPool pool;
  PayloadPool::Handle a = pool.acquire();
  PayloadPool::Handle b = pool.acquire();  // e.g. another process while a's b_transport waits
  PayloadPool::Handle c = pool.acquire();
  CHECK(a.get() != b.get());
  CHECK(a.get() != c.get());
  CHECK(b.get() != c.get());
  CHECK(pool.created() == 3);
  CHECK(pool.in_use() == 3);
  tlm::tlm_generic_payload* pb = b.get();
  b.reset();
  CHECK(!b);
  CHECK(pool.in_use() == 2);
  PayloadPool::Handle d = pool.acquire();
  CHECK(d.get() == pb);
  CHECK(pool.created() == 3);
}

TEST_CASE("payload pool: steady state makes no new payloads", "[unit]") {
  PayloadPool pool;
  for (int i = 0; i < 1000; ++i) {
    PayloadPool::Handle a = pool.acquire();
    PayloadPool::Handle b = pool.acquire();
    a->set_address(static_cast<std::uint64_t>(i));
  }
  CHECK(pool.created() == 2);
  CHECK(pool.in_use() == 0);
}

TEST_CASE("payload pool: extensions are cleared on release, a cleared one is not freed", "[unit]") {
  PayloadPool pool;
  int deleted = 0;
  CountedExt on_stack(&deleted);
  {
    PayloadPool::Handle h = pool.acquire();
    h->set_extension(&on_stack);
    CHECK(h->get_extension<CountedExt>() == &on_stack);
    h->clear_extension(&on_stack);  // as the models do before the scope ends
  }
  CHECK(deleted == 0);
  {
    // One left set is freed, as the payload's destructor would free it.
    PayloadPool::Handle h = pool.acquire();
    h->set_extension(new CountedExt(&deleted));
  }
  CHECK(deleted == 1);
  PayloadPool::Handle h = pool.acquire();
  CHECK(h->get_extension<CountedExt>() == nullptr);
}

TEST_CASE("payload pool: handles move", "[unit]") {
  PayloadPool pool;
  PayloadPool::Handle a = pool.acquire();
  tlm::tlm_generic_payload* p = a.get();
  PayloadPool::Handle b = std::move(a);
  CHECK(!a);
  CHECK(b.get() == p);
  CHECK(pool.in_use() == 1);
  PayloadPool::Handle c = pool.acquire();
  c = std::move(b);  // c's own payload goes back to the pool
  CHECK(c.get() == p);
  CHECK(pool.in_use() == 1);
  c.reset();
  CHECK(pool.in_use() == 0);
}
