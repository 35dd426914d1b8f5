// Configuration of the OS driver model (`host.driver` in an experiment's
// YAML; absent: no driver, and only a trace's raw host ops program the
// remapping units). Defaults follow a Linux kernel with intel_iommu=on
// (DMA domains, iommu.strict=0, flush queue of 256 entries and 10 ms).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/types.h"
#include "host/dma_api.h"

namespace iommusim {

enum class DriverMode : uint8_t { Legacy, Scalable };

// One fixed mapping of an unmanaged domain (VFIO_IOMMU_MAP_DMA).
struct FixedMap {
  Addr iova = 0;
  Addr pa = 0;
  uint64_t size = 0;
  DmaPerm perm;
};

// How one endpoint is set up (`host.driver.devices[]`). Endpoints not listed
// get the default domain.
struct DriverDevice {
  std::string device;            // endpoint name
  DomainType domain = DomainType::Dma;
  std::string domain_name;       // devices with the same name share one domain ("" = own)
  uint64_t dma_mask = kDmaMask64;
  std::vector<FixedMap> maps;    // unmanaged domains
};

// A device moved to another domain while the run goes on (a driver
// unbinding it, VFIO taking it over): `host.driver.events[]`.
struct DriverEvent {
  Tick at_ps = 0;             // from the end of bring-up
  std::string device;         // endpoint name
  DomainType domain = DomainType::Blocked;
  std::string domain_name;    // join (or create) this shared domain ("" = a new one)
};

struct HostDriverParams {
  // intel_iommu=off: false leaves every unit disabled (no bring-up, TE = 0)
  // and the DMA API is dma-direct (a DMA address is the physical address).
  bool enabled = true;
  DriverMode mode = DriverMode::Legacy;
  DomainType default_domain = DomainType::Dma;  // identity = iommu=pt
  bool strict = false;                          // iommu.strict
  std::size_t fq_entries = 256;
  Tick fq_timeout_ps = 10ull * 1000 * 1000 * kPsPerNs;
  bool fq_global_flush = false;
  bool superpages = true;        // intel_iommu=sp_off turns them off
  bool forcedac = false;
  bool interrupt_remapping = true;  // where the unit supports it (ECAP.IR)
  bool x2apic = false;           // IRTA.EIME (needs ECAP.EIM)
  double map_cpu_ns = 0, unmap_cpu_ns = 0, inv_wait_cpu_ns = 0;
  unsigned queue_qs = 0;         // IQA.QS: 2^QS pages of descriptors
  Tick poll_ps = 100 * kPsPerNs; // status / GSTS polling interval
  uint64_t max_polls = 1000000;  // an invalidation wait or a GSTS bit that takes longer is an error
  unsigned irt_size_log2 = 8;    // IRTA.S + 1: 256 entries
  Addr memory_base = 0x40000000; // the driver's memory: tables, queues (1 GiB)
  uint64_t memory_bytes = 64ull << 20;
  std::vector<DriverDevice> devices;
  std::vector<DriverEvent> events;  // in time order

  static HostDriverParams from_config(ConfigNode n);
};

const char* to_string(DriverMode m);

}  // namespace iommusim
