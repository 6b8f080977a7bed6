// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// |x| histograms (growth by re-binning, zeros, bad values) and the calibrators on distributions
// with known answers: minmax, percentile against the empirical percentile, entropy against a
// literal re-implementation of the published algorithm, mse against a brute-force search on the
// raw samples, and entropy/mse beating minmax on heavy-tailed data.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "edgert/half.h"
#include "quant/calibrator.h"
#include "quant/histogram.h"

namespace edgert::quant {
namespace {

// Squared error per value of quantizing `x` with threshold t (symmetric int8, round half away
// from zero, clamp to +-127): computed directly on the samples.
double empirical_mse(const std::vector<float>& x, double t) {
  const double s = t / 127.0;
  double sse = 0;
  for (float v : x) {
    const double q = std::max(-127.0, std::min(127.0, std::round(v / s)));
    const double e = v - q * s;
    sse += e * e;
  }
  return sse / static_cast<double>(x.size());
}

Histogram histogram_of(const std::vector<float>& x, int bins = Histogram::kDefaultBins) {
  Histogram h(bins);
  REQUIRE(h.add(x.data(), static_cast<std::int64_t>(x.size())).ok());
  return h;
}

double max_abs(const std::vector<float>& x) {
  double m = 0;
  for (float v : x) m = std::max(m, static_cast<double>(std::fabs(v)));
  return m;
}

// The p-th percentile of |x| as a sorted-order statistic (the value below which p% lie).
double empirical_percentile(const std::vector<float>& x, double p) {
  std::vector<float> a(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) a[i] = std::fabs(x[i]);
  std::sort(a.begin(), a.end());
  const auto k = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(a.size())));
  return a[std::min(a.size() - 1, k == 0 ? 0 : k - 1)];
}

std::vector<float> gaussian_with_outliers(std::mt19937& rng, std::size_t n, std::size_t outliers,
                                          float outlier_value) {
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<float> x(n);
  for (float& v : x) v = g(rng);
  for (std::size_t i = 0; i < outliers; ++i)
    x[i * (n / outliers)] = (i % 2 ? -1.f : 1.f) * outlier_value * (1.f + 0.01f * i);
  return x;
}

std::vector<float> laplace(std::mt19937& rng, std::size_t n, float b) {
  std::exponential_distribution<float> e(1.f / b);
  std::bernoulli_distribution sign(0.5);
  std::vector<float> x(n);
  for (float& v : x) v = (sign(rng) ? 1.f : -1.f) * e(rng);
  return x;
}

// TensorRT's entropy calibration written out the way the GTC 2017 slides and
// pytorch-quantization's _compute_amax_entropy state it (linspace/digitize level boundaries in
// floating point, scipy's entropy), on the nonzero-value bins: the reference for amax_entropy.
double reference_entropy_amax(const Histogram& h) {
  const auto& bins = h.counts();
  int last = static_cast<int>(bins.size()) - 1;
  while (last >= 0 && bins[static_cast<std::size_t>(last)] == 0) --last;
  const int nbins = 128;
  if (last + 1 <= nbins) return h.max_abs();
  double total = 0;
  for (auto c : bins) total += static_cast<double>(c);
  double best = std::numeric_limits<double>::infinity();
  int best_i = -1;
  for (int i = nbins; i <= last + 1; ++i) {
    // space = linspace(0, i, nbins + 1); digitized = digitize(range(i), space) - 1
    std::vector<int> level(static_cast<std::size_t>(i));
    for (int j = 0; j < i; ++j) {
      int k = 0;
      while (k + 1 <= nbins && static_cast<double>(k + 1) * i / nbins <= j) ++k;
      level[static_cast<std::size_t>(j)] = bins[static_cast<std::size_t>(j)] == 0 ? -1 : k;
    }
    std::vector<double> qsum(nbins, 0.0), qn(nbins, 0.0);
    for (int j = 0; j < i; ++j) {
      const int k = level[static_cast<std::size_t>(j)];
      if (k < 0) continue;
      qsum[static_cast<std::size_t>(k)] += static_cast<double>(bins[static_cast<std::size_t>(j)]);
      qn[static_cast<std::size_t>(k)] += 1;
    }
    std::vector<double> p(static_cast<std::size_t>(i)), q(static_cast<std::size_t>(i));
    double ps = 0, qs = 0;
    for (int j = 0; j < i; ++j) {
      p[static_cast<std::size_t>(j)] = static_cast<double>(bins[static_cast<std::size_t>(j)]);
      const int k = level[static_cast<std::size_t>(j)];
      q[static_cast<std::size_t>(j)] =
          k < 0 ? 0.0 : qsum[static_cast<std::size_t>(k)] / qn[static_cast<std::size_t>(k)];
      qs += q[static_cast<std::size_t>(j)];
    }
    for (std::size_t j = static_cast<std::size_t>(i); j < bins.size(); ++j)
      p[static_cast<std::size_t>(i - 1)] += static_cast<double>(bins[j]);
    for (double v : p) ps += v;
    REQUIRE(std::round(ps) == total);
    double kl = 0;
    for (int j = 0; j < i; ++j) {
      const double pj = p[static_cast<std::size_t>(j)] / ps,
                   qj = q[static_cast<std::size_t>(j)] / qs;
      if (pj == 0) continue;
      kl += qj == 0 ? std::numeric_limits<double>::infinity() : pj * std::log(pj / qj);
    }
    if (kl <= best) best = kl, best_i = i;
  }
  return std::min(best_i * h.bin_width(), static_cast<double>(h.max_abs()));
}

}  // namespace

TEST_CASE("histogram grows its range by exact re-binning", "[quant][histogram]") {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> small(-1.f, 1.f), big(-3.5f, 3.5f);
  std::vector<float> a(20000), b(20000);
  for (float& v : a) v = small(rng);
  for (float& v : b) v = big(rng);
  a[7] = 1.f;  // the first batch's max: the initial range is exactly 1
  b[9] = 3.5f;
  Histogram h(256);
  REQUIRE(h.add(a.data(), static_cast<std::int64_t>(a.size())).ok());
  CHECK(h.range() == 1.0);
  CHECK(h.regrowths() == 0);
  REQUIRE(h.add(b.data(), static_cast<std::int64_t>(b.size())).ok());
  CHECK(h.range() == 4.0);  // 1 -> 2 -> 4
  CHECK(h.regrowths() == 2);
  CHECK(h.max_abs() == 3.5f);
  CHECK(h.total() == 40000);

  // The same counts as binning each batch over its own range (|x| == range in the last bin) and
  // merging to [0, 4]: floor(floor(256 m) / 4) for the first batch, floor(64 m) for the second.
  std::vector<std::uint64_t> expect(256, 0);
  std::uint64_t zeros = 0;
  for (const auto* batch : {&a, &b})
    for (float v : *batch) {
      const double m = std::fabs(static_cast<double>(v));
      if (m == 0) {
        ++zeros;
        continue;
      }
      const double bin = batch == &a ? std::floor(std::min(255.0, std::floor(m * 256)) / 4)
                                     : std::min(255.0, std::floor(m * 64));
      ++expect[static_cast<std::size_t>(bin)];
    }
  CHECK(h.zeros() == zeros);
  CHECK(h.counts() == expect);

  // A smaller batch later does not shrink anything.
  const float tiny[] = {0.25f, -0.25f, 0.f, 0.f};
  REQUIRE(h.add(tiny, 4).ok());
  CHECK(h.range() == 4.0);
  CHECK(h.zeros() == zeros + 2);
  CHECK(h.counts()[16] == expect[16] + 2);  // 0.25 / (4 / 256) = 16
}

TEST_CASE("histogram zeros, non-finite values and bad configurations", "[quant][histogram]") {
  Histogram h(8);
  const float zeros[] = {0.f, -0.f, 0.f};
  REQUIRE(h.add(zeros, 3).ok());
  CHECK(h.range() == 0.0);
  CHECK(h.zeros() == 3);
  const float some[] = {2.f, -1.f, 0.f};
  REQUIRE(h.add(some, 3).ok());
  CHECK(h.range() == 2.0);
  CHECK(h.counts()[7] == 1);  // |x| == range lands in the last bin
  CHECK(h.counts()[4] == 1);
  CHECK(h.zeros() == 4);

  const float bad[] = {1.f, std::numeric_limits<float>::quiet_NaN()};
  Status st = h.add(bad, 2);
  CHECK(st.code() == StatusCode::kInvalidArgument);
  CHECK(st.message() == "histogram: value #1 is NaN");
  const float inf[] = {-std::numeric_limits<float>::infinity()};
  CHECK(h.add(inf, 1).message() == "histogram: value #0 is infinite");
  CHECK(h.total() == 6);  // unchanged by the rejected batches

  Histogram odd(7);
  CHECK(odd.add(some, 3).message().find("even and at least 2, got 7") != std::string::npos);

  Tensor half = Tensor::allocate(DataType::kFloat16, Shape{2}).value();
  half.data<std::uint16_t>()[0] = float_to_half(-3.f);
  half.data<std::uint16_t>()[1] = float_to_half(0.5f);
  Histogram hh(4);
  REQUIRE(hh.add(half).ok());
  CHECK(hh.max_abs() == 3.f);
  Tensor ints = Tensor::allocate(DataType::kInt32, Shape{2}).value();
  CHECK(hh.add(ints).code() == StatusCode::kUnsupported);
}

TEST_CASE("calibrators on a uniform distribution keep (about) the whole range", "[quant][calib]") {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-2.f, 2.f);
  std::vector<float> x(400000);
  for (float& v : x) v = u(rng);
  const Histogram h = histogram_of(x);
  const double mx = max_abs(x);
  CHECK(amax_minmax(h) == static_cast<float>(mx));
  CHECK(amax_percentile(h, 100.0) == static_cast<float>(mx));
  // Nothing to clip: entropy and mse stay near the max (clipping the top few % of a uniform
  // distribution can pay off slightly in mse).
  CHECK(amax_entropy(h) >= 0.95 * mx);
  CHECK(amax_entropy(h) <= mx);
  CHECK(amax_mse(h) >= 0.95 * mx);
  CHECK(amax_mse(h) <= mx);
}

TEST_CASE("percentile is the empirical percentile within a bin", "[quant][calib]") {
  std::mt19937 rng(2);
  const std::vector<float> x = gaussian_with_outliers(rng, 500000, 200, 40.f);
  const Histogram h = histogram_of(x);
  for (double p : {99.99, 99.9, 99.0, 50.0, 100.0}) {
    INFO("percentile " << p);
    const double emp = empirical_percentile(x, p);
    CHECK(std::fabs(amax_percentile(h, p) - emp) <= h.bin_width());
  }
  CalibratorConfig c;
  c.kind = CalibratorKind::kPercentile;
  CHECK(compute_amax(h, c).value() == amax_percentile(h, 99.99));
  c.percentile = 0;
  CHECK(compute_amax(h, c).status().message() == "calibrator: percentile 0 is outside (0, 100]");

  // Zeros count towards the percentile (a ReLU output that is 0 more than p% of the time: 0).
  std::vector<float> relu(1000, 0.f);
  for (int i = 0; i < 5; ++i) relu[static_cast<std::size_t>(i)] = 1.f + i;
  CHECK(amax_percentile(histogram_of(relu), 99.0) == 0.f);
  CHECK(amax_percentile(histogram_of(relu), 99.9) > 1.f);
}

TEST_CASE("entropy matches a literal implementation of the published algorithm", "[quant][calib]") {
  std::mt19937 rng(3);
  // Small histograms keep the O(bins^3) reference fast.
  for (int bins : {256, 512}) {
    for (int dist = 0; dist < 3; ++dist) {
      std::vector<float> x = dist == 0   ? gaussian_with_outliers(rng, 100000, 30, 12.f)
                             : dist == 1 ? laplace(rng, 100000, 1.f)
                                         : std::vector<float>(100000);
      if (dist == 2) {  // ReLU-like: half exact zeros, half half-normal
        std::normal_distribution<float> g;
        for (std::size_t i = 0; i < x.size(); i += 2) x[i] = std::fabs(g(rng));
      }
      INFO("bins " << bins << " distribution " << dist);
      const Histogram h = histogram_of(x, bins);
      CHECK(amax_entropy(h) == Approx(reference_entropy_amax(h)).epsilon(1e-6));
    }
  }
}

TEST_CASE("entropy and mse clip heavy tails and beat minmax's error", "[quant][calib]") {
  std::mt19937 rng(4);
  {
    // Laplace (the usual model of conv activations / weights): both clip, both have a lower
    // quantization error than minmax; mse lands near the analytic optimum for 8 bits, 9.89 b
    // (Banner et al., "ACIQ", 2019).
    const std::vector<float> x = laplace(rng, 300000, 1.f);
    const Histogram h = histogram_of(x);
    const double mx = max_abs(x), e_minmax = empirical_mse(x, amax_minmax(h));
    const float ent = amax_entropy(h), mse = amax_mse(h);
    INFO("laplace: max " << mx << " entropy " << ent << " (mse " << empirical_mse(x, ent)
                         << ") mse " << mse << " (mse " << empirical_mse(x, mse) << ") minmax mse "
                         << e_minmax);
    CHECK(ent < 0.9 * mx);
    CHECK(mse < 0.9 * mx);
    CHECK(mse == Approx(9.89).epsilon(0.05));
    CHECK(empirical_mse(x, ent) < e_minmax);
    CHECK(empirical_mse(x, mse) < e_minmax);
    CHECK(expected_quantization_mse(h, mse) <= expected_quantization_mse(h, amax_minmax(h)));
  }
  {
    // Student-t with 3 degrees of freedom: much heavier tails. mse still clips and wins; entropy
    // clips far harder (it minimises the KL divergence, not the squared error), which here costs
    // more squared error than it saves: only its threshold is checked.
    std::student_t_distribution<float> t(3.f);
    std::vector<float> x(300000);
    for (float& v : x) v = t(rng);
    const Histogram h = histogram_of(x);
    const double mx = max_abs(x), e_minmax = empirical_mse(x, amax_minmax(h));
    const float ent = amax_entropy(h), mse = amax_mse(h);
    INFO("student-t 3: max " << mx << " entropy " << ent << " mse " << mse << " (mse "
                             << empirical_mse(x, mse) << ") minmax mse " << e_minmax);
    CHECK(ent < 0.5 * mx);
    CHECK(mse < 0.9 * mx);
    CHECK(empirical_mse(x, mse) < e_minmax);
  }
  {
    // Rare large outliers: entropy ignores them; mse keeps them (clipping 30 values by ~60 costs
    // more squared error than the resolution it would buy).
    const std::vector<float> x = gaussian_with_outliers(rng, 300000, 30, 60.f);
    const Histogram h = histogram_of(x);
    CHECK(amax_entropy(h) < 0.2 * max_abs(x));
    CHECK(empirical_mse(x, amax_mse(h)) <= empirical_mse(x, amax_minmax(h)));
  }
}

TEST_CASE("mse finds the brute-force optimum on the raw samples", "[quant][calib]") {
  std::mt19937 rng(5);
  for (int dist = 0; dist < 3; ++dist) {
    std::vector<float> x = dist == 0   ? laplace(rng, 40000, 0.5f)
                           : dist == 1 ? gaussian_with_outliers(rng, 40000, 8, 25.f)
                                       : std::vector<float>(40000);
    if (dist == 2) {
      std::uniform_real_distribution<float> u(-1.f, 1.f);
      for (float& v : x) v = u(rng) * u(rng) * u(rng);  // peaked, bounded
    }
    INFO("distribution " << dist);
    const Histogram h = histogram_of(x);
    const double mx = max_abs(x);
    double best = std::numeric_limits<double>::infinity(), best_t = 0;
    for (int k = 1; k <= 1000; ++k) {  // 1000 thresholds over (0, max]
      const double t = mx * k / 1000.0;
      const double e = empirical_mse(x, t);
      if (e < best) best = e, best_t = t;
    }
    const float t = amax_mse(h);
    INFO("brute force " << best_t << " (mse " << best << "), calibrator " << t << " (mse "
                        << empirical_mse(x, t) << ")");
    CHECK(empirical_mse(x, t) <= best * 1.03);
    // The histogram model's error estimate is close to the samples' error.
    CHECK(expected_quantization_mse(h, t) == Approx(empirical_mse(x, t)).epsilon(0.05));
    CHECK(expected_quantization_mse(h, mx) == Approx(empirical_mse(x, mx)).epsilon(0.05));
  }
}

TEST_CASE("calibrators on an all-zero tensor and on a tiny range", "[quant][calib]") {
  const std::vector<float> zeros(100, 0.f);
  const Histogram hz = histogram_of(zeros);
  for (CalibratorKind k : {CalibratorKind::kEntropy, CalibratorKind::kMinMax,
                           CalibratorKind::kPercentile, CalibratorKind::kMse}) {
    CalibratorConfig c;
    c.kind = k;
    CHECK(compute_amax(hz, c).value() == 0.f);
  }
  // Few distinct values (fewer populated bins than 128 levels): entropy keeps the max.
  std::vector<float> few = {0.5f, -1.f, 0.25f, 1.f};
  const Histogram hf = histogram_of(few, 64);
  CHECK(amax_entropy(hf) == 1.f);
}

TEST_CASE("calibrator names parse and print", "[quant][calib]") {
  for (const char* name : {"entropy", "minmax", "mse", "percentile=99.99", "percentile=99.9",
                           "percentile=100", "percentile=0.5"}) {
    auto c = parse_calibrator(name);
    REQUIRE(c.ok());
    CHECK(c->name() == name);
  }
  CHECK(parse_calibrator("Percentile").value().percentile == 99.99);
  CHECK(parse_calibrator(" MinMax ").value().kind == CalibratorKind::kMinMax);
  CHECK(parse_calibrator("kl").status().message() ==
        "unknown calibrator 'kl' (expected entropy, minmax, mse, percentile or percentile=P)");
  CHECK(parse_calibrator("percentile=101").status().message() ==
        "calibrator 'percentile=101': the percentile must be a number in (0, 100]");
  CHECK(parse_calibrator("percentile=x").status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("calibrator cost on a 2048-bin histogram", "[quant][calib][perf]") {
  std::mt19937 rng(6);
  const Histogram h = histogram_of(laplace(rng, 200000, 1.f));
  for (CalibratorKind k : {CalibratorKind::kEntropy, CalibratorKind::kMse}) {
    CalibratorConfig c;
    c.kind = k;
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(compute_amax(h, c).ok());
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("calibrator %s: %.1f ms per tensor\n", c.name().c_str(), ms);
    CHECK(ms < 5000);
  }
}

}  // namespace edgert::quant
