// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The graph IR the builder works on: values (typed, shaped, optionally constant) connected by
// nodes. Values and nodes are owned by the Graph and addressed by stable pointers.

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/op_def.h"

namespace edgert::ir {

struct Node;

struct Value {
  std::string name;
  cpu::TensorInfo info;
  Node* producer = nullptr;  ///< null for graph inputs and initializers
  std::vector<Node*> consumers;
  /// Set for initializers and folded constants.
  bool is_constant = false;
  Tensor data;
  bool is_graph_input = false;
  bool is_graph_output = false;
  /// Per-output-channel int8 weight scales, set when the weight came from a DequantizeLinear
  /// (explicit quantization) so that int8 lowering reproduces the model's own int8 values.
  std::vector<float> weight_scales;
  int weight_scale_axis = 0;
  /// CUDA target: stored NHWC (4-D, channels innermost) instead of row-major; shapes stay NCHW.
  bool nhwc = false;
};

struct Node {
  cpu::NodeInfo info;
  std::string domain;  ///< "" for the default ONNX domain
  /// Null entries stand for omitted optional inputs/outputs.
  std::vector<Value*> inputs;
  std::vector<Value*> outputs;
  bool dead = false;  ///< removed; dropped by Graph::compact()

  // Builder annotations (set by passes and precision assignment; printed in the layer table).
  /// Names of the original model nodes this node stands for after fusion (empty: just itself).
  std::vector<std::string> fused;
  Precision precision = Precision::kFP32;
  std::string tactic;  ///< the kernel chosen for the node on the build target
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  std::string name;
  int opset = 17;        ///< default-domain opset the model imports
  std::string producer;  ///< e.g. "pytorch 1.13.1"
  /// The model's metadata_props (e.g. "edgert.labels", "edgert.preprocess": see docs/engine.md).
  std::map<std::string, std::string> metadata;
  /// Per-tensor int8 scales of activations (value name -> scale, real = scale * q), from Q/DQ nodes
  /// (explicit quantization) or from calibration. Symmetric: the zero point is 0.
  std::map<std::string, float> activation_scales;

  /// The value called `name`, created if absent.
  Value* get_or_add_value(const std::string& name);
  /// Null if there is none.
  Value* find_value(const std::string& name) const;
  /// Adds a constant value (initializer). Fails if a value of that name already has a producer or
  /// data.
  Expected<Value*> add_constant(const std::string& name, Tensor data);
  /// Appends a node; wires producers/consumers. An empty input or output name means "omitted".
  Expected<Node*> add_node(cpu::NodeInfo info, std::string domain,
                           const std::vector<std::string>& inputs,
                           const std::vector<std::string>& outputs);

  std::vector<Value*>& inputs() { return inputs_; }
  const std::vector<Value*>& inputs() const { return inputs_; }
  std::vector<Value*>& outputs() { return outputs_; }
  const std::vector<Value*>& outputs() const { return outputs_; }
  /// Nodes in topological order once topological_sort() has run.
  const std::vector<Node*>& nodes() const { return order_; }

  /// Orders nodes so that producers come first; error naming a node on a cycle or a value that is
  /// read but never produced.
  Status topological_sort();
  /// Static shape/type inference for every node in order (unknown dims stay unknown).
  Status infer_shapes();
  /// Drops dead nodes and values nothing refers to.
  void compact();
  /// Marks a node dead and unhooks it from its inputs' consumer lists.
  void remove_node(Node* n);
  /// One line per input, constant summary, one line per node (ncnn .param-like).
  std::string dump(bool with_constants = false) const;

 private:
  std::deque<Value> values_;
  std::map<std::string, Value*> by_name_;
  std::deque<Node> node_storage_;
  std::vector<Node*> order_;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
};

/// The inference context of node `n` as the graph stands: its inputs' types and shapes, the
/// values of its constant inputs, one empty output slot per output (ready for OpDef::infer).
cpu::InferContext infer_context(const Node& n);

}  // namespace edgert::ir
