// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Camera-frame preprocessing on the GPU: colour conversion, bilinear resize (stretch or
// letterbox), normalisation and layout in one kernel, from any PixelFormat to the network input.
// Follows kernels/cpu/preprocess.h to the letter (that file states the definition; the CPU kernel
// is the reference this one is tested against).

#include "edgert/kernels/cuda_common.h"
#include "edgert/preprocess.h"

namespace edgert::cuda {

/// An 8-bit frame (edgert/preprocess.h's ImageFrame) whose planes are in device memory or
/// device-accessible memory (mapped, managed).
using DeviceFrame = ImageFrame;

/// Preprocesses one frame into dst: C x spec.height x spec.width (NCHW) or H x W x C (NHWC) of
/// type dst_type (kFloat32 or kFloat16). kInvalidArgument for a disabled spec, sizes <= 0,
/// missing planes or short strides.
Status preprocess_frame(const DeviceFrame& f, const PreprocessSpec& spec, void* dst,
                        DataType dst_type, cudaStream_t stream);

}  // namespace edgert::cuda
