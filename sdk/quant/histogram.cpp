// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "quant/histogram.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "edgert/half.h"

namespace edgert::quant {

Histogram::Histogram(int num_bins) : counts_(static_cast<std::size_t>(std::max(num_bins, 0)), 0) {}

void Histogram::grow_to(double needed) {
  const std::size_t n = counts_.size();
  while (range_ < needed) {
    for (std::size_t k = 0; k < n / 2; ++k) counts_[k] = counts_[2 * k] + counts_[2 * k + 1];
    std::fill(counts_.begin() + static_cast<std::ptrdiff_t>(n / 2), counts_.end(), 0);
    range_ *= 2;
    ++regrowths_;
  }
}

Status Histogram::add(const float* x, std::int64_t n) {
  if (counts_.size() < 2 || counts_.size() % 2 != 0)
    return make_error(StatusCode::kInvalidArgument,
                      "histogram: the bin count must be even and at least 2, got " +
                          std::to_string(counts_.size()));
  // Pass 1: max |x| and a finiteness check, so that a bad batch leaves the histogram unchanged.
  float batch_max = 0.f;
  for (std::int64_t i = 0; i < n; ++i) {
    const float a = std::fabs(x[i]);
    if (!(a <= 3.4028235e38f)) {  // NaN fails every comparison; +inf exceeds FLT_MAX
      return make_error(StatusCode::kInvalidArgument, std::string("histogram: value #") +
                                                          std::to_string(i) + " is " +
                                                          (std::isnan(x[i]) ? "NaN" : "infinite"));
    }
    batch_max = std::max(batch_max, a);
  }
  if (batch_max > 0.f) {
    if (range_ == 0) range_ = batch_max;  // the first nonzero batch sets the range
    grow_to(batch_max);
  }
  max_abs_ = std::max(max_abs_, batch_max);
  total_ += static_cast<std::uint64_t>(n);

  // Pass 2: bin. |x| * (bins / range) rounded down; |x| == range lands in the last bin.
  const auto last = static_cast<std::int64_t>(counts_.size()) - 1;
  const double inv_w = range_ > 0 ? static_cast<double>(counts_.size()) / range_ : 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    const float a = std::fabs(x[i]);
    if (a == 0.f) {
      ++zeros_;
      continue;
    }
    const auto b = std::min(last, static_cast<std::int64_t>(static_cast<double>(a) * inv_w));
    ++counts_[static_cast<std::size_t>(b)];
  }
  return Status::ok_status();
}

Status Histogram::add(const Tensor& t) {
  if (t.dtype() == DataType::kFloat32) return add(t.data<float>(), t.numel());
  if (t.dtype() == DataType::kFloat16) {
    std::vector<float> f(static_cast<std::size_t>(t.numel()));
    const auto* h = t.data<std::uint16_t>();
    for (std::size_t i = 0; i < f.size(); ++i) f[i] = half_to_float(h[i]);
    return add(f.data(), t.numel());
  }
  return make_error(StatusCode::kUnsupported, std::string("histogram: cannot calibrate a ") +
                                                  dtype_name(t.dtype()) +
                                                  " tensor (float32 or float16 only)");
}

}  // namespace edgert::quant
