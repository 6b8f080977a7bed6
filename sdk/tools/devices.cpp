// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// `edgert devices`: the CUDA devices this machine offers and the CUDA library versions in use.
//
// Registration in sdk/tools/main.cpp (this file declares no header of its own):
//   CLI::App* setup_devices_command(CLI::App& app);  // adds the "devices" subcommand
//   int run_devices_command();                        // runs it; returns the exit code
// e.g.
//   CLI::App* devices = setup_devices_command(app);
//   CLI11_PARSE(app, argc, argv);
//   if (*devices) return run_devices_command();
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "edgert/device.h"
#include "tools/cli_util.h"

namespace {

double gib(std::size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0); }

}  // namespace

CLI::App* setup_devices_command(CLI::App& app) {
  return app.add_subcommand("devices", "List the CUDA devices and the CUDA library versions");
}

int run_devices_command() {
  if (!edgert::cuda_backend_built()) {
    std::printf("CUDA backend: not built (CPU only)\n");
    return 0;
  }
  std::printf("CUDA backend: built; cuDNN %s, cuBLAS %s\n", edgert::cudnn_version_string().c_str(),
              edgert::cublas_version_string().c_str());
  auto devices = edgert::list_devices();
  if (!devices.ok()) {
    std::fprintf(stderr, "edgert devices: %s\n", devices.status().to_string().c_str());
    return 1;
  }
  if (devices->empty()) {
    std::printf("no CUDA device visible (no GPU, no NVIDIA driver, or CUDA_VISIBLE_DEVICES)\n");
    return 0;
  }
  for (const edgert::DeviceInfo& d : *devices) {
    std::printf("#%d %s: sm_%d%d, %d SMs, %.1f GiB (%.1f GiB free), %s, managed memory %s%s\n",
                d.index, d.name.c_str(), d.sm_major, d.sm_minor, d.multiprocessors,
                gib(d.total_memory), gib(d.free_memory), d.integrated ? "integrated" : "discrete",
                d.managed_memory ? "yes" : "no",
                d.concurrent_managed_access ? " (concurrent access)" : "");
    std::printf("   CUDA driver %s, runtime %s\n",
                edgert::tools::cuda_version_text(d.driver_version).c_str(),
                edgert::tools::cuda_version_text(d.runtime_version).c_str());
  }
  return 0;
}
