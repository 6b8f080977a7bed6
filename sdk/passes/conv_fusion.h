// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Graph-editing helpers shared by the conv/gemm passes (fold_batchnorm, fold_scale, fold_pad,
// make_fused_layers, fuse_conv_add, fuse_conv_activation, fuse_conv_maxpool, fuse_gemm).
//
// The fusions all have one shape: a layer node absorbs the single node reading its output. The
// layer then produces the absorbed node's output value (so names downstream, graph outputs and
// observers keep seeing the same value), and its own former output disappears.

#include <string>
#include <vector>

#include "edgert/tensor.h"
#include "ir/graph.h"
#include "passes/pass.h"

namespace edgert::passes {

/// "" when `v` (the output of `owner`) may be fused away: exactly one reading slot and not a graph
/// output. Otherwise the reason, e.g. "conv1 output 'y' has 2 consumers".
std::string single_use_problem(const ir::Value& v, const ir::Node& owner);

/// The node reading `v` when exactly one node reads it, else null.
ir::Node* sole_consumer(const ir::Value& v);

/// Makes `layer` (whose output 0 is read only by `next`) produce `next`'s output 0, removes `next`
/// and appends next's origin names to layer's `fused` list.
void absorb_successor(ir::Graph& g, ir::Node& layer, ir::Node& next);

/// Points input slot `i` of `n` at `v` (null: omitted), growing the input list if needed and
/// keeping consumer lists right.
void set_input(ir::Node& n, std::size_t i, ir::Value* v);

/// Appends `other`'s origin names to n's `fused` list (n's own name first when it was empty).
void merge_origins(ir::Node& n, const ir::Node& other);

/// The data of a constant float32 value, or null (not constant, or another type).
const Tensor* constant_float(const ir::Value* v);

/// Adds a constant named after `base` (made unique) and returns it.
Expected<ir::Value*> add_fresh_constant(ir::Graph& g, const std::string& base, Tensor t);

/// A float32 tensor of `shape` (zeros).
Expected<Tensor> float_tensor(const Shape& shape);

/// Compacts, re-sorts and re-infers shapes: what every pass does after rewriting.
Status finish_pass(ir::Graph& g);

/// For a weight scaled by s[i] along `axis`: its explicit-quantization per-channel scales scaled by
/// |s[i]| into `out` (empty when the weight has none), or why they cannot follow (per tensor).
std::string scaled_weight_scales(const ir::Value& w, int axis, const std::vector<double>& s,
                                 std::vector<float>& out);

/// Folds y = s[m] * conv(x) + t[m] into Conv `conv` (constant float32 W, optional constant bias):
/// W' = s * W, b' = s * b + t, as new constants named <conv>_W_<suffix>, <conv>_B_<suffix> (W is
/// kept when every s is 1). Returns "" when done, else why it does not apply (nothing changed).
Expected<std::string> fold_affine_into_conv(ir::Graph& g, ir::Node& conv,
                                            const std::vector<double>& s,
                                            const std::vector<double>& t,
                                            const std::string& suffix);

/// The activation ops a FusedConv/FusedGemm can absorb (fuse_conv_activation's list).
bool is_fusable_activation(const std::string& op_type);

/// Fuses activation node `act` (which reads `layer`'s output 0) into FusedConv/FusedGemm `layer`,
/// or logs why not (one not_fused line under `pattern`). Returns whether it fused.
bool try_fuse_activation(ir::Graph& g, PassContext& ctx, ir::Node& layer, ir::Node& act,
                         const std::string& pattern);

/// Attribute readers for pass conditions: `def` when absent or malformed (a malformed attribute is
/// reported by the op's own shape inference, not by a pass).
std::int64_t int_attr(const ir::Node& n, const std::string& name, std::int64_t def);
float float_attr(const ir::Node& n, const std::string& name, float def);
std::string string_attr(const ir::Node& n, const std::string& name, const std::string& def);
std::vector<std::int64_t> ints_attr(const ir::Node& n, const std::string& name);

/// Short "[1,3,224,224]" form of a shape.
inline std::string shape_str(const Shape& s) { return s.to_string(); }

}  // namespace edgert::passes
