#pragma once
#include "common/types.h"
