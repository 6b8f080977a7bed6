// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// The tensor (data movement / shape) op family table. Implementations: shape_ops.cpp,
// layout_ops.cpp, pad.cpp, gather_scatter.cpp; shared helpers in tensor_common.cpp.
#include <iterator>

#include "kernels/cpu/op_families.h"
#include "kernels/cpu/tensor_ops.h"

namespace edgert::cpu {
namespace {

using namespace tensor;  // NOLINT(google-build-using-namespace): the table names every kernel

constexpr int kVariadic = 1 << 20;
#define EDGERT_ALL_TYPES "float32, float16, int8, uint8, int32, int64, bool"

const OpDef kOps[] = {
    {"Reshape", 1, 1, 2, infer_reshape, compute_copy,
     EDGERT_ALL_TYPES "; shape as attribute before opset 5; allowzero from 14"},
    {"Flatten", 1, 1, 1, infer_flatten, compute_copy, EDGERT_ALL_TYPES},
    {"Transpose", 1, 1, 1, infer_transpose, compute_transpose, EDGERT_ALL_TYPES},
    {"Squeeze", 1, 1, 2, infer_squeeze, compute_copy,
     EDGERT_ALL_TYPES "; axes attribute before opset 13, input after"},
    {"Unsqueeze", 1, 1, 2, infer_unsqueeze, compute_copy,
     EDGERT_ALL_TYPES "; axes attribute before opset 13, input after"},
    {"Concat", 4, 1, kVariadic, infer_concat, compute_concat, EDGERT_ALL_TYPES},
    {"Split", 2, 1, 2, infer_split, compute_split,
     EDGERT_ALL_TYPES "; split attribute before opset 13, input after; num_outputs (18)"},
    {"Slice", 1, 1, 5, infer_slice, compute_slice,
     EDGERT_ALL_TYPES "; attributes before opset 10, inputs after; negative steps"},
    {"Gather", 1, 2, 2, infer_gather, compute_gather, EDGERT_ALL_TYPES "; int32/int64 indices"},
    {"GatherElements", 11, 2, 2, infer_gather_elements, compute_gather_elements,
     EDGERT_ALL_TYPES "; int32/int64 indices"},
    {"GatherND", 11, 2, 2, infer_gather_nd, compute_gather_nd,
     EDGERT_ALL_TYPES "; int32/int64 indices; batch_dims"},
    {"ScatterElements", 11, 3, 3, infer_scatter_elements, compute_scatter_elements,
     EDGERT_ALL_TYPES "; reduction add/mul (16), max/min (18) on numeric types"},
    {"Scatter", 9, 3, 3, infer_scatter_elements, compute_scatter_elements,
     EDGERT_ALL_TYPES "; deprecated alias of ScatterElements"},
    {"ScatterND", 11, 3, 3, infer_scatter_nd, compute_scatter_nd,
     EDGERT_ALL_TYPES "; reduction add/mul (16), max/min (18) on numeric types"},
    {"Pad", 1, 1, 4, infer_pad, compute_pad,
     EDGERT_ALL_TYPES "; modes constant/reflect/edge (not wrap); pads attribute before opset 11; "
                      "axes (18)"},
    {"Expand", 8, 2, 2, infer_expand, compute_expand, EDGERT_ALL_TYPES},
    {"Tile", 6, 2, 2, infer_tile, compute_tile, EDGERT_ALL_TYPES},
    {"Shape", 1, 1, 1, infer_shape, compute_shape, EDGERT_ALL_TYPES " input; start/end (15)"},
    {"Size", 1, 1, 1, infer_size, compute_size, EDGERT_ALL_TYPES " input"},
    {"Constant", 1, 0, 0, infer_constant, compute_constant,
     EDGERT_ALL_TYPES "; value, value_float(s), value_int(s); no sparse/string values"},
    {"ConstantOfShape", 9, 1, 1, infer_constant_of_shape, compute_constant_of_shape,
     EDGERT_ALL_TYPES " value"},
    {"Range", 11, 3, 3, infer_range, compute_range, "float32, int32, int64"},
    {"OneHot", 9, 3, 3, infer_one_hot, compute_one_hot,
     "numeric indices/depth; values " EDGERT_ALL_TYPES},
    {"DepthToSpace", 1, 1, 1, infer_depth_to_space, compute_depth_to_space,
     EDGERT_ALL_TYPES "; 4-D; DCR and CRD"},
    {"SpaceToDepth", 1, 1, 1, infer_space_to_depth, compute_space_to_depth,
     EDGERT_ALL_TYPES "; 4-D"},
    {"EyeLike", 9, 1, 1, infer_eye_like, compute_eye_like, EDGERT_ALL_TYPES},
    {"Trilu", 14, 1, 2, infer_trilu, compute_trilu, EDGERT_ALL_TYPES},
    {"NonZero", 9, 1, 1, infer_nonzero, compute_nonzero, EDGERT_ALL_TYPES " input"},
};
#undef EDGERT_ALL_TYPES

static_assert(std::size(kOps) == kTensorOpCount, "update kTensorOpCount in op_families.h");

}  // namespace

OpTable tensor_ops() { return {kOps, std::size(kOps)}; }

}  // namespace edgert::cpu
