// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Private pieces of the ONNX importer, shared by its files (and by white-box tests). Names the
// protobuf types as ::onnx::..., since edgert::onnx shadows the namespace `onnx` here.

#include <string>

// onnx_pb.h defines ONNX_API before including onnx-ml.pb.h (which needs it).
#include <onnx/onnx_pb.h>

#include "core/attributes.h"
#include "edgert/status.h"
#include "edgert/tensor.h"
#include "kernels/cpu/op_def.h"

namespace edgert::onnx {

/// TensorProto element type -> DataType; kUndefined for types EdgeRT does not handle.
DataType convert_dtype(int onnx_type);
/// "FLOAT", "DOUBLE", ... (or the number for values outside the enum).
std::string onnx_dtype_name(int onnx_type);

/// Converts a TensorProto (typed fields, raw_data or external data resolved against `base_dir`;
/// "" forbids external data). `what` names the tensor in errors ("initializer 'W'").
Expected<Tensor> convert_tensor(const ::onnx::TensorProto& proto, const std::string& base_dir,
                                const std::string& what);

/// Converts the attributes of `proto` into `node.attrs`; errors name the node and attribute.
Status convert_attributes(const ::onnx::NodeProto& proto, const std::string& base_dir,
                          cpu::NodeInfo& node);

}  // namespace edgert::onnx
