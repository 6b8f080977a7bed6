// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// A layer's shape inference as the engine file records it: what the loader's verifier and the CUDA
// backend's CPU fallback both run the CPU op's infer on.

#include <cstddef>
#include <functional>

#include "edgert/tensor.h"
#include "engine/engine_def.h"
#include "kernels/cpu/op_def.h"

namespace edgert::runtime {

/// Layer `li`'s inference context: the recorded type and shape of each input up to the last
/// present one (on a CUDA engine float16 storage stands for float32 values, except in Reformat
/// layers, which convert types), the values `weight(k)` gives for input slot k (null: not a
/// weight), and one empty output slot per recorded output. `node` must outlive the context.
cpu::InferContext recorded_infer_context(const engine::EngineDef& def, std::size_t li,
                                         const cpu::NodeInfo& node,
                                         const std::function<const Tensor*(std::size_t)>& weight);

}  // namespace edgert::runtime
