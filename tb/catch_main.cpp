// The one Catch2 main shared by every test binary.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "common/quiet_systemc.h"

// SystemC prints a banner when its kernel starts; keep test output clean.
static const bool kQuietSystemC = (iommusim::silence_systemc_banner(), true);

// libsystemc refers to sc_main; tests drive the kernel with sc_start() from
// Catch2's main instead, so this is never called.
extern "C" int sc_main(int, char*[]) { return 1; }
