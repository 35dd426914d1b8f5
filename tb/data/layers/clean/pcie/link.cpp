#include "pcie/link.h"
#include <fmt/format.h>
#  include "mem/store.h"
#include <common/types.h>
