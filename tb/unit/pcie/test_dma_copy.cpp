// Unit tests for the endpoint's DMA data mover (`copy_bytes_per_cycle`,
// docs/models/pcie.md "Data mover"): the copy time of one DMA and the
// configuration key. The engine's use of it (read done after the copy, write
// TLPs after it, throughput with many DMAs in flight) is timed through TLM in
// tb/system/test_models_tlm.cpp ("[copy]"), since it needs a SystemC run.
#include <catch2/catch.hpp>

#include "common/config.h"
#include "common/error.h"
#include "common/types.h"
#include "pcie/endpoint.h"

using namespace iommusim;

TEST_CASE("dma copy: size / bytes-per-cycle cycles of the endpoint period, rounded once to the ps",
          "[unit][pcie][copy]") {
  // 250 MHz: 4000 ps a cycle.
  CHECK(dma_copy_time(64, 4, 4000) == 64'000);           // 16 cycles exactly
  CHECK(dma_copy_time(64, 3, 4000) == 85'333);           // 21.33 cycles = 85333.33 ps, down
  CHECK(dma_copy_time(2048, 3, 4000) == 2'730'667);      // 682.67 cycles = 2730666.67 ps, up
  CHECK(dma_copy_time(2048, 0.5, 4000) == 16'384'000);   // a fraction of a byte a cycle
  // 1200 MHz (pcie-bench's NFP6000): period_from_mhz gives 833 ps, and the
  // copy uses that period, as issue_cycles does.
  REQUIRE(period_from_mhz(1200) == 833);
  CHECK(dma_copy_time(64, 2.5, period_from_mhz(1200)) == 21'325);  // 25.6 x 833 = 21324.8
  // Halves round away from zero (std::llround), once per DMA.
  CHECK(dma_copy_time(1, 2, 1) == 1);  // 0.5 ps
  CHECK(dma_copy_time(3, 2, 1) == 2);  // 1.5 ps
  CHECK(dma_copy_time(5, 2, 1) == 3);  // 2.5 ps
  // Off, and nothing to copy.
  CHECK(dma_copy_time(2048, 0, 4000) == 0);
  CHECK(dma_copy_time(0, 3, 4000) == 0);
  // Absurd sizes saturate instead of overflowing.
  CHECK(dma_copy_time(~std::uint64_t{0}, 0.001, 1'000'000) == Tick(1) << 62);
}

TEST_CASE("dma copy: the copy_bytes_per_cycle key", "[unit][pcie][copy]") {
  SECTION("default 0 (off), written back") {
    Config cfg = Config::from_string("ep: {name: ep0, bdf: '00:03.0'}", "t.yaml");
    const EndpointParams ep = EndpointParams::from_config(cfg.root().child("ep"));
    CHECK(ep.copy_bytes_per_cycle == 0);
    CHECK(cfg.root().child("ep").real("copy_bytes_per_cycle", 99, 0, 1e9) == 0);
  }
  SECTION("real and integer values") {
    Config a = Config::from_string("ep: {name: ep0, bdf: '00:03.0', copy_bytes_per_cycle: 3.25}", "t.yaml");
    CHECK(EndpointParams::from_config(a.root().child("ep")).copy_bytes_per_cycle == 3.25);
    Config b = Config::from_string("ep: {name: ep0, bdf: '00:03.0', copy_bytes_per_cycle: 4096}", "t.yaml");
    CHECK(EndpointParams::from_config(b.root().child("ep")).copy_bytes_per_cycle == 4096);
  }
  SECTION("out of range names the key") {
    for (const char* bad : {"-1", "4097", "fast"}) {
      Config c = Config::from_string(std::string("ep: {name: ep0, bdf: '00:03.0', copy_bytes_per_cycle: ") + bad + "}",
                                     "t.yaml");
      CHECK_THROWS_WITH(EndpointParams::from_config(c.root().child("ep")), Catch::Contains("ep.copy_bytes_per_cycle"));
    }
  }
}
