// Copyright EdgeRT authors. SPDX-License-Identifier: Apache-2.0
// `edgert`: the host tool. Subcommands are added in their own files (see commands.h).
#include <vector>

#include "tools/commands.h"

int main(int argc, char** argv) {
  using edgert::tools::Command;
  const Command commands[] = {
      {setup_build_command, run_build_command},
      {setup_inspect_command, run_inspect_command},
      {setup_run_command, run_run_command},
      {setup_eval_command, run_eval_command},
      {setup_devices_command, run_devices_command},
      {setup_bench_command, run_bench_command},
      {setup_memreport_command, run_memreport_command},
  };
  CLI::App app{"EdgeRT host tool"};
  app.require_subcommand(1);
  std::vector<CLI::App*> subs;
  for (const Command& c : commands) subs.push_back(c.setup(app));
  CLI11_PARSE(app, argc, argv);
  for (std::size_t i = 0; i < subs.size(); ++i)
    if (subs[i]->parsed()) return commands[i].run();
  return 1;
}
