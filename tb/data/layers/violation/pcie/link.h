#pragma once
#include "mem/reach_up.h"
