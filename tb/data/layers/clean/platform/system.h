#pragma once
#include "pcie/link.h"
#include "mem/store.h"
#include "Vgenerated_model.h"
