// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Internal to the misc family: the quantization entry points (quant.cpp) for the family table in
// resize.cpp.

#include "kernels/cpu/op_util.h"

namespace edgert::cpu {

Status infer_quantize(InferContext& ctx);
Status compute_quantize(ComputeContext& ctx);
Status infer_dequantize(InferContext& ctx);
Status compute_dequantize(ComputeContext& ctx);
Status infer_dynamic_quantize(InferContext& ctx);
Status compute_dynamic_quantize(ComputeContext& ctx);

}  // namespace edgert::cpu
