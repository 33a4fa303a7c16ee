// Test-only child-process control: start the real `strata` binary (or any program) with its
// stderr in a log file, wait for conditions with deadlines, stop it with a signal and collect
// its exit status. Polls with short sleeps and always gives up at a deadline.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace strata::testutil {

// A fresh directory under /tmp, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "strata-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Polls `cond` every 10 ms until it is true or `timeout` passes.
inline bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The path of the strata binary under test (CTest sets STRATA_BINARY).
inline std::string StrataBinary() {
  const char* p = std::getenv("STRATA_BINARY");
  return p ? p : "strata";
}

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess() { Kill(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts `argv[0]` with arguments and extra environment variables; stdout and stderr go to
  // `log_path`.
  bool Start(const std::vector<std::string>& argv, const std::string& log_path,
             const std::vector<std::pair<std::string, std::string>>& env = {}) {
    log_path_ = log_path;
    pid_ = ::fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      FILE* f = std::fopen(log_path.c_str(), "a");
      if (f) {
        ::dup2(fileno(f), 1);
        ::dup2(fileno(f), 2);
      }
      for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    return true;
  }

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  std::string Log() const { return ReadFile(log_path_); }

  // Sends `sig` and waits up to `timeout` for the exit. Returns the exit code, 128+signal for a
  // signal death, or -1 on timeout (the process is then killed).
  int Stop(int sig = SIGTERM, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = 0;
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Kill();
    return -1;
  }

  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
  }

  // True once the process has exited on its own (reaps it).
  bool Exited(int* code) {
    if (pid_ <= 0) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      *code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return true;
    }
    return false;
  }

 private:
  pid_t pid_ = 0;
  std::string log_path_;
};

// Starts `strata serve` on 127.0.0.1 port 0 and learns the port from its "listening" log line.
// Runs `strata <args...>` to completion (at most `timeout`); returns its exit code (-1 when it
// could not start or did not finish) and its output in *log.
// `env`: extra environment variables (e.g. STRATA_CRASH_AT; a SIGKILL death returns 137).
inline int RunStrataCli(const std::vector<std::string>& args, std::string* log,
                        std::chrono::seconds timeout = std::chrono::seconds(120),
                        const std::vector<std::pair<std::string, std::string>>& env = {}) {
  TempDir tmp;
  ChildProcess p;
  std::vector<std::string> argv = {StrataBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string path = tmp.path() + "/cli.log";
  if (!p.Start(argv, path, env)) return -1;
  int code = -1;
  if (!WaitFor([&] { return p.Exited(&code); }, timeout)) p.Kill();
  *log = ReadFile(path);
  return code;
}

class StrataServer {
 public:
  // Returns false (with the log in `error`) if it did not come up within `timeout`.
  bool Start(const std::string& data_dir, const std::vector<std::string>& extra_args = {},
             std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    log_path_ = data_dir + ".log";
    std::vector<std::string> argv = {StrataBinary(), "serve",      "--listen",
                                     "127.0.0.1:0",  "--data-dir", data_dir};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    std::filesystem::remove(log_path_);
    if (!proc_.Start(argv, log_path_, env_)) return false;
    std::regex port_re(R"(msg=listening .*port=(\d+))");
    bool up = WaitFor(
        [&] {
          std::smatch m;
          std::string log = proc_.Log();
          if (std::regex_search(log, m, port_re)) {
            port_ = static_cast<uint16_t>(std::stoi(m[1]));
            return true;
          }
          int code = 0;
          return proc_.Exited(&code);
        },
        timeout);
    if (!up || port_ == 0) return false;
    // The server listens during WAL replay; wait until it is ready (or has exited).
    return WaitFor(
               [&] {
                 int code = 0;
                 if (proc_.Exited(&code)) return true;
                 return ReadyStatus() == 200;
               },
               timeout) &&
           proc_.running();
  }

  // Environment variables for the next Start() (e.g. STRATA_CRASH_AT).
  void SetEnv(std::vector<std::pair<std::string, std::string>> env) { env_ = std::move(env); }

  // GET /-/ready over a raw socket (this header does not depend on the HTTP client helper).
  int ReadyStatus() const;

  uint16_t port() const { return port_; }
  ChildProcess& process() { return proc_; }
  std::string Log() const { return proc_.Log(); }

 private:
  ChildProcess proc_;
  std::string log_path_;
  uint16_t port_ = 0;
  std::vector<std::pair<std::string, std::string>> env_;
};

inline int StrataServer::ReadyStatus() const {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  int status = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const char req[] = "GET /-/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if (::send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof(req) - 1)) {
      char buf[64] = {};
      ssize_t n = ::recv(fd, buf, sizeof(buf) - 1, 0);
      if (n > 12 && std::string_view(buf, 9) == "HTTP/1.1 ") status = std::atoi(buf + 9);
    }
  }
  ::close(fd);
  return status;
}

}  // namespace strata::testutil
