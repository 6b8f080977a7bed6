// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file IEEE 754 binary16 conversions on the host (round to nearest even, NaN/Inf preserved).

#include <cstdint>

namespace edgert {

float half_to_float(std::uint16_t h) noexcept;
std::uint16_t float_to_half(float f) noexcept;

}  // namespace edgert
