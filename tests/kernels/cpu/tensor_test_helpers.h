// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Helpers shared by the tensor-family tests: random data of every dtype, node construction,
// element comparison, and row-major index arithmetic written independently of the library.

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/op_def.h"
#include "test_util.h"

namespace edgert::cpu::tensor_test {

inline const DataType kAllTypes[] = {DataType::kFloat32, DataType::kFloat16, DataType::kInt8,
                                     DataType::kUInt8,   DataType::kInt32,   DataType::kInt64,
                                     DataType::kBool};

inline Tensor rand_data(DataType t, const Shape& s, std::mt19937& rng) {
  if (is_float(t)) return test::random_tensor(t, s, rng, -1.0, 1.0);
  if (t == DataType::kUInt8) return test::random_tensor(t, s, rng, 0, 200);
  return test::random_tensor(t, s, rng, -100, 100);
}

inline NodeInfo node(const std::string& op, int opset = 17) {
  NodeInfo n;
  n.op_type = op;
  n.name = "n";
  n.opset = opset;
  return n;
}

inline bool same_elem(const Tensor& a, std::int64_t i, const Tensor& b, std::int64_t j) {
  const std::size_t es = dtype_size(a.dtype());
  return std::memcmp(static_cast<const std::uint8_t*>(a.raw()) + i * es,
                     static_cast<const std::uint8_t*>(b.raw()) + j * es, es) == 0;
}

inline std::vector<std::int64_t> unravel(std::int64_t i, const std::vector<std::int64_t>& dims) {
  std::vector<std::int64_t> idx(dims.size());
  for (std::size_t d = dims.size(); d-- > 0;) {
    idx[d] = i % dims[d];
    i /= dims[d];
  }
  return idx;
}

inline std::int64_t ravel(const std::vector<std::int64_t>& idx,
                          const std::vector<std::int64_t>& dims) {
  std::int64_t o = 0;
  for (std::size_t d = 0; d < dims.size(); ++d) o = o * dims[d] + idx[d];
  return o;
}

/// Runs a one-output node; `out` receives the output when the status is ok.
inline Status run1(const NodeInfo& n, std::vector<const Tensor*> in, Tensor& out) {
  std::vector<Tensor> outs;
  Status s = run_node(n, in, outs, 1);
  if (s.ok()) out = outs[0];
  return s;
}

}  // namespace edgert::cpu::tensor_test
