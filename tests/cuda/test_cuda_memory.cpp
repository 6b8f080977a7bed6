// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// Memory on the GPU: both I/O paths (zero-copy mapped host memory, as on a Jetson, and device
// buffers with pinned staging, as on a discrete GPU) forced on whatever GPU runs the test, through
// execute(tensors) and through the host buffers; the environment override; the tracker's view of
// a CUDA engine (device weights, measured library overhead) and nothing left after teardown.

#include <cstdlib>
#include <cstring>
#include <random>

#include <catch2/catch.hpp>

#include "edgert/builder.h"
#include "edgert/engine.h"
#include "edgert/memory.h"
#include "edgert/memory_report.h"
#include "edgert/runtime.h"
#include "engine_build.h"
#include "test_util.h"

using namespace edgert;  // NOLINT(google-build-using-namespace): test file

namespace {

const std::string kModel = std::string(EDGERT_SOURCE_DIR) + "/examples/fashion/fashion_resnet.onnx";

std::shared_ptr<const Engine> build(const std::string& target) {
  BuildConfig c;
  c.onnx_path = kModel;
  c.batch = 4;
  c.target = target;
  return test::build_and_load(c);
}

/// Live I/O allocations of `kind` whose label contains `what`.
int live_io(MemoryKind kind, const std::string& what) {
  int n = 0;
  for (const auto& a : tracking_allocator().live())
    n += a.tag == MemoryTag::kIO && a.kind == kind && a.label.find(what) != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("cuda: zero-copy and staged I/O give the CPU's outputs", "[cuda][memory]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  const std::uint64_t base = tracking_allocator().total().current;
  {
    auto cpu = build("cpu");
    auto gpu = build("cuda");
    REQUIRE(cpu->inputs().size() == 1);
    REQUIRE(gpu->outputs().size() == 1);
    std::mt19937 rng(5);
    const auto& in = cpu->inputs()[0];
    const Tensor x = test::random_tensor(in.dtype, in.shape, rng, 0.0, 255.0);
    std::vector<Tensor> want;
    auto cctx = cpu->create_context();
    REQUIRE(cctx);
    REQUIRE((*cctx)->execute({&x}, want).ok());
    const std::string in_name = gpu->inputs()[0].name, out_name = gpu->outputs()[0].name;

    for (IoMemory mode : {IoMemory::kZeroCopy, IoMemory::kStaged}) {
      INFO(io_memory_name(mode));
      ContextOptions o;
      o.io_memory = mode;
      o.cuda_graph = mode == IoMemory::kStaged;  // one of the two replays a CUDA graph
      auto ctx = gpu->create_context(o);
      INFO(ctx.status().to_string());
      REQUIRE(ctx);
      CHECK((*ctx)->io_memory() == mode);
      // Where the I/O lives: mapped host memory only, or device buffers plus host staging.
      CHECK(live_io(MemoryKind::kPinned, "(zero-copy)") == (mode == IoMemory::kZeroCopy ? 2 : 0));
      CHECK(live_io(MemoryKind::kPinned, "(host staging)") == (mode == IoMemory::kStaged ? 2 : 0));
      CHECK(live_io(MemoryKind::kDevice, "input '") == (mode == IoMemory::kStaged ? 1 : 0));

      // execute(tensors), twice (the second replays the graph where there is one).
      for (int rep = 0; rep < 2; ++rep) {
        std::vector<Tensor> got;
        Status s = (*ctx)->execute({&x}, got);
        INFO(s.to_string());
        REQUIRE(s.ok());
        CHECK(test::rel_l2(got[0], want[0]) < 1e-5);
      }
      // In place: the input written into the host buffer, the output read from its host buffer.
      void* hin = (*ctx)->host_tensor_address(in_name);
      void* hout = (*ctx)->host_tensor_address(out_name);
      REQUIRE(hin);
      REQUIRE(hout);
      CHECK((*ctx)->host_tensor_address("no such tensor") == nullptr);
      std::memset(hout, 0, want[0].nbytes());
      std::memcpy(hin, x.raw(), x.nbytes());
      Status s = (*ctx)->execute();
      INFO(s.to_string());
      REQUIRE(s.ok());
      const Tensor got = Tensor::borrow(want[0].dtype(), want[0].shape(), hout, nullptr);
      CHECK(test::rel_l2(got, want[0]) < 1e-5);
      // A tensor that already is the host buffer is not copied onto itself.
      const Tensor in_place = Tensor::borrow(x.dtype(), x.shape(), hin, nullptr);
      std::vector<Tensor> again;
      REQUIRE((*ctx)->execute({&in_place}, again).ok());
      CHECK(test::rel_l2(again[0], want[0]) < 1e-5);
    }

    // The environment decides kAuto (the integrated path on a discrete GPU), and a wrong value is
    // an error naming the variable.
    setenv("EDGERT_IO_MEMORY", "zero-copy", 1);
    auto forced = gpu->create_context();
    REQUIRE(forced);
    CHECK((*forced)->io_memory() == IoMemory::kZeroCopy);
    setenv("EDGERT_IO_MEMORY", "sometimes", 1);
    auto bad = gpu->create_context();
    REQUIRE_FALSE(bad);
    CHECK(bad.status().code() == StatusCode::kInvalidArgument);
    CHECK(bad.status().message().find("EDGERT_IO_MEMORY") != std::string::npos);
    unsetenv("EDGERT_IO_MEMORY");

    // The tracker's view of a CUDA engine with a context alive: device weights and the measured
    // library overhead of the context's handles.
    CHECK(tracking_allocator().usage(MemoryKind::kDevice).current > 0);
    std::uint64_t library = 0;
    for (const auto& a : tracking_allocator().live())
      if (a.measured && a.tag == MemoryTag::kLibrary) library += a.bytes;
    CHECK(library > 0);
  }
  INFO(tracking_allocator().leak_report());
  CHECK(tracking_allocator().leak_report().empty());
  CHECK(tracking_allocator().total().current == base);
}

TEST_CASE("cuda: a budget refuses a CUDA context cleanly", "[cuda][memory]") {
  if (!test::cuda_device_available()) EDGERT_SKIP("no CUDA device");
  auto gpu = build("cuda");
  TrackingAllocator& t = tracking_allocator();
  t.set_budget(t.total().current + 1024);
  auto ctx = gpu->create_context();
  t.set_budget(0);
  REQUIRE_FALSE(ctx);
  INFO(ctx.status().to_string());
  CHECK(ctx.status().code() == StatusCode::kOutOfMemory);
  CHECK(ctx.status().message().find("memory budget exceeded") != std::string::npos);
  auto ok = gpu->create_context();
  CHECK(ok);
}
