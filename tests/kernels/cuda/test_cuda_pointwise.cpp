// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The CUDA pointwise kernels: pointwise_f32 against a double-precision CPU computation written
// here, on sizes that leave partial blocks and exceed one grid (the grid-stride loop); the
// program kernel against the CPU Pointwise op on seeded random chains (broadcast operands,
// reversed Sub/Div/Pow) and against the CPU binary ops with numpy broadcasting both ways.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "cuda_test_util.h"
#include "edgert/kernels/cuda_pointwise.h"
#include "test_util.h"

namespace edgert {
namespace {

using cuda::PointwiseOp;

// Device memory freed on scope exit, so that a failed REQUIRE does not leak it.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t bytes) {
    if (cudaMalloc(&ptr_, bytes) != cudaSuccess) ptr_ = nullptr;
  }
  ~DeviceBuffer() { cudaFree(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  float* get() const { return static_cast<float*>(ptr_); }

 private:
  void* ptr_ = nullptr;
};

double reference(PointwiseOp op, double v, double alpha) {
  switch (op) {
    case PointwiseOp::kRelu: return v > 0 ? v : 0.0;
    case PointwiseOp::kSigmoid: return 1.0 / (1.0 + std::exp(-v));
    case PointwiseOp::kTanh: return std::tanh(v);
    case PointwiseOp::kHardSwish: return v * std::min(std::max(v + 3.0, 0.0), 6.0) / 6.0;
    case PointwiseOp::kLeakyRelu: return v >= 0 ? v : alpha * v;
    default: break;  // the other ops are tested against the CPU Pointwise op below
  }
  return std::numeric_limits<double>::quiet_NaN();
}

const char* op_name(PointwiseOp op) {
  switch (op) {
    case PointwiseOp::kRelu: return "Relu";
    case PointwiseOp::kSigmoid: return "Sigmoid";
    case PointwiseOp::kTanh: return "Tanh";
    case PointwiseOp::kHardSwish: return "HardSwish";
    case PointwiseOp::kLeakyRelu: return "LeakyRelu";
    default: break;
  }
  return "?";
}

std::string cuda_text(cudaError_t err) { return cudaGetErrorString(err); }

}  // namespace

TEST_CASE("CUDA pointwise kernels match a CPU computation", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");

  const PointwiseOp ops[] = {PointwiseOp::kRelu, PointwiseOp::kSigmoid, PointwiseOp::kTanh,
                             PointwiseOp::kHardSwish, PointwiseOp::kLeakyRelu};
  // 1 element, partial blocks (255, 257, odd), exactly one block, and more elements than the
  // launcher's capped grid covers (4096 blocks x 256 threads = 1048576), so that the grid-stride
  // loop runs more than once.
  const std::int64_t sizes[] = {1, 7, 255, 256, 257, 100003, 3000017};
  constexpr float kAlpha = 0.1f;

  cudaStream_t stream = nullptr;
  REQUIRE(cudaStreamCreate(&stream) == cudaSuccess);
  std::mt19937 rng(1234);

  for (std::int64_t n : sizes) {
    // [-8, 8) covers both saturations of sigmoid/tanh and all three pieces of HardSwish.
    Tensor x = test::random_tensor(DataType::kFloat32, Shape{n}, rng, -8.0, 8.0);
    const std::size_t bytes = x.nbytes();
    DeviceBuffer dx(bytes), dy(bytes);
    REQUIRE(dx.get() != nullptr);
    REQUIRE(dy.get() != nullptr);
    REQUIRE(cudaMemcpy(dx.get(), x.raw(), bytes, cudaMemcpyHostToDevice) == cudaSuccess);

    for (PointwiseOp op : ops) {
      INFO(op_name(op) << " over " << n << " elements");
      // All-ones bytes are a NaN: an element the kernel does not write fails the comparison.
      REQUIRE(cudaMemset(dy.get(), 0xff, bytes) == cudaSuccess);

      Status launched = cuda::pointwise_f32(op, dx.get(), dy.get(), n, kAlpha, stream);
      REQUIRE(launched.ok());
      cudaError_t done = cudaStreamSynchronize(stream);
      INFO("CUDA: " << cuda_text(done));
      REQUIRE(done == cudaSuccess);

      Tensor got = Tensor::allocate(DataType::kFloat32, Shape{n}).value();
      REQUIRE(cudaMemcpy(got.raw(), dy.get(), bytes, cudaMemcpyDeviceToHost) == cudaSuccess);
      Tensor want = Tensor::allocate(DataType::kFloat32, Shape{n}).value();
      for (std::int64_t i = 0; i < n; ++i)
        want.data<float>()[i] = static_cast<float>(reference(op, x.data<float>()[i], kAlpha));

      // Sigmoid uses __expf (2 + 1.16|x| ulp, so at most ~12 ulp over [-8, 8]); rel L2 stays
      // far below 1e-5 even so, and so does tanhf (2 ulp).
      const double err = test::rel_l2(got, want);
      INFO("rel L2 " << err << ", max abs " << test::max_abs_diff(got, want));
      CHECK(err < 1e-5);
    }
  }
  CHECK(cudaStreamDestroy(stream) == cudaSuccess);
}

TEST_CASE("CUDA pointwise: an empty input launches nothing and succeeds", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  DeviceBuffer y(sizeof(float));
  REQUIRE(y.get() != nullptr);
  REQUIRE(cudaMemset(y.get(), 0xff, sizeof(float)) == cudaSuccess);
  Status s = cuda::pointwise_f32(PointwiseOp::kRelu, y.get(), y.get(), 0, 0.f, nullptr);
  CHECK(s.ok());
  float v = 0.f;
  REQUIRE(cudaMemcpy(&v, y.get(), sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
  CHECK(std::isnan(v));  // untouched
}

TEST_CASE("CUDA pointwise: an unknown op is an error, not a launch", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  DeviceBuffer x(4 * sizeof(float)), y(4 * sizeof(float));
  REQUIRE(x.get() != nullptr);
  REQUIRE(y.get() != nullptr);
  Status s = cuda::pointwise_f32(static_cast<PointwiseOp>(99), x.get(), y.get(), 4, 0.f, nullptr);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(cudaGetLastError() == cudaSuccess);
}

namespace {

using test::gpu::DeviceMemory;
using test::gpu::run_cpu;

/// Element strides of a tensor of shape `in` read over the broadcast shape `out` (numpy rules,
/// right-aligned): 0 along the dims `in` broadcasts.
std::vector<std::int64_t> bstrides(const Shape& in, const Shape& out) {
  std::vector<std::int64_t> st(out.rank(), 0);
  std::int64_t s = 1;
  for (std::size_t k = 0; k < in.rank(); ++k) {
    const std::size_t di = in.rank() - 1 - k, dout = out.rank() - 1 - k;
    st[dout] = in[di] == 1 ? 0 : s;
    s *= in[di];
  }
  return st;
}

Shape broadcast(const Shape& a, const Shape& b) {
  const std::size_t r = std::max(a.rank(), b.rank());
  std::vector<std::int64_t> d(r, 1);
  for (std::size_t k = 0; k < r; ++k) {
    const std::int64_t da = k < a.rank() ? a[a.rank() - 1 - k] : 1;
    const std::int64_t db = k < b.rank() ? b[b.rank() - 1 - k] : 1;
    d[r - 1 - k] = da == 1 ? db : da;
  }
  return Shape(d);
}

struct OpName {
  const char* name;
  PointwiseOp op;
};
constexpr OpName kOpNames[] = {
    {"Relu", PointwiseOp::kRelu},
    {"Clip", PointwiseOp::kClip},
    {"LeakyRelu", PointwiseOp::kLeakyRelu},
    {"Sigmoid", PointwiseOp::kSigmoid},
    {"HardSigmoid", PointwiseOp::kHardSigmoid},
    {"HardSwish", PointwiseOp::kHardSwish},
    {"SiLU", PointwiseOp::kSiLU},
    {"Gelu", PointwiseOp::kGelu},
    {"Tanh", PointwiseOp::kTanh},
    {"Exp", PointwiseOp::kExp},
    {"Log", PointwiseOp::kLog},
    {"Sqrt", PointwiseOp::kSqrt},
    {"Abs", PointwiseOp::kAbs},
    {"Neg", PointwiseOp::kNeg},
    {"Reciprocal", PointwiseOp::kReciprocal},
    {"Erf", PointwiseOp::kErf},
    {"Floor", PointwiseOp::kFloor},
    {"Ceil", PointwiseOp::kCeil},
    {"Add", PointwiseOp::kAdd},
    {"Sub", PointwiseOp::kSub},
    {"Mul", PointwiseOp::kMul},
    {"Div", PointwiseOp::kDiv},
    {"Pow", PointwiseOp::kPow},
    {"Max", PointwiseOp::kMax},
    {"Min", PointwiseOp::kMin},
};

PointwiseOp op_of(const std::string& name) {
  for (const OpName& o : kOpNames)
    if (name == o.name) return o.op;
  FAIL("unknown op " << name);
  return PointwiseOp::kIdentity;
}

/// A Pointwise chain in the CPU op's attributes; operands are CPU input indices (>= 1).
struct Chain {
  std::vector<std::string> ops;
  std::vector<std::int64_t> operands, reversed;
  std::vector<float> alphas, betas;
  std::vector<int> inputs;  ///< pool index of CPU input 1, 2, ...

  std::string text() const {
    std::string s;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      s += (i ? " > " : "") + ops[i];
      if (operands[i] > 0)
        s += std::string(reversed[i] ? "(r" : "(") + std::to_string(operands[i]) + ")";
    }
    return s;
  }
};

/// A random chain over operands from a pool of `pool` shapes. Floor/Ceil only follow steps that
/// CPU and GPU compute exactly alike (IEEE +, -, *, /, sqrt, comparisons), since a last-ulp
/// difference could otherwise move a value across an integer.
Chain random_chain(std::mt19937& rng, int pool) {
  static const char* const kExactUnary[] = {"Relu", "Clip",       "LeakyRelu", "Abs",
                                            "Neg",  "Reciprocal", "Sqrt"};
  static const char* const kInexactUnary[] = {"Sigmoid", "HardSigmoid", "HardSwish", "SiLU", "Gelu",
                                              "Tanh",    "Exp",         "Log",       "Erf"};
  static const char* const kExactBinary[] = {"Add", "Sub", "Mul", "Div", "Max", "Min"};
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  Chain c;
  bool exact = true;
  const int steps = 1 + pick(8);
  for (int s = 0; s < steps; ++s) {
    std::string op;
    std::int64_t operand = -1, rev = 0;
    const int kind = pick(20);
    if (kind < 9) {  // binary
      const bool pow = pick(7) == 0;
      op = pow ? "Pow" : kExactBinary[pick(6)];
      exact = exact && !pow;
      const int which = pick(pool);
      auto it = std::find(c.inputs.begin(), c.inputs.end(), which);
      if (it == c.inputs.end()) {
        c.inputs.push_back(which);
        operand = static_cast<std::int64_t>(c.inputs.size());
      } else {
        operand = static_cast<std::int64_t>(it - c.inputs.begin()) + 1;
      }
      rev = pick(2);
    } else if (kind < 14) {
      op = kExactUnary[pick(7)];
    } else if (kind < 18 || !exact) {
      op = kInexactUnary[pick(9)];
      exact = false;
    } else {
      op = pick(2) ? "Floor" : "Ceil";
    }
    float alpha = 0.f, beta = 0.f;
    if (op == "Clip") alpha = -1.5f, beta = 1.25f;
    if (op == "LeakyRelu") alpha = 0.2f;
    if (op == "HardSigmoid") alpha = 0.2f, beta = 0.5f;
    c.ops.push_back(op);
    c.operands.push_back(operand);
    c.reversed.push_back(rev);
    c.alphas.push_back(alpha);
    c.betas.push_back(beta);
  }
  return c;
}

AttrMap chain_attrs(const Chain& c) {
  AttrMap a;
  a.set("ops", c.ops);
  a.set("operands", c.operands);
  a.set("reversed", c.reversed);
  a.set("alphas", c.alphas);
  a.set("betas", c.betas);
  return a;
}

bool all_moderate(const Tensor& t) {
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    const double v = t.get_as_double(i);
    if (!std::isfinite(v) || std::fabs(v) > 1e4) return false;
  }
  return true;
}

/// Random operand data: magnitudes in [0.5, 2], either sign (never near zero, so that Div and
/// Reciprocal stay moderate).
Tensor random_operand(const Shape& s, std::mt19937& rng) {
  Tensor t = test::random_tensor(DataType::kFloat32, s, rng, 0.5, 2.0);
  for (std::int64_t i = 0; i < t.numel(); ++i)
    if (rng() & 1u) t.data<float>()[i] = -t.data<float>()[i];
  return t;
}

Tensor as_type(const Tensor& f, DataType t) {
  return t == DataType::kFloat16 ? test::gpu::to_half(f) : f;
}

/// The program of `c` over output shape `out`, x of shape xs, operands of the pool.
cuda::PointwiseProgram make_program(const Shape& out, const Shape& xs, const Chain& c,
                                    const std::vector<Shape>& shapes,
                                    const std::vector<const void*>& ptrs) {
  cuda::PointwiseProgram p;
  p.rank = static_cast<int>(out.rank());
  const auto xst = bstrides(xs, out);
  for (std::size_t d = 0; d < out.rank(); ++d) {
    p.dims[d] = out[d];
    p.x_strides[d] = xst[d];
  }
  p.num_operands = static_cast<int>(c.inputs.size());
  for (std::size_t k = 0; k < c.inputs.size(); ++k) {
    const Shape& s = shapes[static_cast<std::size_t>(c.inputs[k])];
    p.operands[k] = ptrs[static_cast<std::size_t>(c.inputs[k])];
    const auto st = bstrides(s, out);
    for (std::size_t d = 0; d < out.rank(); ++d) p.operand_strides[k][d] = st[d];
  }
  p.num_steps = static_cast<int>(c.ops.size());
  for (std::size_t i = 0; i < c.ops.size(); ++i) {
    cuda::PointwiseStep& st = p.steps[i];
    st.op = op_of(c.ops[i]);
    st.operand = c.operands[i] > 0 ? static_cast<int>(c.operands[i] - 1) : -1;
    st.reversed = c.reversed[i] != 0;
    st.alpha = c.alphas[i];
    st.beta = c.betas[i];
  }
  return p;
}

}  // namespace

TEST_CASE("CUDA pointwise programs match the CPU Pointwise op on random chains", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  struct Case {
    Shape main;
    std::vector<Shape> pool;
  };
  const Case cases[] = {
      {Shape{2, 3, 17, 19},
       {Shape{19}, Shape{3, 1, 1}, Shape{2, 3, 17, 19}, Shape{1}, Shape{17, 1},
        Shape{2, 1, 17, 1}}},
      {Shape{1003}, {Shape{1003}, Shape{1}}},  // flat path: vectors, a tail, a scalar operand
      {Shape{5, 4, 1, 6, 1, 7}, {Shape{5, 4, 1, 6, 1, 7}, Shape{4, 1, 1, 1, 7}, Shape{1}}},
  };
  test::gpu::Stream stream;
  std::mt19937 rng(9001);
  for (const Case& c : cases) {
    for (DataType t : {DataType::kFloat32, DataType::kFloat16}) {
      const Tensor x = as_type(test::random_tensor(DataType::kFloat32, c.main, rng, -2.0, 2.0), t);
      std::vector<Tensor> pool;
      std::vector<DeviceMemory> dpool;
      std::vector<const void*> ptrs;
      for (const Shape& s : c.pool) {
        pool.push_back(as_type(random_operand(s, rng), t));
        dpool.push_back(test::gpu::upload(pool.back()));
        ptrs.push_back(dpool.back().get());
      }
      DeviceMemory dx = test::gpu::upload(x);
      int tested = 0;
      for (int attempt = 0; attempt < 400 && tested < 30; ++attempt) {
        const Chain chain = random_chain(rng, static_cast<int>(c.pool.size()));
        std::vector<const Tensor*> inputs = {&x};
        for (int k : chain.inputs) inputs.push_back(&pool[static_cast<std::size_t>(k)]);
        const Tensor want = run_cpu("Pointwise", chain_attrs(chain), inputs)[0];
        if (!all_moderate(want)) continue;  // NaN/inf/huge: a chain for another seed
        ++tested;
        INFO(c.main.to_string() << " " << dtype_name(t) << ": " << chain.text());
        const cuda::PointwiseProgram p = make_program(c.main, c.main, chain, c.pool, ptrs);
        DeviceMemory dy = test::gpu::poisoned(x.nbytes());
        const Status s = cuda::pointwise(dx.get(), dy.get(), t, p, stream.get());
        INFO(s.to_string());
        REQUIRE(s.ok());
        test::gpu::sync(stream.get());
        const Tensor got = test::gpu::download(dy.get(), t, c.main);
        const double err = test::rel_l2(got, want);
        INFO("rel L2 " << err << ", max abs " << test::max_abs_diff(got, want));
        CHECK(err < (t == DataType::kFloat16 ? 2e-3 : 1e-5));
      }
      CHECK(tested == 30);
    }
  }
}

TEST_CASE("CUDA pointwise binary ops match the CPU ops with broadcasting both ways", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  const std::pair<Shape, Shape> pairs[] = {
      {Shape{2, 1, 5, 7}, Shape{3, 1, 7}},
      {Shape{3, 1, 7}, Shape{2, 1, 5, 7}},
      {Shape{1003}, Shape{1003}},
      {Shape{4, 1003}, Shape{1}},
      {Shape{1}, Shape{4, 9}},
      {Shape{6, 1, 1}, Shape{6, 5, 4}},
      {Shape{2, 3, 4, 5}, Shape{2, 3, 4, 5}},
  };
  const char* const ops[] = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min"};
  test::gpu::Stream stream;
  std::mt19937 rng(31);
  for (const auto& [as, bs] : pairs) {
    const Shape out = broadcast(as, bs);
    for (const char* op : ops) {
      const std::string name = op;
      // Pow: positive bases; Div: divisors away from zero.
      const Tensor af = name == "Pow" ? test::random_tensor(DataType::kFloat32, as, rng, 0.5, 2.0)
                                      : test::random_tensor(DataType::kFloat32, as, rng, -2.0, 2.0);
      const Tensor bf = name == "Div" ? random_operand(bs, rng)
                                      : test::random_tensor(DataType::kFloat32, bs, rng, -2.0, 2.0);
      for (DataType t : {DataType::kFloat32, DataType::kFloat16}) {
        const Tensor a = as_type(af, t), b = as_type(bf, t);
        const Tensor want = run_cpu(name, {}, {&a, &b})[0];
        DeviceMemory da = test::gpu::upload(a), db = test::gpu::upload(b);
        // Not reversed: x = A, operand B. Reversed: x = B, operand A, computing A OP B again.
        for (bool rev : {false, true}) {
          INFO(name << " " << as.to_string() << " with " << bs.to_string() << " -> "
                    << out.to_string() << " " << dtype_name(t) << (rev ? " reversed" : ""));
          cuda::PointwiseProgram p;
          p.rank = static_cast<int>(out.rank());
          const auto xst = bstrides(rev ? bs : as, out), ost = bstrides(rev ? as : bs, out);
          for (std::size_t d = 0; d < out.rank(); ++d) {
            p.dims[d] = out[d];
            p.x_strides[d] = xst[d];
            p.operand_strides[0][d] = ost[d];
          }
          p.num_operands = 1;
          p.operands[0] = rev ? da.get() : db.get();
          p.num_steps = 1;
          p.steps[0].op = op_of(name);
          p.steps[0].operand = 0;
          p.steps[0].reversed = rev;
          DeviceMemory dy = test::gpu::poisoned(want.nbytes());
          const Status s = cuda::pointwise(rev ? db.get() : da.get(), dy.get(), t, p, stream.get());
          INFO(s.to_string());
          REQUIRE(s.ok());
          test::gpu::sync(stream.get());
          const Tensor got = test::gpu::download(dy.get(), t, out);
          const double err = test::rel_l2(got, want);
          INFO("rel L2 " << err << ", max abs " << test::max_abs_diff(got, want));
          CHECK(err < (t == DataType::kFloat16 ? 2e-3 : 1e-5));
        }
      }
    }
  }
}

TEST_CASE("CUDA pointwise: Max/Min propagate NaN; unaligned, in-place and scalar programs",
          "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  test::gpu::Stream stream;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  {  // NaN from either side wins, as the CPU ops
    const std::vector<float> av = {nan, 1.f, 2.f, nan, -1.f}, bv = {1.f, nan, 3.f, nan, -2.f};
    Tensor a = Tensor::allocate(DataType::kFloat32, Shape{5}).value();
    Tensor b = Tensor::allocate(DataType::kFloat32, Shape{5}).value();
    for (int i = 0; i < 5; ++i) a.data<float>()[i] = av[i], b.data<float>()[i] = bv[i];
    DeviceMemory da = test::gpu::upload(a), db = test::gpu::upload(b);
    for (const char* op : {"Max", "Min"}) {
      INFO(op);
      const Tensor want = run_cpu(op, {}, {&a, &b})[0];
      cuda::PointwiseProgram p;
      p.rank = 1;
      p.dims[0] = 5;
      p.x_strides[0] = 1;
      p.num_operands = 1;
      p.operands[0] = db.get();
      p.operand_strides[0][0] = 1;
      p.num_steps = 1;
      p.steps[0].op = op_of(op);
      p.steps[0].operand = 0;
      DeviceMemory dy = test::gpu::poisoned(a.nbytes());
      REQUIRE(cuda::pointwise(da.get(), dy.get(), DataType::kFloat32, p, stream.get()).ok());
      test::gpu::sync(stream.get());
      const Tensor got = test::gpu::download(dy.get(), DataType::kFloat32, a.shape());
      for (int i = 0; i < 5; ++i) {
        const float g = got.data<float>()[i], w = want.data<float>()[i];
        INFO("element " << i << ": got " << g << ", want " << w);
        CHECK((std::isnan(g) ? std::isnan(w) : g == w));
      }
    }
  }
  std::mt19937 rng(12);
  const std::int64_t n = 1001;
  const Tensor a = test::random_tensor(DataType::kFloat32, Shape{n + 1}, rng, -2.0, 2.0);
  const Tensor b = random_operand(Shape{n}, rng);
  // CPU reference over a[1..n] (the unaligned view) and b: Mul then Tanh.
  Tensor a1 = Tensor::allocate(DataType::kFloat32, Shape{n}).value();
  for (std::int64_t i = 0; i < n; ++i) a1.data<float>()[i] = a.data<float>()[i + 1];
  Chain c;
  c.ops = {"Mul", "Tanh"};
  c.operands = {1, -1};
  c.reversed = {0, 0};
  c.alphas = {0.f, 0.f};
  c.betas = {0.f, 0.f};
  c.inputs = {0};
  const Tensor want = run_cpu("Pointwise", chain_attrs(c), {&a1, &b})[0];
  DeviceMemory da = test::gpu::upload(a), db = test::gpu::upload(b);
  const std::vector<Shape> shapes = {Shape{n}};
  const cuda::PointwiseProgram p = make_program(Shape{n}, Shape{n}, c, shapes, {db.get()});
  {  // x 4 bytes past a 16-byte boundary: the scalar flat path
    DeviceMemory dy = test::gpu::poisoned(static_cast<std::size_t>(n) * 4);
    REQUIRE(
        cuda::pointwise(da.as<float>() + 1, dy.get(), DataType::kFloat32, p, stream.get()).ok());
    test::gpu::sync(stream.get());
    CHECK(test::rel_l2(test::gpu::download(dy.get(), DataType::kFloat32, Shape{n}), want) < 1e-6);
  }
  {  // in place (y = x) on the vector path
    DeviceMemory dx = test::gpu::upload(a1);
    REQUIRE(cuda::pointwise(dx.get(), dx.get(), DataType::kFloat32, p, stream.get()).ok());
    test::gpu::sync(stream.get());
    CHECK(test::rel_l2(test::gpu::download(dx.get(), DataType::kFloat32, Shape{n}), want) < 1e-6);
  }
  {  // rank 0: one element, x and the operand scalars
    cuda::PointwiseProgram q;
    q.num_operands = 1;
    q.operands[0] = db.get();
    q.num_steps = 2;
    q.steps[0].op = PointwiseOp::kSub;
    q.steps[0].operand = 0;
    q.steps[0].reversed = true;
    q.steps[1].op = PointwiseOp::kIdentity;
    DeviceMemory dy = test::gpu::poisoned(4);
    REQUIRE(cuda::pointwise(da.get(), dy.get(), DataType::kFloat32, q, stream.get()).ok());
    test::gpu::sync(stream.get());
    const Tensor got = test::gpu::download(dy.get(), DataType::kFloat32, Shape{});
    CHECK(got.data<float>()[0] == b.data<float>()[0] - a.data<float>()[0]);
  }
}

TEST_CASE("CUDA pointwise: malformed programs are errors, not launches", "[cuda]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  DeviceMemory x(4096), y(4096);
  cuda::PointwiseProgram p;
  p.rank = 1;
  p.dims[0] = 16;
  p.x_strides[0] = 1;
  p.num_steps = 1;
  p.steps[0].op = PointwiseOp::kAdd;
  p.steps[0].operand = 0;  // but no operand
  CHECK(cuda::pointwise(x.get(), y.get(), DataType::kFloat32, p, nullptr).code() ==
        StatusCode::kInvalidArgument);
  p.num_operands = 1;
  p.operands[0] = x.get();
  p.operand_strides[0][0] = 1;
  CHECK(cuda::pointwise(x.get(), y.get(), DataType::kInt8, p, nullptr).code() ==
        StatusCode::kUnsupported);
  p.steps[0].op = static_cast<PointwiseOp>(200);
  CHECK(cuda::pointwise(x.get(), y.get(), DataType::kFloat32, p, nullptr).code() ==
        StatusCode::kInvalidArgument);
  p.steps[0].op = PointwiseOp::kAdd;
  p.rank = cuda::kMaxPointwiseRank + 1;
  CHECK(cuda::pointwise(x.get(), y.get(), DataType::kFloat32, p, nullptr).code() ==
        StatusCode::kInvalidArgument);
  CHECK(cuda::pointwise_f32(PointwiseOp::kAdd, x.as<float>(), y.as<float>(), 4, 0.f, nullptr)
            .code() == StatusCode::kInvalidArgument);
  CHECK(cuda::pointwise_is_binary(PointwiseOp::kPow));
  CHECK(!cuda::pointwise_is_binary(PointwiseOp::kIdentity));
  CHECK(cudaGetLastError() == cudaSuccess);
}

}  // namespace edgert
