// A memory model that reaches up into PCIe: the check must fail on line 4.
#include "common/types.h"
#include "mem/reach_up.h"
#include "pcie/link.h"
