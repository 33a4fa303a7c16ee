// Fuzz target: a Prometheus remote-write 1.0 request body through RemoteWriteReceiver::Write
// (snappy, protobuf decoding, label validation, the head's checks and its WAL). Input: one mode
// byte, then the body. Mode bit 0 clear: the rest is the body as sent (snappy); set: the rest is
// the uncompressed protobuf, which the target compresses first (so mutations reach the protobuf
// decoder). Property: whenever both our decoder and libprotobuf accept the protobuf, they
// decode the same series, labels, samples and metadata.
#include <snappy.h>

#include <bit>
#include <string>

#include "fuzz/fuzz_head.h"
#include "fuzz/fuzz_target.h"
#include "ingest/remote_write.h"
#include "ingest/write_request.h"
#include "proto/remote.pb.h"

namespace strata::fuzz {
namespace {

void CompareWithLibprotobuf(std::string_view proto) {
  ingest::WriteRequestView ours;
  if (!ingest::DecodeWriteRequest(proto, &ours).ok()) return;
  for (const auto& s : ours.series) {
    if (s.labels_begin > s.labels_end || s.labels_end > ours.labels.size() ||
        s.samples_begin > s.samples_end || s.samples_end > ours.samples.size()) {
      FuzzFail("DecodeWriteRequest: series ranges outside the decoded arrays");
    }
  }
  proto::WriteRequest ref;
  if (!ref.ParseFromArray(proto.data(), static_cast<int>(proto.size()))) return;
  if (static_cast<size_t>(ref.timeseries_size()) != ours.series.size()) {
    FuzzFail("DecodeWriteRequest: series count differs from libprotobuf");
  }
  for (int i = 0; i < ref.timeseries_size(); ++i) {
    const auto& rs = ref.timeseries(i);
    const auto& os = ours.series[static_cast<size_t>(i)];
    auto labels = ours.LabelsOf(os);
    auto samples = ours.SamplesOf(os);
    if (static_cast<size_t>(rs.labels_size()) != labels.size() ||
        static_cast<size_t>(rs.samples_size()) != samples.size()) {
      FuzzFail("DecodeWriteRequest: label or sample count differs from libprotobuf");
    }
    for (size_t j = 0; j < labels.size(); ++j) {
      const auto& rl = rs.labels(static_cast<int>(j));
      if (rl.name() != labels[j].name || rl.value() != labels[j].value) {
        FuzzFail("DecodeWriteRequest: a label differs from libprotobuf");
      }
    }
    for (size_t j = 0; j < samples.size(); ++j) {
      const auto& rsmp = rs.samples(static_cast<int>(j));
      if (rsmp.timestamp() != samples[j].timestamp_ms ||
          std::bit_cast<uint64_t>(rsmp.value()) != std::bit_cast<uint64_t>(samples[j].value)) {
        FuzzFail("DecodeWriteRequest: a sample differs from libprotobuf");
      }
    }
  }
  if (static_cast<size_t>(ref.metadata_size()) != ours.metadata.size()) {
    FuzzFail("DecodeWriteRequest: metadata count differs from libprotobuf");
  }
}

constexpr size_t kMaxDecodedBytes = 4 << 20;

void FuzzRemoteWrite(std::span<const uint8_t> data) {
  static FuzzHead head_object(/*runs_per_head=*/500);  // Removes its directory at exit.
  FuzzHead* head = &head_object;
  InputReader in(data);
  uint8_t mode = in.Byte();
  std::string_view rest = in.Rest();
  std::string body;
  if (mode & 1) {
    snappy::Compress(rest.data(), rest.size(), &body);
    CompareWithLibprotobuf(rest);
  } else {
    body.assign(rest);
    std::string raw;
    size_t length = 0;
    // Only within the receiver's limit: Uncompress allocates the claimed length up front.
    if (snappy::GetUncompressedLength(body.data(), body.size(), &length) &&
        length <= kMaxDecodedBytes && snappy::Uncompress(body.data(), body.size(), &raw)) {
      CompareWithLibprotobuf(raw);
    }
  }
  ingest::RemoteWriteOptions options;
  options.max_decoded_bytes = kMaxDecodedBytes;
  ingest::RemoteWriteReceiver receiver(head->Next(), head->metadata(), nullptr, options);
  ingest::WriteSummary summary;
  Status s = receiver.Write("application/x-protobuf", "snappy", body, &summary);
  if (!s.ok() && s.code() != StatusCode::kInvalidArgument) {
    FuzzFail("remote write: unexpected status " + s.ToString());
  }
  if (summary.accepted > summary.samples) {
    FuzzFail("remote write: more samples accepted than sent");
  }
}

}  // namespace
}  // namespace strata::fuzz

STRATA_FUZZ_TARGET(remote_write, strata::fuzz::FuzzRemoteWrite)
