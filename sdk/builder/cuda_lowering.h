// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Lowering for the CUDA target, after precision assignment: float16 layers get float16 weights
// and float16 tensors (convolutions in NHWC for tensor cores), every tensor gets the type and
// memory order its producer writes, and a Reformat layer is inserted wherever a consumer needs
// another one (graph inputs and outputs stay as the model declares them).

#include "ir/build_log.h"
#include "ir/graph.h"

namespace edgert::builder {

Status lower_for_cuda(ir::Graph& g, ir::BuildLog& log);

}  // namespace edgert::builder
