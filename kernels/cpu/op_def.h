// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// The definition of one operator on the CPU: attribute checks + shape/type inference + the
// reference kernel. The same infer function serves the IR's static shape inference (with unknown
// dims and only constant inputs known) and the executors (with every input known), so shape logic
// is written once. Adding an op: see docs/operators.md for the files it touches.

#include <cstdint>
#include <string>
#include <vector>

#include "core/attributes.h"
#include "edgert/status.h"
#include "edgert/tensor.h"

namespace edgert::cpu {

/// What a kernel needs to know about the node it runs.
struct NodeInfo {
  std::string op_type;      ///< ONNX op type, e.g. "Conv"
  std::string name;         ///< node name (may be empty in ONNX; the importer fills a unique one)
  int opset = 17;           ///< opset of the default domain the model imports
  std::int64_t index = -1;  ///< position in the graph, for error messages
  AttrMap attrs;

  /// "node 'conv1' (#3, Conv, opset 13)": the prefix of every error about this node.
  std::string describe() const;
};

/// Type and (possibly partial) shape of a value.
struct TensorInfo {
  DataType dtype = DataType::kUndefined;
  Shape shape = Shape::unknown();
};

struct InferContext {
  const NodeInfo& node;
  /// One entry per input slot; an omitted optional input has dtype kUndefined and present=false.
  std::vector<TensorInfo> inputs;
  std::vector<bool> present;
  /// Constant input values where known (always known when called by an executor), else null.
  std::vector<const Tensor*> values;
  /// Filled by infer: one entry per output slot of the node.
  std::vector<TensorInfo> outputs;

  bool has_input(std::size_t i) const { return i < present.size() && present[i]; }
  const Tensor* value(std::size_t i) const { return i < values.size() ? values[i] : nullptr; }
};

struct ComputeContext {
  const NodeInfo& node;
  /// Null for an omitted optional input.
  std::vector<const Tensor*> inputs;
  /// Allocated by the executor with the types/shapes infer produced.
  std::vector<Tensor*> outputs;

  bool has_input(std::size_t i) const { return i < inputs.size() && inputs[i] != nullptr; }
};

using InferFn = Status (*)(InferContext&);
using ComputeFn = Status (*)(ComputeContext&);

struct OpDef {
  const char* op_type;
  int min_opset;   ///< oldest opset whose semantics the implementation follows
  int min_inputs;  ///< required inputs
  int max_inputs;  ///< accepted inputs (optional ones included)
  InferFn infer;
  ComputeFn compute;
  /// One line for docs/operators.md: types and restrictions ("float32; 2-D only").
  const char* restrictions;
};

/// The op table (explicit, see registry.cpp). Null when the op is unknown.
const OpDef* find_op(const std::string& op_type);
/// All ops, for docs and tests.
const std::vector<const OpDef*>& all_ops();

/// Runs one node: validates the input count, infers output types/shapes from the actual inputs,
/// allocates the outputs and computes them. Errors carry the node description.
Status run_node(const NodeInfo& node, const std::vector<const Tensor*>& inputs,
                std::vector<Tensor>& outputs, std::size_t num_outputs);

/// True when an output shape that `infer` gave with only constant inputs known (`ictx` after infer)
/// is not static: it depends on the values of a run-time input (Resize scales or sizes, a Tile's
/// repeats, ... fed as a graph input). A compiled engine fixes such shapes at build time, so every
/// run must check them with check_output_shapes().
bool shapes_depend_on_values(const InferContext& ictx);

/// Infers the output shapes from the actual `inputs` and checks them against the buffers in
/// `outputs` (null entries skipped): an error naming the node when the inputs' values ask for other
/// shapes than the engine was built for, before the kernel could write past a buffer.
Status check_output_shapes(const OpDef& op, const NodeInfo& node,
                           const std::vector<const Tensor*>& inputs,
                           const std::vector<Tensor*>& outputs);

}  // namespace edgert::cpu
