// `strata backup`, `strata restore` and `strata inspect`: the data-directory tools of the cold
// tier (docs/format/backup.md). Each registers its flags on construction; Run() returns the exit
// code: 0 done, 1 runtime error, 2 usage error.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "storage_flags.h"

namespace strata::cli {

class BackupCommand {
 public:
  explicit BackupCommand(CLI::App* app);
  bool parsed() const { return cmd_->parsed(); }
  int Run();

 private:
  CLI::App* cmd_;
  std::string data_dir_;
  std::string url_;
  std::string to_;
  StorageFlags storage_;
};

class RestoreCommand {
 public:
  explicit RestoreCommand(CLI::App* app);
  bool parsed() const { return cmd_->parsed(); }
  int Run();

 private:
  CLI::App* cmd_;
  std::string from_;
  std::string data_dir_;
  StorageFlags storage_;
};

class InspectCommand {
 public:
  explicit InspectCommand(CLI::App* app);
  bool parsed() const { return cmd_->parsed(); }
  int Run();

 private:
  CLI::App* cmd_;
  std::string data_dir_ = "./data";
  std::string output_ = "text";
  int top_ = 10;
  StorageFlags storage_;
};

}  // namespace strata::cli
