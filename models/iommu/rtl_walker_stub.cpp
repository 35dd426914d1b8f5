// A build without the RTL walker (CMake IOMMUSIM_RTL off): no model to make.
#include "iommu/rtl_walker.h"

#ifndef IOMMUSIM_HAVE_RTL
namespace iommusim {

std::unique_ptr<RtlSlWalker> make_rtl_sl_walker(RtlVariant) { return nullptr; }
bool rtl_walker_built() { return false; }

}  // namespace iommusim
#endif
