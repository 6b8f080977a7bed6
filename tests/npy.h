// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The tests read their .npy references with the SDK's reader (sdk/core/npy.h); these names keep
// the tests' spelling edgert::test::read_npy.

#include "core/npy.h"

namespace edgert::test {

using ::edgert::parse_npy;
using ::edgert::read_npy;
using ::edgert::write_npy;

}  // namespace edgert::test
