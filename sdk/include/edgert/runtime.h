// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Running an engine: an ExecutionContext holds one activation arena and runs the engine's
/// layers on the CPU backend. Create one context per thread; a context is used by one thread at a
/// time (it is not locked). Contexts of one engine share its weights.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "edgert/engine.h"
#include "edgert/status.h"
#include "edgert/tensor.h"

namespace edgert {

/// Sees a tensor by name; the tensor (and its memory) is only valid during the call.
using TensorObserver = std::function<void(const std::string& name, const Tensor& t)>;

class ExecutionContext {
 public:
  ~ExecutionContext();
  ExecutionContext(const ExecutionContext&) = delete;
  ExecutionContext& operator=(const ExecutionContext&) = delete;

  /// Runs the engine. `inputs` in the order of Engine::inputs(), each of exactly the declared type
  /// and shape (kInvalidArgument naming the input otherwise); they are only read. `outputs`: either
  /// empty (resized and allocated here) or one tensor per Engine::outputs() entry, each either
  /// empty (allocated here) or of the declared type and shape (written in place).
  Status execute(const std::vector<const Tensor*>& inputs, std::vector<Tensor>& outputs);

  /// Called with every graph input, then with every layer output right after the layer ran
  /// (calibration, debugging, accuracy bisection). The tensor may live in the context's arena and
  /// is overwritten later: copy it (clone()) to keep it. Pass an empty function to remove it.
  void set_tensor_observer(TensorObserver observer);

  const Engine& engine() const noexcept;

  struct Impl;  ///< internal

 private:
  friend class Engine;
  explicit ExecutionContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgert
