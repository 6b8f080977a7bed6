// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// ONNX import: a .onnx file (protobuf ModelProto) -> ir::Graph. Supports opsets 7..18 of the
// default domain, initializers in typed fields, raw_data and external data files; folds constant
// subgraphs (shape computations) when asked. Every error names the file and, where it applies,
// the node (name, index, op type, opset), the initializer or the field.

#include <map>
#include <memory>
#include <string>

#include "edgert/status.h"
#include "edgert/tensor.h"
#include "ir/graph.h"

namespace edgert::onnx {

struct ImportOptions {
  /// Fold nodes whose inputs are all constant (and Shape of statically shaped values).
  bool fold_constants = true;
  /// Override graph input shapes ("input" -> [1,3,224,224]); unknown dims stay symbolic otherwise.
  std::map<std::string, Shape> input_shapes;
};

/// Imports the model at `path`. External data files are resolved relative to its directory.
Expected<std::unique_ptr<ir::Graph>> import_model(const std::string& path,
                                                  const ImportOptions& options = {});

/// Imports a model held in memory; `base_dir` resolves external data ("" = none allowed).
/// `label` names the model in error messages.
Expected<std::unique_ptr<ir::Graph>> import_model_from_memory(const void* data, std::size_t size,
                                                              const std::string& base_dir,
                                                              const std::string& label,
                                                              const ImportOptions& options = {});

/// Reads a file holding one serialized TensorProto (the ONNX test-data format input_0.pb).
/// `name` receives the tensor's name when not null.
Expected<Tensor> read_tensor_file(const std::string& path, std::string* name = nullptr);

}  // namespace edgert::onnx
