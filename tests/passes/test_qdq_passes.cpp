// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// fold_qdq (explicit quantization): activation scales from Q/DQ pairs, int8 weight scales from
// DQ'd weights, scale propagation, the Q/DQ it keeps (and why), and the float graph it leaves
// against both the Q/DQ graph (within a derived quantization bound) and the same network built in
// float by hand (exactly).

#include <cmath>

#include "graph_pass_test_util.h"

namespace edgert::passes {
namespace {

using test_util::attrs;
using test_util::check_outputs;
using test_util::GraphBuilder;
using test_util::run_pass;

Tensor int8_tensor(const Shape& s, std::mt19937& rng, int lo = -127, int hi = 127) {
  return test::random_tensor(DataType::kInt8, s, rng, lo, hi);
}

template <class T>
Tensor filled(DataType t, const Shape& s, T v) {
  Tensor x = Tensor::allocate(t, s).value();
  for (std::int64_t i = 0; i < x.numel(); ++i) x.data<T>()[i] = v;
  return x;
}

Tensor floats_of(const std::vector<float>& v) {
  Tensor t =
      Tensor::allocate(DataType::kFloat32, Shape{static_cast<std::int64_t>(v.size())}).value();
  for (std::size_t i = 0; i < v.size(); ++i) t.data<float>()[i] = v[i];
  return t;
}

/// q * s per output channel (axis 0), computed here independently of the DQ kernel.
Tensor dequantize_axis0(const Tensor& q, const std::vector<float>& s) {
  Tensor f = Tensor::allocate(DataType::kFloat32, q.shape()).value();
  const std::int64_t per = q.numel() / q.shape()[0];
  for (std::int64_t i = 0; i < q.numel(); ++i) {
    const float scale = s.size() == 1 ? s[0] : s[static_cast<std::size_t>(i / per)];
    const double v =
        q.dtype() == DataType::kInt32 ? q.data<std::int32_t>()[i] : q.data<std::int8_t>()[i];
    f.data<float>()[i] = static_cast<float>(v) * scale;
  }
  return f;
}

/// max over output channels m of sum |w[m, ...]| (the conv's gain in the max norm).
double max_row_l1(const Tensor& w) {
  const std::int64_t per = w.numel() / w.shape()[0];
  double best = 0;
  for (std::int64_t m = 0; m < w.shape()[0]; ++m) {
    double s = 0;
    for (std::int64_t i = 0; i < per; ++i) s += std::fabs(w.data<float>()[m * per + i]);
    best = std::max(best, s);
  }
  return best;
}

/// The small quantized CNN of the main test: its int8 weights, scales and the activation scales.
struct QdqModel {
  Tensor w1q, b1q, w2q;
  std::vector<float> w1s, b1s;
  float w2s = 0.02f;
  float sx = 1.f / 127;  // inputs in [-1, 1): never clamped
  float sy = 0;          // chosen from the float network's pool output, see the test
};

QdqModel make_model() {
  std::mt19937 rng(42);
  QdqModel m;
  m.w1q = int8_tensor(Shape{4, 3, 3, 3}, rng);
  m.w1s = {0.004f, 0.006f, 0.003f, 0.005f};
  m.b1q = test::random_tensor(DataType::kInt32, Shape{4}, rng, -2000, 2000);
  for (float s : m.w1s) m.b1s.push_back(m.sx * s);  // the bias scale convention: s_x * s_w
  m.w2q = int8_tensor(Shape{2, 4, 1, 1}, rng);
  return m;
}

const AttrMap& conv1_attrs() {
  static const AttrMap a = attrs({{"kernel_shape", std::vector<std::int64_t>{3, 3}},
                                  {"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
  return a;
}
const AttrMap& pool_attrs() {
  static const AttrMap a = attrs({{"kernel_shape", std::vector<std::int64_t>{2, 2}},
                                  {"strides", std::vector<std::int64_t>{2, 2}}});
  return a;
}

/// x -> Q/DQ -> Conv(DQ(w1 int8 per-channel), DQ(b1 int32)) -> Relu -> MaxPool -> Q/DQ
///   -> Conv(DQ(w2 int8 per-tensor)) -> y
void build_qdq(GraphBuilder& b, const QdqModel& m) {
  const Tensor zero8 = filled<std::int8_t>(DataType::kInt8, Shape{}, 0);
  b.input("x", Shape{1, 3, 8, 8});
  b.node("QuantizeLinear", "qx", {"x", b.scalar("sx", m.sx), b.constant("zx", zero8)}, {"xq"});
  b.node("DequantizeLinear", "dqx", {"xq", "sx", "zx"}, {"xd"});
  b.node("DequantizeLinear", "dqw1",
         {b.constant("w1q", m.w1q), b.constant("w1s", floats_of(m.w1s)),
          b.constant("w1z", filled<std::int8_t>(DataType::kInt8, Shape{4}, 0))},
         {"w1"}, attrs({{"axis", std::int64_t{0}}}));
  b.node("DequantizeLinear", "dqb1",
         {b.constant("b1q", m.b1q), b.constant("b1s", floats_of(m.b1s))}, {"b1"},
         attrs({{"axis", std::int64_t{0}}}));
  b.node("Conv", "conv1", {"xd", "w1", "b1"}, {"c1"}, conv1_attrs());
  b.node("Relu", "relu", {"c1"}, {"r"});
  b.node("MaxPool", "pool", {"r"}, {"p"}, pool_attrs());
  b.node("QuantizeLinear", "qp", {"p", b.scalar("sy", m.sy), b.constant("zy", zero8)}, {"pq"});
  b.node("DequantizeLinear", "dqp", {"pq", "sy", "zy"}, {"pd"});
  b.node("DequantizeLinear", "dqw2",
         {b.constant("w2q", m.w2q), b.scalar("w2s", m.w2s), b.constant("w2z", zero8)}, {"w2"});
  b.node("Conv", "conv2", {"pd", "w2"}, {"y"});
  b.output("y");
}

/// The same network in float, weights dequantized by the test itself.
void build_float(GraphBuilder& b, const QdqModel& m) {
  b.input("x", Shape{1, 3, 8, 8});
  b.node("Conv", "conv1",
         {"x", b.constant("w1", dequantize_axis0(m.w1q, m.w1s)),
          b.constant("b1", dequantize_axis0(m.b1q, m.b1s))},
         {"c1"}, conv1_attrs());
  b.node("Relu", "relu", {"c1"}, {"r"});
  b.node("MaxPool", "pool", {"r"}, {"p"}, pool_attrs());
  b.node("Conv", "conv2", {"p", b.constant("w2", dequantize_axis0(m.w2q, {m.w2s}))}, {"y"});
  b.output("y");
}

}  // namespace

TEST_CASE("fold_qdq turns a Q/DQ CNN into a float graph with int8 scales", "[passes][fold_qdq]") {
  QdqModel m = make_model();
  const Tensor w1f = dequantize_axis0(m.w1q, m.w1s);
  const Tensor w2f = dequantize_axis0(m.w2q, {m.w2s});
  // Error budget (max norm). Q/DQ on x moves each input by at most s_x / 2 (|x| < 127 s_x, so no
  // clamping); conv1 amplifies that by at most max_m ||w1[m]||_1; Relu and MaxPool do not
  // amplify. The Q/DQ on the pool output adds at most s_y / 2 (when nothing is clamped); conv2
  // amplifies the sum by max_m ||w2[m]||_1.
  const double e1 = m.sx / 2 * max_row_l1(w1f);
  // s_y covers the pool output of the float network plus e1, so the Q/DQ graph never clamps.
  {
    ir::Graph fg;
    GraphBuilder fb(fg, 13);
    m.sy = 1.f;
    build_float(fb, m);
    fb.finish();
    std::mt19937 rng(1);
    auto res = ir::run_graph(fg, test_util::random_inputs(fg, rng), {true});
    REQUIRE(res.ok());
    double max_pool = 0;
    const Tensor& p = res->values.at("p");
    for (std::int64_t i = 0; i < p.numel(); ++i)
      max_pool = std::max(max_pool, std::fabs(p.get_as_double(i)));
    m.sy = static_cast<float>(1.05 * (max_pool + e1) / 127);
  }
  const double bound = (e1 + m.sy / 2.0) * max_row_l1(w2f);

  auto r = run_pass([&](GraphBuilder& b) { build_qdq(b, m); }, fold_qdq, 1, {}, 13);
  INFO(r.after->dump() << r.log_text());
  // Structure: no Q/DQ left, the weights are float32 constants.
  CHECK(r.nodes("QuantizeLinear").empty());
  CHECK(r.nodes("DequantizeLinear").empty());
  CHECK(r.node_count() == 4);
  const ir::Node* conv1 =
      r.nodes("Conv")[0]->info.name == "conv1" ? r.nodes("Conv")[0] : r.nodes("Conv")[1];
  CHECK(conv1->inputs[0]->name == "x");
  const ir::Value* w1 = r.after->find_value("w1");
  const ir::Value* w2 = r.after->find_value("w2");
  const ir::Value* b1 = r.after->find_value("b1");
  REQUIRE((w1 && w2 && b1));
  CHECK((w1->is_constant && w1->info.dtype == DataType::kFloat32));
  CHECK(w1->weight_scales == m.w1s);
  CHECK(w1->weight_scale_axis == 0);
  CHECK(w2->weight_scales == std::vector<float>{m.w2s, m.w2s});  // per-tensor, per output channel
  CHECK(w2->weight_scale_axis == 0);
  CHECK((b1->is_constant && b1->info.dtype == DataType::kFloat32 && b1->weight_scales.empty()));
  // Activation scales: x and the pool output from their pairs; the pool output's scale moves back
  // through MaxPool and Relu (exact for symmetric quantization) to the conv output.
  const std::map<std::string, float> want_scales = {
      {"x", m.sx}, {"c1", m.sy}, {"r", m.sy}, {"p", m.sy}};
  CHECK(r.after->activation_scales == want_scales);
  CHECK(r.logged("Folding Q/DQ qx, dqx on 'x': activation scale"));
  CHECK(r.logged(
      "Folding weight DequantizeLinear 'dqw1': 'w1' float32 with 4 int8 scales along axis 0"));
  CHECK(r.logged("Dequantizing bias 'b1' (dqb1) to float32"));

  // Numerics 1: within the quantization bound of the Q/DQ graph.
  const double diff = test::max_abs_diff(r.got[0], r.want[0]);
  INFO("max |float - qdq| = " << diff << ", bound " << bound);
  CHECK(diff <= bound * (1 + 1e-5) + 1e-6);
  CHECK(diff > 0);  // the Q/DQ graph did quantize: the comparison is not vacuous
  // Numerics 2: exactly the float network with the weights dequantized here.
  ir::Graph fg;
  GraphBuilder fb(fg, 13);
  build_float(fb, m);
  fb.finish();
  auto ref = ir::run_graph(fg, r.inputs);
  REQUIRE(ref.ok());
  CHECK(test::rel_l2(r.got[0], ref->outputs[0]) <= 1e-6);
}

TEST_CASE("fold_qdq keeps the Q/DQ it cannot represent and says why", "[passes][fold_qdq]") {
  auto r = run_pass(
      [](GraphBuilder& b) {
        const Tensor zero8 = filled<std::int8_t>(DataType::kInt8, Shape{}, 0);
        b.input("x", Shape{2, 8});
        b.input("xi", Shape{2, 8}, DataType::kInt8);
        b.scalar("s", 0.01f);
        b.constant("z", zero8);
        // uint8: no zero point.
        b.node("QuantizeLinear", "q_u8", {"x", "s"}, {"a_q"});
        b.node("DequantizeLinear", "dq_u8", {"a_q", "s"}, {"a"});
        // non-zero zero point.
        b.constant("z3", filled<std::int8_t>(DataType::kInt8, Shape{}, 3));
        b.node("QuantizeLinear", "q_zp", {"x", "s", "z3"}, {"b_q"});
        b.node("DequantizeLinear", "dq_zp", {"b_q", "s", "z3"}, {"b"});
        // per-channel activation scale.
        std::mt19937 rng(3);
        b.floats("s8", Shape{8}, rng, 0.005, 0.02);
        b.constant("z8", filled<std::int8_t>(DataType::kInt8, Shape{8}, 0));
        b.node("QuantizeLinear", "q_pc", {"x", "s8", "z8"}, {"c_q"});
        b.node("DequantizeLinear", "dq_pc", {"c_q", "s8", "z8"}, {"c"});
        // a rescale: Q(s) -> DQ(s2).
        b.scalar("s2", 0.02f);
        b.node("QuantizeLinear", "q_rs", {"x", "s", "z"}, {"d_q"});
        b.node("DequantizeLinear", "dq_rs", {"d_q", "s2", "z"}, {"d"});
        // the int8 tensor is a graph output.
        b.node("QuantizeLinear", "q_out", {"x", "s", "z"}, {"e_q"});
        b.node("DequantizeLinear", "dq_out", {"e_q", "s", "z"}, {"e"});
        // a DQ with no Q.
        b.node("DequantizeLinear", "dq_in", {"xi", "s", "z"}, {"f"});
        for (const char* o : {"a", "b", "c", "d", "e", "e_q", "f"}) b.output(o);
      },
      fold_qdq, 1, {}, 13);
  check_outputs(r, 0.0);
  INFO(r.log_text());
  CHECK(r.nodes("QuantizeLinear").size() == 5);
  CHECK(r.nodes("DequantizeLinear").size() == 6);
  CHECK(r.after->activation_scales.empty());
  CHECK(
      r.logged("Not fusing q_u8 with dq_u8 (qdq): uint8 (no zero point: the default type); kept"));
  CHECK(r.logged("Not fusing q_zp with dq_zp (qdq): non-zero zero point"));
  CHECK(r.logged("Not fusing q_pc with dq_pc (qdq): per-channel activation scale"));
  CHECK(r.logged("Not fusing q_rs with dq_rs (qdq): DequantizeLinear 'dq_rs' uses another scale"));
  CHECK(
      r.logged("Not fusing q_out with dq_out (qdq): the quantized tensor 'e_q' is a graph output"));
  CHECK(r.logged("Not fusing dq_in (qdq): DequantizeLinear without a QuantizeLinear"));
}

TEST_CASE("fold_qdq: consecutive pairs keep the first scale", "[passes][fold_qdq]") {
  const float s1 = 0.01f, s2 = 1.f / 60;
  auto r = run_pass(
      [&](GraphBuilder& b) {
        b.input("x", Shape{4, 16});
        b.node("Relu", "relu", {"x"}, {"r"});
        b.scalar("s1", s1);
        b.scalar("s2", s2);
        b.constant("z", filled<std::int8_t>(DataType::kInt8, Shape{}, 0));
        std::string cur = "r";
        int i = 0;
        for (const char* s : {"s1", "s1", "s2", "s2"}) {  // a redundant pair, then another scale
          const std::string n = std::to_string(i++);
          b.node("QuantizeLinear", "q" + n, {cur, s, "z"}, {"q" + n + "_out"});
          b.node("DequantizeLinear", "dq" + n, {"q" + n + "_out", s, "z"}, {"dq" + n + "_out"});
          cur = "dq" + n + "_out";
        }
        b.node("Tanh", "tanh", {cur}, {"y"});
        b.output("y");
      },
      fold_qdq, 2, {}, 13);
  CHECK(r.node_count() == 2);
  // Relu commutes with symmetric quantization: its input gets the scale too.
  CHECK(r.after->activation_scales == std::map<std::string, float>{{"x", s1}, {"r", s1}});
  CHECK(r.logged("'r' keeps its first scale"));
  // The Q/DQ graph rounds to the s1 grid, then the s2 grid (Tanh is 1-Lipschitz); inputs in
  // [-1, 1) stay inside both ranges.
  CHECK(test::max_abs_diff(r.got[0], r.want[0]) <= (s1 + s2) / 2 + 1e-6);
}

TEST_CASE("fold_qdq: a dequantized graph output takes over its tensor", "[passes][fold_qdq]") {
  const float s = 0.02f;
  auto r = run_pass(
      [&](GraphBuilder& b) {
        b.input("x", Shape{3, 5});
        b.input("x2", Shape{3, 5});
        b.constant("z", filled<std::int8_t>(DataType::kInt8, Shape{}, 0));
        b.scalar("s", s);
        b.node("Relu", "relu", {"x"}, {"r"});
        b.node("QuantizeLinear", "q", {"r", "s", "z"}, {"rq"});
        b.node("DequantizeLinear", "dq", {"rq", "s", "z"}, {"y"});
        b.node("Exp", "exp", {"r"}, {"e"});
        // Concat of two inputs with one scale: the output inherits it (and the Relu after it).
        b.node("QuantizeLinear", "qa", {"x2", "s", "z"}, {"aq"});
        b.node("DequantizeLinear", "dqa", {"aq", "s", "z"}, {"a"});
        b.node("Concat", "cat", {"y", "a"}, {"c"}, attrs({{"axis", std::int64_t{1}}}));
        b.node("Relu", "relu2", {"c"}, {"w"});
        b.output("y");
        b.output("e");
        b.output("w");
      },
      fold_qdq, 3, {}, 13);
  INFO(r.after->dump() << r.log_text());
  REQUIRE(r.nodes("Relu").size() == 2);
  CHECK(r.after->find_value("y")->producer->info.name == "relu");
  CHECK(r.nodes("Exp")[0]->inputs[0]->name == "y");
  CHECK(r.after->activation_scales ==
        std::map<std::string, float>{{"x", s}, {"y", s}, {"x2", s}, {"c", s}, {"w", s}});
  CHECK(test::max_abs_diff(r.got[0], r.want[0]) <= s / 2 + 1e-7);
  CHECK(test::max_abs_diff(r.got[1], r.want[1]) == 0.0);  // Exp read r before and after
  CHECK(test::max_abs_diff(r.got[2], r.want[2]) <= s / 2 + 1e-7);
}

TEST_CASE("fold_qdq folds weights of Gemm/MatMul and fake-quantized float weights",
          "[passes][fold_qdq]") {
  auto r = run_pass(
      [](GraphBuilder& b) {
        std::mt19937 rng(5);
        b.input("x", Shape{2, 4});
        // MatMul with a per-tensor int8 weight [K=4, N=3]: scales along axis 1.
        b.node("DequantizeLinear", "dq_mm",
               {b.constant("wq", int8_tensor(Shape{4, 3}, rng)), b.scalar("ws", 0.01f),
                b.constant("wz", filled<std::int8_t>(DataType::kInt8, Shape{}, 0))},
               {"w"});
        b.node("MatMul", "mm", {"x", "w"}, {"y"});
        // Gemm transB=1 with a float weight fake-quantized by Q -> DQ on constants.
        b.floats("wf", Shape{5, 4}, rng);
        b.node("QuantizeLinear", "q_g", {"wf", "ws", "wz"}, {"wf_q"});
        b.node("DequantizeLinear", "dq_g", {"wf_q", "ws", "wz"}, {"wg"});
        b.node("Gemm", "gemm", {"x", "wg"}, {"z"}, attrs({{"transB", std::int64_t{1}}}));
        // uint8 weight with a zero point: float32, no int8 scales.
        b.constant("wu", test::random_tensor(DataType::kUInt8, Shape{4, 2}, rng, 0, 255));
        b.constant("wuz", filled<std::uint8_t>(DataType::kUInt8, Shape{}, 128));
        b.node("DequantizeLinear", "dq_u", {"wu", "ws", "wuz"}, {"wu_f"});
        b.node("MatMul", "mm_u", {"x", "wu_f"}, {"u"});
        b.output("y");
        b.output("z");
        b.output("u");
      },
      fold_qdq, 4, {}, 13);
  check_outputs(r, 0.0);
  INFO(r.log_text());
  CHECK(r.node_count() == 3);
  CHECK(r.after->find_value("w")->weight_scales == std::vector<float>(3, 0.01f));
  CHECK(r.after->find_value("w")->weight_scale_axis == 1);
  CHECK(r.after->find_value("wg")->weight_scales == std::vector<float>(5, 0.01f));
  CHECK(r.after->find_value("wg")->weight_scale_axis == 0);
  CHECK(r.after->find_value("wu_f")->weight_scales.empty());
  CHECK(r.logged(
      "Dequantizing weight 'wu_f' (dq_u) to float without int8 scales: uint8 quantization"));
}

}  // namespace edgert::passes
