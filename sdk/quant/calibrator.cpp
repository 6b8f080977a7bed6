// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#include "quant/calibrator.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

namespace edgert::quant {
namespace {

// 128 quantization levels for |x|: int8's magnitudes 0..127 plus the sign bit (TensorRT's "128
// levels" of the entropy calibrator).
constexpr int kLevels = 128;
// Symmetric int8: q in [-127, 127], scale = amax / 127.
constexpr double kQMax = 127.0;

// Index of the last nonzero bin, -1 if none.
int last_populated(const Histogram& h) {
  const auto& c = h.counts();
  for (int i = static_cast<int>(c.size()) - 1; i >= 0; --i)
    if (c[static_cast<std::size_t>(i)] != 0) return i;
  return -1;
}

std::string format_double(double v) {
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

// ∫_0^x e(u)^2 du for the rounding error e(u) = u - s * round(u / s), x >= 0. With m = round(x/s)
// (half up) and r = x - m s in [-s/2, s/2): each full period [(k - 1/2) s, (k + 1/2) s) adds
// s^3 / 12, the first half period [0, s/2) s^3 / 24, and the open one (r^3 + s^3 / 8) / 3; these
// sum to m s^3 / 12 + r^3 / 3 for every m >= 0.
double sawtooth_integral(double x, double s) {
  const double m = std::floor(x / s + 0.5);
  const double r = x - m * s;
  return m * s * s * s / 12.0 + r * r * r / 3.0;
}

// Sum over bins of count * E[(x - Q(x))^2] with x uniform on the bin, threshold t.
double quantization_sse(const Histogram& h, double t) {
  const auto& c = h.counts();
  const int last = last_populated(h);
  const double w = h.bin_width(), hi = h.max_abs();
  if (last < 0) return 0.0;
  if (t <= 0) {  // everything clips to 0
    double sse = 0;
    for (int j = 0; j <= last; ++j) {
      const double a = j * w, b = j == last ? std::max(a, std::min((j + 1) * w, hi)) : (j + 1) * w;
      sse += static_cast<double>(c[static_cast<std::size_t>(j)]) * (a * a + a * b + b * b) / 3.0;
    }
    return sse;
  }
  const double s = t / kQMax;
  double sse = 0;
  for (int j = 0; j <= last; ++j) {
    const auto n = static_cast<double>(c[static_cast<std::size_t>(j)]);
    if (n == 0) continue;
    const double a = j * w;
    // The last populated bin ends at the exact max (its values cannot lie above it).
    const double b = j == last ? std::max(a, std::min((j + 1) * w, hi)) : (j + 1) * w;
    if (b - a <= 0) {  // a point mass at a
      const double e = a > t ? a - t : a - s * std::floor(a / s + 0.5);
      sse += n * e * e;
      continue;
    }
    double integral = 0;
    if (a < t) integral += sawtooth_integral(std::min(b, t), s) - sawtooth_integral(a, s);
    if (b > t) {
      const double lo = std::max(a, t) - t, up = b - t;
      integral += (up * up * up - lo * lo * lo) / 3.0;
    }
    sse += n * integral / (b - a);
  }
  return sse;
}

}  // namespace

std::string CalibratorConfig::name() const {
  switch (kind) {
    case CalibratorKind::kEntropy: return "entropy";
    case CalibratorKind::kMinMax: return "minmax";
    case CalibratorKind::kMse: return "mse";
    case CalibratorKind::kPercentile: return "percentile=" + format_double(percentile);
  }
  return "?";
}

Expected<CalibratorConfig> parse_calibrator(const std::string& text) {
  std::string t;
  for (char ch : text)
    if (!std::isspace(static_cast<unsigned char>(ch)))
      t += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  CalibratorConfig c;
  if (t == "entropy" || t == "entropy2") {
    c.kind = CalibratorKind::kEntropy;
    return c;
  }
  if (t == "minmax") {
    c.kind = CalibratorKind::kMinMax;
    return c;
  }
  if (t == "mse") {
    c.kind = CalibratorKind::kMse;
    return c;
  }
  if (t.rfind("percentile", 0) == 0) {
    c.kind = CalibratorKind::kPercentile;
    if (t.size() == 10) return c;
    if (t[10] == '=') {
      const char* first = t.data() + 11;
      const char* end = t.data() + t.size();
      double p = 0;
      const auto r = std::from_chars(first, end, p);
      if (r.ec == std::errc() && r.ptr == end && p > 0 && p <= 100) {
        c.percentile = p;
        return c;
      }
      return make_error(StatusCode::kInvalidArgument,
                        "calibrator '" + text + "': the percentile must be a number in (0, 100]");
    }
  }
  return make_error(StatusCode::kInvalidArgument,
                    "unknown calibrator '" + text +
                        "' (expected entropy, minmax, mse, percentile or percentile=P)");
}

float amax_minmax(const Histogram& h) { return h.max_abs(); }

float amax_percentile(const Histogram& h, double percentile) {
  if (h.total() == 0 || h.max_abs() == 0.f) return 0.f;
  const double target = percentile / 100.0 * static_cast<double>(h.total());
  double cum = static_cast<double>(h.zeros());
  if (cum >= target) return 0.f;
  const auto& c = h.counts();
  const double w = h.bin_width();
  for (std::size_t j = 0; j < c.size(); ++j) {
    const auto n = static_cast<double>(c[j]);
    if (n > 0 && cum + n >= target) {
      const double v = (static_cast<double>(j) + (target - cum) / n) * w;
      return std::min(static_cast<float>(v), h.max_abs());
    }
    cum += n;
  }
  return h.max_abs();
}

float amax_entropy(const Histogram& h) {
  const auto& c = h.counts();
  const int last = last_populated(h);
  if (last < 0) return 0.f;
  // The data fits in fewer bins than there are levels: nothing to trade, keep everything.
  if (last + 1 <= kLevels) return h.max_abs();

  double total = 0;
  for (int j = 0; j <= last; ++j) total += static_cast<double>(c[static_cast<std::size_t>(j)]);
  std::vector<double> level_sum(kLevels), level_nonzero(kLevels);
  double best = std::numeric_limits<double>::infinity();
  int best_i = last + 1;
  double inside = 0;  // sum of bins [0, i)
  for (int j = 0; j < kLevels - 1; ++j)
    inside += static_cast<double>(c[static_cast<std::size_t>(j)]);
  for (int i = kLevels; i <= last + 1; ++i) {
    inside += static_cast<double>(c[static_cast<std::size_t>(i - 1)]);
    const double outliers = total - inside;
    if (inside <= 0) continue;
    std::fill(level_sum.begin(), level_sum.end(), 0.0);
    std::fill(level_nonzero.begin(), level_nonzero.end(), 0.0);
    for (int j = 0; j < i; ++j) {
      const auto n = static_cast<double>(c[static_cast<std::size_t>(j)]);
      if (n == 0) continue;
      const int k = static_cast<int>(static_cast<std::int64_t>(j) * kLevels / i);
      level_sum[static_cast<std::size_t>(k)] += n;
      level_nonzero[static_cast<std::size_t>(k)] += 1;
    }
    // KL(P || Q) with P normalised by `total` (outliers folded into bin i-1) and Q by `inside`.
    double kl = 0;
    for (int j = 0; j < i; ++j) {
      double p = static_cast<double>(c[static_cast<std::size_t>(j)]);
      if (j == i - 1) p += outliers;
      if (p == 0) continue;
      if (c[static_cast<std::size_t>(j)] == 0) {  // Q is 0 here: infinite divergence
        kl = std::numeric_limits<double>::infinity();
        break;
      }
      const auto k = static_cast<std::size_t>(static_cast<std::int64_t>(j) * kLevels / i);
      const double q = level_sum[k] / level_nonzero[k];
      const double pn = p / total, qn = q / inside;
      kl += pn * std::log(pn / qn);
    }
    if (kl <= best) {  // ties go to the larger threshold
      best = kl;
      best_i = i;
    }
  }
  return std::min(static_cast<float>(best_i * h.bin_width()), h.max_abs());
}

double expected_quantization_mse(const Histogram& h, double amax) {
  if (h.total() == 0) return 0.0;
  return quantization_sse(h, amax) / static_cast<double>(h.total());
}

float amax_mse(const Histogram& h) {
  const int last = last_populated(h);
  if (last < 0) return 0.f;
  const double w = h.bin_width(), hi = h.max_abs();
  double best_t = hi;
  double best = quantization_sse(h, hi);
  for (int k = 1; k <= last + 1; ++k) {
    const double t = std::min(k * w, hi);
    const double e = quantization_sse(h, t);
    if (e < best) {
      best = e;
      best_t = t;
    }
  }
  return static_cast<float>(best_t);
}

Expected<float> compute_amax(const Histogram& h, const CalibratorConfig& config) {
  if (h.num_bins() < 2)
    return make_error(StatusCode::kInvalidArgument, "calibrator: the histogram has no bins");
  switch (config.kind) {
    case CalibratorKind::kMinMax: return amax_minmax(h);
    case CalibratorKind::kEntropy: return amax_entropy(h);
    case CalibratorKind::kMse: return amax_mse(h);
    case CalibratorKind::kPercentile:
      if (!(config.percentile > 0 && config.percentile <= 100))
        return make_error(
            StatusCode::kInvalidArgument,
            "calibrator: percentile " + format_double(config.percentile) + " is outside (0, 100]");
      return amax_percentile(h, config.percentile);
  }
  return make_error(StatusCode::kInternal, "calibrator: unknown kind");
}

}  // namespace edgert::quant
