#include "backup.h"

#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string_view>

#include "base/crash_point.h"
#include "base/dir_size.h"
#include "base/file_lock.h"
#include "server/json_writer.h"
#include "storage/cold_store.h"
#include "storage/data_dir.h"
#include "storage/downsample.h"
#include "storage/head.h"
#include "storage/merge_querier.h"
#include "storage/snapshot.h"
#include "storage/warm_store.h"

namespace strata::cli {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Progress lines overwrite each other on a terminal and are silent otherwise.
storage::Progress TerminalProgress() {
  if (isatty(STDERR_FILENO) == 0) return {};
  return [](const std::string& line) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
  };
}
void EndProgress() {
  if (isatty(STDERR_FILENO) != 0) std::fprintf(stderr, "\r\033[K");
}

int Fail(const char* prog, const std::string& what, const Status& s) {
  EndProgress();
  std::fprintf(stderr, "%s: %s: %s\n", prog, what.c_str(), s.ToString().c_str());
  return 1;
}

bool IsS3(const std::string& where) { return where.rfind("s3://", 0) == 0; }

// A backup location: a directory path (plain or file://) or s3://BUCKET/PREFIX with the S3
// options of the --storage.cold.s3.* flags.
Result<std::unique_ptr<storage::objstore::ObjectStore>> OpenLocation(
    const std::string& where, const storage::ColdConfig& cold, bool create) {
  storage::objstore::ObjectStoreOptions o;
  o.s3 = cold.store.s3;
  if (IsS3(where)) {
    o.url = where;
    return storage::objstore::OpenObjectStore(o, "", nullptr);
  }
  std::string path = where.rfind("file://", 0) == 0 ? where.substr(7) : where;
  std::error_code ec;
  path = std::filesystem::absolute(path, ec).string();
  if (!create && !std::filesystem::is_directory(path, ec)) {
    return Status::NotFound(where + " is not a directory");
  }
  o.url = "file://" + path;
  return storage::objstore::OpenObjectStore(o, path, nullptr);
}

// True when the location holds no object (a new directory counts as empty).
Result<bool> LocationEmpty(storage::objstore::ObjectStore* store) {
  STRATA_ASSIGN_OR_RETURN(auto objects, store->List(""));
  return objects.empty();
}

// POST http://HOST:PORT/api/v1/admin/tsdb/snapshot; returns the snapshot directory.
// "HOST:PORT" of --url http://HOST:PORT[/]; InvalidArgument for anything else.
Result<std::string> ParseServerUrl(const std::string& url) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  if (rest.empty() || rest.find('/') != std::string::npos || colon == std::string::npos ||
      colon == 0 || colon + 1 == rest.size()) {
    return Status::InvalidArgument("--url " + url + ": want http://HOST:PORT");
  }
  return rest;
}

Result<std::string> RequestSnapshot(const std::string& url) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  namespace asio = boost::asio;
  STRATA_ASSIGN_OR_RETURN(std::string rest, ParseServerUrl(url));
  size_t colon = rest.rfind(':');
  std::string host = rest.substr(0, colon), port = rest.substr(colon + 1);
  asio::io_context ioc;
  asio::ip::tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return Status::Unavailable("resolving " + rest + ": " + ec.message());
  stream.expires_after(std::chrono::hours(6));
  stream.connect(endpoints, ec);
  if (ec) return Status::Unavailable("connecting to " + rest + ": " + ec.message());
  http::request<http::string_body> req{http::verb::post, "/api/v1/admin/tsdb/snapshot", 11};
  req.set(http::field::host, rest);
  req.prepare_payload();
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  if (!ec) http::read(stream, buffer, parser, ec);
  if (ec) return Status::Unavailable("snapshot request to " + rest + ": " + ec.message());
  const std::string& body = parser.get().body();
  if (parser.get().result_int() != 200) {
    return Status::Unavailable("snapshot request to " + rest + " answered " +
                               std::to_string(parser.get().result_int()) + ": " + body);
  }
  // {"status":"success","data":{"name":"...","dir":"..."}}: dir holds no quotes or escapes
  // (the server's absolute data directory plus a generated name).
  size_t p = body.find("\"dir\":\"");
  size_t e = p == std::string::npos ? p : body.find('"', p + 7);
  if (e == std::string::npos) return Status::Internal("unexpected snapshot answer: " + body);
  return body.substr(p + 7, e - p - 7);
}

struct OpenedDir {
  std::unique_ptr<FileLock> lock;
  std::unique_ptr<storage::Head> head;
  std::unique_ptr<storage::WarmStore> warm;
  std::unique_ptr<storage::ColdStore> cold;
};

// Opens a stopped server's data directory (refusing one a server holds). `if_running`: what
// the refusal tells the user to do instead (only the commands that have another way name it).
Result<OpenedDir> OpenDataDir(const std::string& dir, const storage::WarmOptions& wopts,
                              const storage::ColdConfig& cold, std::string_view if_running) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status::NotFound("data directory " + dir + " does not exist");
  }
  OpenedDir d;
  auto lock = FileLock::Acquire(dir + "/lock");
  if (!lock.ok()) {
    return Status::Unavailable("data directory " + dir +
                               " is in use (is a strata server running on it? " +
                               std::string(if_running) + "): " + lock.status().ToString());
  }
  d.lock = std::move(lock).value();
  STRATA_ASSIGN_OR_RETURN(auto state, storage::CheckDataDir(dir));
  if (state == storage::DataDirState::kNew) {
    // Opening it would create an empty data directory there (a mistyped path).
    return Status::NotFound(dir + " is not a Strata data directory (no FORMAT and no wal)");
  }
  storage::HeadOptions ho;
  ho.wal.fsync = storage::WalOptions::FsyncPolicy::kInterval;
  STRATA_ASSIGN_OR_RETURN(d.head, storage::Head::Open(dir, ho, nullptr));
  STRATA_ASSIGN_OR_RETURN(d.warm, storage::WarmStore::Open(dir + "/warm", wopts, nullptr));
  STRATA_ASSIGN_OR_RETURN(d.cold, storage::OpenColdStore(dir, cold, nullptr));
  return d;
}

std::string FormatBytes(uint64_t b) {
  char buf[32];
  if (b >= (uint64_t{1} << 30)) {
    std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(b) / (1 << 30));
  } else if (b >= (uint64_t{1} << 20)) {
    std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(b) / (1 << 20));
  } else {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
  }
  return buf;
}

std::string JsonStr(const std::string& s) {
  std::string out;
  server::AppendJsonString(&out, s);
  return out;
}

}  // namespace

// ---- backup ----

BackupCommand::BackupCommand(CLI::App* app) {
  cmd_ = app->add_subcommand(
      "backup",
      "Write a consistent snapshot of every tier (head and warm data as blocks, cold blocks "
      "copied) plus a manifest with checksums to an empty directory or S3 prefix");
  cmd_->add_option("--data-dir", data_dir_,
                   "Back up this data directory of a stopped server (offline)");
  cmd_->add_option("--url", url_,
                   "Back up a running server (http://HOST:PORT, started with "
                   "--web.enable-admin-api) through its snapshot API; the server's data "
                   "directory must be readable from here");
  cmd_->add_option("--to", to_, "Target: a new or empty directory, or s3://BUCKET/PREFIX")
      ->required();
  storage_.Register(cmd_);
}

int BackupCommand::Run() {
  const char* prog = "strata backup";
  if (data_dir_.empty() == url_.empty()) {
    std::fprintf(stderr, "%s: give exactly one of --data-dir (offline) and --url (online)\n", prog);
    return 2;
  }
  storage::WarmOptions wopts;
  storage::ColdConfig cold;
  compaction::CompactorOptions copts;
  if (!storage_.Apply(prog, &wopts, &cold, &copts)) return 2;
  if (!url_.empty()) {
    if (auto u = ParseServerUrl(url_); !u.ok()) {
      std::fprintf(stderr, "%s: %s\n", prog, u.status().message().c_str());
      return 2;
    }
  }
  auto target = OpenLocation(to_, cold, /*create=*/true);
  if (!target.ok()) return Fail(prog, "opening " + to_, target.status());
  auto empty = LocationEmpty(target->get());
  if (!empty.ok()) return Fail(prog, "listing " + to_, empty.status());
  if (!*empty) {
    const bool incomplete = (*target)->Stat("manifest.json").status().IsNotFound();
    std::fprintf(stderr, "%s: target %s is not empty%s; a backup goes to a new or empty place\n",
                 prog, to_.c_str(),
                 incomplete ? " (it holds an incomplete backup, without manifest.json, from a "
                              "backup that was killed or failed: delete it)"
                            : "");
    return 1;
  }
  auto progress = TerminalProgress();
  Result<storage::SnapshotManifest> manifest = Status::Internal("no snapshot");
  if (!url_.empty()) {
    auto dir = RequestSnapshot(url_);
    if (!dir.ok()) return Fail(prog, "taking the snapshot", dir.status());
    auto source = OpenLocation(*dir, cold, /*create=*/false);
    if (!source.ok()) {
      return Fail(prog, "opening the snapshot " + *dir + " (is it on this machine?)",
                  source.status());
    }
    const std::string staging = *dir + ".copy";
    manifest = storage::VerifySnapshot(source->get(), staging, progress);
    if (!manifest.ok()) return Fail(prog, "checking the snapshot " + *dir, manifest.status());
    Status s = storage::CopySnapshot(source->get(), *manifest, target->get(), staging, progress);
    std::error_code ec;
    std::filesystem::remove_all(staging, ec);
    if (!s.ok()) return Fail(prog, "copying the snapshot to " + to_, s);
    std::filesystem::remove_all(*dir, ec);  // The server's copy was only a staging area.
  } else {
    auto d = OpenDataDir(data_dir_, wopts, cold, "stop it first, or back it up online with --url");
    if (!d.ok()) return Fail(prog, "opening " + data_dir_, d.status());
    storage::SnapshotSources sources;
    sources.head = d->head.get();
    sources.warm = d->warm.get();
    sources.cold = d->cold.get();
    sources.node = d->cold->options().node_id;
    manifest = storage::WriteSnapshot(sources, storage::NewSnapshotName(NowMs()), target->get(),
                                      data_dir_ + "/snapshot-staging", progress);
    Status ch = d->head->Close();
    Status cw = d->warm->Close();
    if (!manifest.ok()) return Fail(prog, "writing the backup", manifest.status());
    if (!ch.ok()) return Fail(prog, "closing the head", ch);
    if (!cw.ok()) return Fail(prog, "closing the warm tier", cw);
  }
  EndProgress();
  uint64_t bytes = 0;
  for (const auto& b : manifest->blocks) bytes += b.bytes;
  std::printf("backup %s written to %s: %zu block(s), %s\n", manifest->name.c_str(), to_.c_str(),
              manifest->blocks.size(), FormatBytes(bytes).c_str());
  return 0;
}

// ---- restore ----

RestoreCommand::RestoreCommand(CLI::App* app) {
  cmd_ = app->add_subcommand(
      "restore",
      "Verify a backup and restore it into an empty data directory (its blocks go to the cold "
      "store: <data-dir>/cold or --storage.cold.url)");
  cmd_->add_option("--from", from_, "The backup: a directory or s3://BUCKET/PREFIX")->required();
  cmd_->add_option("--data-dir", data_dir_, "A new or empty data directory")->required();
  storage_.Register(cmd_);
}

// What a restore's target directory holds before it starts.
enum class RestoreTarget { kEmpty, kResume, kRefused };

// kEmpty: missing, empty, or holding only what a restore killed before its marker leaves (the
// lock file, the verification's staging directory). kResume: the marker of an unfinished
// restore from the same `from` (*backup_name: the backup it names, empty if none). kRefused
// (with the message printed): anything else.
RestoreTarget ClassifyRestoreTarget(const char* prog, const std::string& dir,
                                    const std::string& from, const std::string& cold_url,
                                    std::string* backup_name) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return RestoreTarget::kEmpty;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::fprintf(stderr, "%s: data directory %s is not a directory\n", prog, dir.c_str());
    return RestoreTarget::kRefused;
  }
  const std::string marker = dir + "/" + std::string(storage::kRestoreMarker);
  if (std::filesystem::exists(marker, ec)) {
    std::ifstream in(marker);
    std::string line;
    std::getline(in, line);
    if (line == "restore from " + from) {
      std::string name, cold;
      std::getline(in, name);
      std::getline(in, cold);
      // The backup it was (checked after verifying) and the cold store it wrote to: another
      // store would keep the first run's blocks orphaned.
      if (name.rfind("backup ", 0) == 0 && cold == "cold " + cold_url) {
        *backup_name = name.substr(7);
        return RestoreTarget::kResume;
      }
      std::fprintf(stderr,
                   "%s: data directory %s holds an unfinished restore of %s into another cold "
                   "store (or by an older release); delete the directory (and the blocks that "
                   "restore wrote) and restore again\n",
                   prog, dir.c_str(), from.c_str());
      return RestoreTarget::kRefused;
    }
    std::fprintf(stderr,
                 "%s: data directory %s holds an unfinished restore (%s); run that restore "
                 "again to finish it, or delete the directory\n",
                 prog, dir.c_str(), line.c_str());
    return RestoreTarget::kRefused;
  }
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name != "lock" && name != "restore-staging") {
      std::fprintf(stderr, "%s: data directory %s is not empty; restore needs a new or empty one\n",
                   prog, dir.c_str());
      return RestoreTarget::kRefused;
    }
  }
  return RestoreTarget::kEmpty;
}

int RestoreCommand::Run() {
  const char* prog = "strata restore";
  storage::WarmOptions wopts;
  storage::ColdConfig cold;
  compaction::CompactorOptions copts;
  if (!storage_.Apply(prog, &wopts, &cold, &copts)) return 2;
  std::error_code ec;
  std::string resumed_name;
  const RestoreTarget state =
      ClassifyRestoreTarget(prog, data_dir_, from_, cold.store.url, &resumed_name);
  if (state == RestoreTarget::kRefused) return 1;
  // The lock is taken before anything is written; a restore being finished takes it before
  // verifying too, whose staging directory lies inside.
  std::unique_ptr<FileLock> lock;
  auto take_lock = [&]() -> Status {
    STRATA_ASSIGN_OR_RETURN(lock, FileLock::Acquire(data_dir_ + "/lock"));
    return Status::Ok();
  };
  if (state == RestoreTarget::kResume) {
    if (Status s = take_lock(); !s.ok()) return Fail(prog, "locking " + data_dir_, s);
    std::fprintf(stderr, "%s: finishing the unfinished restore of %s into %s\n", prog,
                 from_.c_str(), data_dir_.c_str());
  }
  auto source = OpenLocation(from_, cold, /*create=*/false);
  if (!source.ok()) return Fail(prog, "opening " + from_, source.status());
  auto progress = TerminalProgress();
  const std::string staging = data_dir_ + "/restore-staging";
  auto manifest = storage::VerifySnapshot(source->get(), staging, progress);
  if (!manifest.ok()) return Fail(prog, "verifying " + from_, manifest.status());
  if (!resumed_name.empty() && resumed_name != manifest->name) {
    // Blocks of the other backup may be in the cold store already.
    std::fprintf(stderr,
                 "%s: %s now holds backup %s, but the unfinished restore in %s was of backup %s: "
                 "delete the directory (and, with --storage.cold.url, node %s's blocks there) "
                 "and restore again\n",
                 prog, from_.c_str(), manifest->name.c_str(), data_dir_.c_str(),
                 resumed_name.c_str(), manifest->node.c_str());
    return 1;
  }
  if (!cold.cold.node_id.empty() && cold.cold.node_id != manifest->node) {
    // The blocks keep the node they were written by, and a server reads its own node's.
    std::fprintf(stderr,
                 "%s: --storage.cold.node-id=%s differs from the backup's node %s, whose blocks "
                 "it holds: omit the flag (or give %s)\n",
                 prog, cold.cold.node_id.c_str(), manifest->node.c_str(), manifest->node.c_str());
    return 2;
  }
  // A named cold store (a shared bucket) is opened before anything is written, and must not
  // hold blocks of the backup's node already: the restore would rewrite them under a live
  // server (other nodes' blocks may be there). The default one, <data-dir>/cold, is new.
  std::unique_ptr<storage::objstore::ObjectStore> target;
  auto open_target = [&]() -> Status {
    STRATA_ASSIGN_OR_RETURN(
        target, storage::objstore::OpenObjectStore(cold.store, data_dir_ + "/cold", nullptr));
    return Status::Ok();
  };
  // A restore being finished finds the blocks it copied itself: its marker was written after
  // the store was found without the node's blocks.
  if (!cold.store.url.empty() && state == RestoreTarget::kEmpty) {
    if (Status s = open_target(); !s.ok()) return Fail(prog, "opening the cold store", s);
    auto present = target->List(manifest->node + "/");
    if (!present.ok()) return Fail(prog, "listing the cold store", present.status());
    if (!present->empty()) {
      std::fprintf(stderr,
                   "%s: the cold store %s already holds blocks of node %s; restore needs one "
                   "without them\n",
                   prog, cold.store.url.c_str(), manifest->node.c_str());
      return 1;
    }
  }
  if (Status s = CreateDirs(data_dir_); !s.ok()) return Fail(prog, "creating " + data_dir_, s);
  // No server may start on the directory while the restore writes it, nor after a restore that
  // did not finish: the lock, and a marker that CheckDataDir refuses until the end.
  if (lock == nullptr) {
    if (Status s = take_lock(); !s.ok()) return Fail(prog, "locking " + data_dir_, s);
  }
  const std::string marker = data_dir_ + "/" + std::string(storage::kRestoreMarker);
  if (Status s = WriteFileDurably(marker, "restore from " + from_ + "\nbackup " + manifest->name +
                                              "\ncold " + cold.store.url + "\n");
      !s.ok()) {
    return Fail(prog, "marking " + data_dir_ + " as being restored", s);
  }
  CrashPoint("restore-marked");
  auto node = storage::LoadOrCreateNodeId(data_dir_, manifest->node);
  if (!node.ok()) return Fail(prog, "recording the node id", node.status());
  if (target == nullptr) {
    if (Status s = open_target(); !s.ok()) return Fail(prog, "opening the cold store", s);
  }
  Status s = storage::RestoreSnapshot(source->get(), *manifest, target.get(), staging, progress);
  if (!s.ok()) return Fail(prog, "restoring", s);
  if (!manifest->blocks.empty()) {
    // What the restored server knows of its cold data while the store cannot be listed.
    s = WriteFileDurably(data_dir_ + "/cold-max-time", std::to_string(manifest->max_time) + "\n");
    if (!s.ok()) return Fail(prog, "recording the cold tier's newest time", s);
  }
  CrashPoint("restore-blocks-restored");
  std::filesystem::remove(marker, ec);
  if (ec)
    return Fail(prog, "finishing", Status::IOError("removing " + marker + ": " + ec.message()));
  CrashPoint("restore-unmarked");
  if (Status s = SyncDir(data_dir_); !s.ok()) return Fail(prog, "finishing", s);
  EndProgress();
  uint64_t bytes = 0;
  for (const auto& b : manifest->blocks) bytes += b.bytes;
  std::printf("restored backup %s into %s: %zu block(s), %s, node id %s\n", manifest->name.c_str(),
              data_dir_.c_str(), manifest->blocks.size(), FormatBytes(bytes).c_str(),
              node->c_str());
  return 0;
}

// ---- inspect ----

InspectCommand::InspectCommand(CLI::App* app) {
  cmd_ = app->add_subcommand(
      "inspect",
      "Print the tiers of a stopped server's data directory: head, warm partitions, cold "
      "blocks, totals, bytes per sample and the top metrics by series");
  cmd_->add_option("--data-dir", data_dir_, "The data directory")->capture_default_str();
  cmd_->add_option("--output", output_, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd_->add_option("--top", top_, "How many metrics to list by series count")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  storage_.Register(cmd_);
}

int InspectCommand::Run() {
  const char* prog = "strata inspect";
  storage::WarmOptions wopts;
  storage::ColdConfig cold;
  compaction::CompactorOptions copts;
  if (!storage_.Apply(prog, &wopts, &cold, &copts)) return 2;
  auto d = OpenDataDir(data_dir_, wopts, cold, "stop it first");
  if (!d.ok()) return Fail(prog, "opening " + data_dir_, d.status());

  // Head: series and time bounds from its stats, samples by reading it.
  storage::HeadStats hs = d->head->Stats();
  uint64_t head_samples = 0;
  auto name_re = model::Matcher::Make(model::MatchType::kRegexMatch, "__name__", ".+");
  {
    auto set = d->head->Select({*name_re}, storage::SelectHints{});
    if (!set.ok()) return Fail(prog, "reading the head", set.status());
    std::vector<model::Sample> samples;
    while ((*set)->Next()) {
      Status s = (*set)->ReadSamples(&samples);
      if (!s.ok()) return Fail(prog, "reading the head", s);
      head_samples += samples.size();
    }
  }
  const uint64_t wal_bytes = DirectoryBytes(data_dir_ + "/wal");
  storage::WarmStats ws = d->warm->Stats();
  std::vector<storage::block::BlockMeta> blocks = d->cold->Blocks();
  uint64_t warm_samples = 0, cold_samples = 0, cold_bytes = 0;
  for (const auto& p : ws.partitions) warm_samples += p.samples;
  for (const auto& b : blocks) {
    if (b.resolution_ms == 0) cold_samples += b.samples;  // Downsampled blocks count windows.
    cold_bytes += b.TotalBytes();
  }
  const uint64_t samples = head_samples + warm_samples + cold_samples;
  const uint64_t bytes = wal_bytes + ws.disk_bytes + cold_bytes;
  const int64_t partition_ms = d->warm->partition_ms();

  // Top metrics by series over every tier.
  storage::MergeQuerier all({d->head.get(), d->warm.get(), d->cold.get()});
  auto series = all.Series({*name_re}, INT64_MIN, INT64_MAX);
  if (!series.ok()) return Fail(prog, "listing series", series.status());
  std::map<std::string, uint64_t> by_name;
  for (const auto& l : *series) by_name[std::string(l.MetricName())]++;
  std::vector<std::pair<std::string, uint64_t>> top(by_name.begin(), by_name.end());
  std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (top.size() > static_cast<size_t>(top_)) top.resize(static_cast<size_t>(top_));
  const double per_sample = samples > 0 ? static_cast<double>(bytes) / samples : 0;
  const std::string cold_where = d->cold->object_store()->Describe();

  if (output_ == "json") {
    std::string o = "{\n";
    o += "  \"data_dir\": " + JsonStr(data_dir_) + ",\n";
    o += "  \"node\": " + JsonStr(d->cold->options().node_id) + ",\n";
    o += "  \"head\": {\"series\": " + std::to_string(hs.series) +
         ", \"chunks\": " + std::to_string(hs.chunks) +
         ", \"samples\": " + std::to_string(head_samples) +
         ", \"min_time\": " + std::to_string(hs.min_time) +
         ", \"max_time\": " + std::to_string(hs.max_time) +
         ", \"wal_bytes\": " + std::to_string(wal_bytes) + "},\n";
    o += "  \"warm\": {\"bytes\": " + std::to_string(ws.disk_bytes) +
         ", \"series\": " + std::to_string(ws.series) +
         ", \"samples\": " + std::to_string(warm_samples) + ", \"partitions\": [";
    for (size_t i = 0; i < ws.partitions.size(); ++i) {
      const auto& p = ws.partitions[i];
      o += std::string(i ? ", " : "") + "{\"start\": " + std::to_string(p.start) +
           ", \"end\": " + std::to_string(p.start + partition_ms) +
           ", \"min_time\": " + std::to_string(p.min_t) +
           ", \"max_time\": " + std::to_string(p.max_t) +
           ", \"chunks\": " + std::to_string(p.chunks) +
           ", \"samples\": " + std::to_string(p.samples) + "}";
    }
    o += "]},\n";
    o += "  \"cold\": {\"store\": " + JsonStr(cold_where) +
         ", \"bytes\": " + std::to_string(cold_bytes) +
         ", \"samples\": " + std::to_string(cold_samples) + ", \"blocks\": [";
    for (size_t i = 0; i < blocks.size(); ++i) {
      const auto& b = blocks[i];
      o += std::string(i ? ", " : "") + "{\"id\": " + JsonStr(b.id) +
           ", \"node\": " + JsonStr(b.node) + ", \"min_time\": " + std::to_string(b.min_time) +
           ", \"max_time\": " + std::to_string(b.max_time) +
           ", \"resolution_ms\": " + std::to_string(b.resolution_ms) +
           ", \"series\": " + std::to_string(b.series) +
           ", \"samples\": " + std::to_string(b.samples) +
           ", \"bytes\": " + std::to_string(b.TotalBytes()) + "}";
    }
    o += "]},\n";
    o += "  \"totals\": {\"series\": " + std::to_string(series->size()) +
         ", \"samples\": " + std::to_string(samples) + ", \"bytes\": " + std::to_string(bytes) +
         ", \"bytes_per_sample\": " + std::to_string(per_sample) + "},\n";
    o += "  \"top_metrics\": [";
    for (size_t i = 0; i < top.size(); ++i) {
      o += std::string(i ? ", " : "") + "{\"name\": " + JsonStr(top[i].first) +
           ", \"series\": " + std::to_string(top[i].second) + "}";
    }
    o += "]\n}\n";
    std::fputs(o.c_str(), stdout);
  } else {
    std::printf("data directory %s (node %s)\n\n", data_dir_.c_str(),
                d->cold->options().node_id.c_str());
    std::printf("head: %llu series, %llu chunks, %llu samples, time %lld .. %lld ms, WAL %s\n",
                static_cast<unsigned long long>(hs.series),
                static_cast<unsigned long long>(hs.chunks),
                static_cast<unsigned long long>(head_samples), static_cast<long long>(hs.min_time),
                static_cast<long long>(hs.max_time), FormatBytes(wal_bytes).c_str());
    std::printf("\nwarm: %zu partition(s), %llu samples, %s on disk\n", ws.partitions.size(),
                static_cast<unsigned long long>(warm_samples), FormatBytes(ws.disk_bytes).c_str());
    for (const auto& p : ws.partitions) {
      std::printf("  partition %lld: samples %lld .. %lld ms, %llu chunk records, %llu samples\n",
                  static_cast<long long>(p.start), static_cast<long long>(p.min_t),
                  static_cast<long long>(p.max_t), static_cast<unsigned long long>(p.chunks),
                  static_cast<unsigned long long>(p.samples));
    }
    std::printf("\ncold (%s): %zu block(s), %llu samples, %s\n", cold_where.c_str(), blocks.size(),
                static_cast<unsigned long long>(cold_samples), FormatBytes(cold_bytes).c_str());
    std::printf("  %-26s %-20s %15s %15s %6s %9s %12s %12s\n", "BLOCK", "NODE", "MIN TIME",
                "MAX TIME", "RES", "SERIES", "SAMPLES", "BYTES");
    for (const auto& b : blocks) {
      std::printf(
          "  %-26s %-20s %15lld %15lld %6s %9llu %12llu %12llu\n", b.id.c_str(), b.node.c_str(),
          static_cast<long long>(b.min_time), static_cast<long long>(b.max_time),
          storage::ResolutionName(b.resolution_ms).c_str(),
          static_cast<unsigned long long>(b.series), static_cast<unsigned long long>(b.samples),
          static_cast<unsigned long long>(b.TotalBytes()));
    }
    std::printf("\ntotal: %zu series, %llu samples, %s, %.3f bytes per sample\n", series->size(),
                static_cast<unsigned long long>(samples), FormatBytes(bytes).c_str(), per_sample);
    std::printf("\ntop metrics by series:\n");
    for (const auto& [name, n] : top) {
      std::printf("  %10llu  %s\n", static_cast<unsigned long long>(n), name.c_str());
    }
  }
  Status ch = d->head->Close();
  Status cw = d->warm->Close();
  if (!ch.ok()) return Fail(prog, "closing the head", ch);
  if (!cw.ok()) return Fail(prog, "closing the warm tier", cw);
  return 0;
}

}  // namespace strata::cli
