// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
#pragma once
// Subcommands of the `edgert` tool. Each lives in its own file as a pair of functions:
//   CLI::App* setup_xxx_command(CLI::App& app);  // adds the subcommand and its options
//   int run_xxx_command();                        // runs it after parsing; the exit code
// Adding one = a new file, its two declarations here and one line in the table in main.cpp.

#include <CLI/CLI.hpp>

namespace edgert::tools {

struct Command {
  CLI::App* (*setup)(CLI::App& app);
  int (*run)();
};

}  // namespace edgert::tools

CLI::App* setup_inspect_command(CLI::App& app);
int run_inspect_command();
CLI::App* setup_devices_command(CLI::App& app);
int run_devices_command();
CLI::App* setup_build_command(CLI::App& app);
int run_build_command();
CLI::App* setup_run_command(CLI::App& app);
int run_run_command();
CLI::App* setup_eval_command(CLI::App& app);
int run_eval_command();
CLI::App* setup_bench_command(CLI::App& app);
int run_bench_command();
CLI::App* setup_memreport_command(CLI::App& app);
int run_memreport_command();
