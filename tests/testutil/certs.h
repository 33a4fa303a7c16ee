// Test-only certificates made with the `openssl` command (Debian package openssl, installed by
// `make deps`): a CA, a server certificate for IP 127.0.0.1 and a client certificate, both signed
// by the CA. RSA 2048, valid two days. Each command is bounded in time.
#pragma once

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "testutil/process.h"

namespace strata::testutil {

// In `dir`: ca.crt/ca.key, server.crt/server.key (SAN IP:127.0.0.1), client.crt/client.key
// (CN=test-client, clientAuth), rogue.crt/rogue.key (self-signed, not by the CA). False when a
// command failed; its output is in dir/openssl.log.
inline bool MakeTestCertificates(const std::string& dir) {
  const std::string log = dir + "/openssl.log";
  auto run = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess p;
    if (!p.Start(argv, log)) return false;
    int code = -1;
    if (!WaitFor([&] { return p.Exited(&code); }, std::chrono::seconds(60))) return false;
    return code == 0;
  };
  std::ofstream(dir + "/server.ext")
      << "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
         "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n";
  std::ofstream(dir + "/client.ext")
      << "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
         "extendedKeyUsage=clientAuth\n";
  auto leaf = [&](const std::string& name, const std::string& cn) {
    return run({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/" + name + ".key",
                "-out", dir + "/" + name + ".csr", "-subj", "/CN=" + cn}) &&
           run({"x509", "-req", "-in", dir + "/" + name + ".csr", "-CA", dir + "/ca.crt", "-CAkey",
                dir + "/ca.key", "-CAcreateserial", "-out", dir + "/" + name + ".crt", "-days", "2",
                "-extfile", dir + "/" + name + ".ext"});
  };
  return run({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/ca.key", "-out",
              dir + "/ca.crt", "-days", "2", "-subj", "/CN=strata-test-ca"}) &&
         leaf("server", "127.0.0.1") && leaf("client", "test-client") &&
         run({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/rogue.key",
              "-out", dir + "/rogue.crt", "-days", "2", "-subj", "/CN=rogue"});
}

}  // namespace strata::testutil
