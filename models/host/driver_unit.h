// One remapping unit as the driver model sees it (Linux's struct
// intel_iommu): the unit's registers, its share of the driver's memory, its
// invalidation queue, and the unit-wide steps of bring-up. Everything goes
// through the host CPU (HostBus): timed register accesses and memory stores.
//
// Invalidations (Linux qi_submit_sync()): submit() writes the descriptors
// plus one wait descriptor (SW, FN; status QI_DONE = 2 into a per-slot status
// word first written QI_IN_USE = 1) under the unit's queue lock, writes IQT
// once, then polls the status word every poll_ns, reading FSTS before each
// poll: ICE is cleared and the wait goes on, IQE or ITE (or max_polls polls
// without completion) stop the run with an error. The queue's free space is
// tracked from IQH.
//
// GCMD writes follow VT-d 11.4.4: read GSTS, keep its persistent bits, set or
// clear the one command, then poll GSTS for it.
//
// The per-device steps (context entries, domains, the DMA API) are the host
// driver's (host_driver.h); it keeps the DmaApi logic of each unit here.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <systemc>

#include "common/bdf.h"
#include "host/dma_api.h"
#include "host/driver_action.h"
#include "host/host_bus.h"
#include "host/host_driver_params.h"
#include "host/host_driver_stats.h"
#include "host/iotlb_flush.h"
#include "host/table_builder.h"
#include "vtd/cap_ecap.h"
#include "vtd/qi_descriptor.h"

namespace iommusim {

// The page size of the driver's own structures (queues, tables, status words).
inline constexpr Addr kDriverPage = 4096;

// What the platform tells the driver (as ACPI's DMAR and PCI enumeration
// tell an OS).
struct DriverUnitInfo {
  std::string name;
  Addr reg_base = 0;
};

struct DriverEndpointInfo {
  std::string name;
  Bdf bdf;
  int unit = -1;  // index into the units, -1: in no unit's scope
  // The interrupts the device raises, as compatibility-format (address,
  // data) pairs; with interrupt remapping each gets an IRTE.
  std::vector<std::pair<Addr, uint32_t>> msis;
  // The device has ATS (a device TLB); the driver enables it where the
  // unit has Device-TLB support (ECAP.DT) and the domain translates.
  bool ats = false;
};

// Programs a device's MSI: (compat address, data) -> (address, data) to use.
using MsiProgrammer = std::function<void(const Bdf&, Addr, uint32_t, Addr, uint32_t)>;

// The device-TLB invalidation that follows an IOTLB invalidation for one
// device (Linux qi_flush_dev_iotlb(); VT-d 6.5.2.5).
QiDescriptor devtlb_invalidation(const IotlbFlush& f, const Bdf& dev);

class DriverUnit {
 public:
  // The unit's structures come from [memory_base, memory_end).
  DriverUnit(const DriverUnitInfo& info, std::size_t index, Addr memory_base, Addr memory_end, HostBus& bus,
             const HostDriverParams& params, HostDriverStats& stats);
  ~DriverUnit();
  DriverUnit(const DriverUnit&) = delete;
  DriverUnit& operator=(const DriverUnit&) = delete;

  // Register and memory access (InputError naming the unit on failure).
  uint64_t read_reg(Addr off, unsigned size);
  void write_reg(Addr off, unsigned size, uint64_t v);
  void store(Addr pa, unsigned size, uint64_t v);
  Addr alloc_page(const char* what);  // a zeroed 4 KiB page of the unit's share
  void poll_status(uint32_t status_bit, bool want, const char* what);
  void global_command(uint32_t cmd, bool enable, uint32_t status_bit, const char* what);

  // qi_submit_sync(): the descriptors, a wait, and the poll for it.
  void submit(std::vector<QiDescriptor> descs);
  // Carries out what the DmaApi logic decided: stores, invalidations (with
  // device-TLB invalidations for ATS devices of the domain), waits, CPU time.
  void perform(DriverActions&& actions);

  // Bring-up steps (host_driver.h lists them in order).
  void enable_qi();
  void set_root_table();
  // Global context-cache (and PASID-cache in scalable mode) and IOTLB
  // invalidations, and a wait.
  void flush_all_caches();
  // The interrupt remapping table with one IRTE per MSI of each endpoint of
  // this unit (each device reprogrammed through `program_msi`), IRTA,
  // SIRTP, a global IEC invalidation, IRE, and CFI cleared.
  void enable_interrupt_remapping(const std::vector<DriverEndpointInfo>& endpoints,
                                  const MsiProgrammer& program_msi);

  // State the host driver reads and keeps (Linux keeps it in intel_iommu).
  DriverUnitInfo info;
  std::size_t index = 0;
  uint64_t cap = 0, ecap = 0;
  UnitFeatures f;
  std::unique_ptr<DmaApi> api;
  Addr next_page = 0, end_page = 0;  // the unit's share of driver memory for its structures
  std::unique_ptr<TableBuilder> tables;  // root, context and PASID tables; set with the root table
  Addr iq = 0, status_words = 0;  // the queue; the wait descriptors' status words
  unsigned entries = 0, desc_bytes = kQiDescriptorBytes128, tail = 0, head = 0;
  Addr irt = 0;
  unsigned irt_next = 0;
  bool eime = false, ir = false;
  std::map<std::string, DomainId> named;
  uint16_t next_did = 1;
  std::set<std::pair<DomainId, Addr>> direct;  // RMRR regions mapped per domain
  std::unique_ptr<sc_core::sc_mutex> qi_lock;
  // One driver operation at a time per unit: the logic frees an unmapped
  // IOVA when called, so no other thread may allocate before the shell has
  // performed that unmap's invalidation and wait (stricter than Linux,
  // which frees after the sync and maps concurrently on other CPUs).
  std::unique_ptr<sc_core::sc_mutex> op_lock;
  std::vector<QiDescriptor> pending;
  std::map<uint16_t, std::vector<Bdf>> ats_devices;  // by domain-id: devices with ATS enabled

 private:
  void setup_irtes(const DriverEndpointInfo& ep, const MsiProgrammer& program_msi);

  HostBus& bus_;
  const HostDriverParams& p_;
  HostDriverStats& st_;
};

}  // namespace iommusim
