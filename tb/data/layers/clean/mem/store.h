#pragma once
#include <tlm_utils/simple_target_socket.h>
#include "common/types.h"
#include "mem/store_detail.h"
// #include "platform/system.h" (a comment, not an include)
