// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The nn family's op table (kernels in conv.cpp, pool.cpp, gemm.cpp, norm.cpp).
#include <iterator>

#include "kernels/cpu/nn_common.h"
#include "kernels/cpu/op_families.h"

namespace edgert::cpu {

OpTable nn_ops() {
  static const OpDef kOps[] = {
      {"Conv", 1, 2, 3, infer_conv, compute_conv,
       "float32; 1-D to 3-D; groups, dilations, auto_pad"},
      {"ConvTranspose", 1, 2, 3, infer_conv_transpose, compute_conv_transpose,
       "float32; 1-D to 3-D; groups, dilations, output_padding, output_shape, auto_pad"},
      {"MaxPool", 1, 1, 1, infer_pool, compute_max_pool,
       "float32, int8, uint8; 1-D to 3-D; Indices output (int64), storage_order, ceil_mode"},
      {"AveragePool", 1, 1, 1, infer_pool, compute_average_pool,
       "float32; 1-D to 3-D; count_include_pad, ceil_mode"},
      {"LpPool", 1, 1, 1, infer_pool, compute_lp_pool, "float32; 1-D to 3-D"},
      {"GlobalAveragePool", 1, 1, 1, infer_global_pool, compute_global_average_pool, "float32"},
      {"GlobalMaxPool", 1, 1, 1, infer_global_pool, compute_global_max_pool,
       "float32, int8, uint8"},
      {"GlobalLpPool", 2, 1, 1, infer_global_pool, compute_global_lp_pool, "float32"},
      {"Gemm", 1, 2, 3, infer_gemm, compute_gemm, "float32; C unidirectionally broadcast"},
      {"MatMul", 1, 2, 2, infer_matmul, compute_matmul, "float32; numpy batch broadcasting"},
      {"BatchNormalization", 1, 5, 5, infer_batch_norm, compute_batch_norm,
       "float32; inference only (training_mode=1, spatial=0 unsupported)"},
      {"InstanceNormalization", 1, 3, 3, infer_instance_norm, compute_instance_norm, "float32"},
      {"LayerNormalization", 17, 2, 3, infer_layer_norm, compute_layer_norm,
       "float32; stash_type=1 only; optional Mean/InvStdDev outputs"},
      {"LRN", 1, 1, 1, infer_lrn, compute_lrn, "float32"},
      {"MeanVarianceNormalization", 9, 1, 1, infer_mvn, compute_mvn, "float32"},
  };
  static_assert(std::size(kOps) == kNnOpCount, "update kNnOpCount in op_families.h");
  return {kOps, std::size(kOps)};
}

}  // namespace edgert::cpu
