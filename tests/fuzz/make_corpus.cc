// fuzz_make_corpus <corpus-dir> [promql-testdata-dir]: writes the seed corpora of the fuzz
// targets (tests/fuzz/corpus/<target>/) with the real encoders: libprotobuf remote-write and
// OTLP requests, a WAL segment written by a Head, XOR chunks and cold chunk groups, a cold block
// from BlockWriter, warm keys and values, PromQL queries from the conformance scripts, and
// hand-written rule files and templates.
// Deterministic: running it again rewrites the same bytes. Files of targets that read a mode
// byte first start with it (see each target's header comment).
#include <google/protobuf/util/json_util.h>
#include <snappy.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "storage/block/block_writer.h"
#include "storage/block/format.h"
#include "storage/downsample.h"
#include "storage/head.h"
#include "storage/wal/layout.h"
#include "storage/warm/keys.h"
#include "storage/warm/postings_merge.h"
#include "storage/xor_chunk.h"
#include "testutil/otlp.h"
#include "testutil/remote_write.h"

namespace fs = std::filesystem;
using namespace strata;  // NOLINT(google-build-using-namespace): a small tool.

namespace {

fs::path g_out;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Write(const std::string& target, const std::string& name, std::string_view bytes) {
  fs::create_directories(g_out / target);
  std::ofstream out(g_out / target / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s/%s\n", target.c_str(), name.c_str());
    std::exit(1);
  }
}

std::string Mode(uint8_t mode, std::string_view rest) {
  std::string s(1, static_cast<char>(mode));
  s.append(rest);
  return s;
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

// ---- remote write ----
void RemoteWrite() {
  using testutil::RwSeries;
  const int64_t t0 = 1767225600000;  // 2026-01-01
  std::vector<RwSeries> node = {
      {{{"__name__", "node_cpu_seconds_total"},
        {"cpu", "0"},
        {"instance", "host-1:9100"},
        {"job", "node"},
        {"mode", "idle"}},
       {{t0, 1234.5}, {t0 + 15000, 1249.25}, {t0 + 30000, 1264.0}}},
      {{{"__name__", "node_memory_MemAvailable_bytes"},
        {"instance", "host-1:9100"},
        {"job", "node"}},
       {{t0, 8.123e9}, {t0 + 15000, 8.1e9}}},
      {{{"__name__", "up"}, {"instance", "host-1:9100"}, {"job", "node"}}, {{t0, 1}}}};
  std::string proto = testutil::EncodeWriteRequest(node);
  Write("remote_write", "node_exporter.snappy", Mode(0, testutil::Snappy(proto)));
  Write("remote_write", "node_exporter.proto", Mode(1, proto));

  // Metadata, a stale NaN, an exemplar and a native histogram (field 4, counted, not stored).
  proto::TimeSeries ts;
  auto* l = ts.add_labels();
  l->set_name("__name__");
  l->set_value("http_requests_total");
  l = ts.add_labels();
  l->set_name("code");
  l->set_value("200");
  auto* s = ts.add_samples();
  s->set_timestamp(t0);
  s->set_value(std::bit_cast<double>(uint64_t{0x7ff0000000000002}));
  ts.add_exemplars()->set_timestamp(t0);
  std::string ts_bytes = ts.SerializeAsString() + std::string("\x22\x00", 2);
  proto::WriteRequest req;
  auto* md = req.add_metadata();
  md->set_type(proto::MetricMetadata::COUNTER);
  md->set_metric_family_name("http_requests_total");
  md->set_help("Requests.");
  md->set_unit("");
  std::string body(1, '\x0a');
  for (uint64_t n = ts_bytes.size();; n >>= 7) {  // varint length of field 1
    if (n < 0x80) {
      body.push_back(static_cast<char>(n));
      break;
    }
    body.push_back(static_cast<char>((n & 0x7f) | 0x80));
  }
  body += ts_bytes + req.SerializeAsString();
  Write("remote_write", "metadata_histogram.proto", Mode(1, body));

  // Invalid labels (unsorted, bad name, invalid UTF-8) and an out-of-order sample.
  std::vector<RwSeries> bad = {{{{"job", "a"}, {"__name__", "unsorted"}}, {{t0, 1}}},
                               {{{"__name__", "bad-name"}}, {{t0, 1}}},
                               {{{"__name__", "utf8"}, {"v", "\xff\xfe"}}, {{t0, 1}}},
                               {{{"__name__", "ooo"}}, {{t0 + 1000, 1}, {t0, 2}}}};
  Write("remote_write", "invalid.proto", Mode(1, testutil::EncodeWriteRequest(bad)));
  // A snappy header claiming 2.6 GiB: refused before anything is allocated.
  Write("remote_write", "claims_2gib.snappy", Mode(0, "\xfe\xff\xff\xb4\x0a"));
}

// ---- PromQL: a spread of queries from the conformance scripts ----
void Promql(const fs::path& testdata) {
  std::vector<std::string> queries;
  std::regex eval(
      R"(^eval(_fail|_warn|_ordered|_info)?\s+(instant|range)\s+(at\s+\S+\s+|from\s+\S+\s+to\s+\S+\s+step\s+\S+\s+)?(.+)$)");
  std::vector<fs::path> files;
  if (fs::is_directory(testdata)) {
    for (const auto& e : fs::directory_iterator(testdata)) {
      if (e.path().extension() == ".test") files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::istringstream in(ReadFile(f));
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      std::smatch m;
      // Every 25th query of each script: a few dozen in all, every script represented.
      if (std::regex_match(line, m, eval) && n++ % 25 == 0) queries.push_back(m[4]);
    }
  }
  // Corners of the grammar the scripts may not reach.
  queries.insert(queries.end(),
                 {"sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m] offset 1h @ 100))",
                  "histogram_quantile(0.9, sum without (instance) (rate(x_bucket[1m:15s])))",
                  "-(1 + 2) ^ 3 % 4 unless on(a) group_left(b) c",
                  "{\"utf8.metric\", \"label with space\"=\"v\"}", "0x1F + 1e-3 + Inf - NaN",
                  "label_replace(up, \"a\", \"$1\", \"job\", \"(.*)\")"});
  for (size_t i = 0; i < queries.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "query_%03zu", i);
    Write("promql", name, queries[i]);
  }
}

// ---- WAL: a segment written by a real head ----
void Wal(const fs::path& scratch) {
  fs::path dir = scratch / "head";
  storage::HeadOptions o;
  o.series_map_stripes = 16;
  o.wal.fsync = storage::WalOptions::FsyncPolicy::kNever;
  o.max_future_ms = 0;
  {
    auto head = storage::Head::Open(dir.string(), o, nullptr);
    Check(head.status(), "Head::Open");
    const model::LabelView a[] = {{"__name__", "up"}, {"job", "node"}};
    const model::LabelView b[] = {{"__name__", "temperature"}, {"room", "kitchen"}};
    std::vector<model::Sample> sa = {{1000, 1}, {2000, 1}, {3000, 0}};
    std::vector<model::Sample> sb = {{1000, 21.5}, {2500, 21.75}};
    const storage::SeriesInput batch[] = {{a, sa}, {b, sb}};
    storage::AppendResult r;
    Check((*head)->Append(batch, &r), "Head::Append");
    std::vector<model::Sample> more = {{4000, 1}};
    const storage::SeriesInput batch2[] = {{a, more}};
    Check((*head)->Append(batch2, &r), "Head::Append");
    Check((*head)->Close(), "Head::Close");
  }
  std::string segment = ReadFile(dir / "wal" / storage::wal::SegmentName(0));
  {
    // A record longer than a 32 KiB page (first, middle and last fragments) and a page boundary.
    fs::path big = scratch / "head-big";
    auto head = storage::Head::Open(big.string(), o, nullptr);
    Check(head.status(), "Head::Open");
    std::string long_value(40000, 'v');
    const model::LabelView l[] = {{"__name__", "long_label"}, {"value", long_value}};
    std::vector<model::Sample> s = {{1000, 1}, {2000, 2}};
    const storage::SeriesInput batch[] = {{l, s}};
    storage::AppendResult r;
    Check((*head)->Append(batch, &r), "Head::Append");
    Check((*head)->Close(), "Head::Close");
    Write("wal", "segment_multipage",
          Mode(2, ReadFile(big / "wal" / storage::wal::SegmentName(0))));
  }
  {
    // A checkpoint of a truncated head: series records, chunks records (type 3), and a samples
    // record of the samples that were out of order when logged.
    fs::path ck = scratch / "head-checkpoint";
    storage::HeadOptions co = o;
    co.out_of_order_window_ms = 3600 * 1000;
    auto head = storage::Head::Open(ck.string(), co, nullptr);
    Check(head.status(), "Head::Open");
    const model::LabelView l[] = {{"__name__", "up"}, {"job", "node"}};
    storage::AppendResult r;
    for (int64_t t = 0; t < 3 * 3600 * 1000; t += 60000) {
      std::vector<model::Sample> s = {{t, static_cast<double>(t % 7)}};
      const storage::SeriesInput batch[] = {{l, s}};
      Check((*head)->Append(batch, &r), "Head::Append");
    }
    std::vector<model::Sample> late = {{2 * 3600 * 1000 + 30000, 9}};
    const storage::SeriesInput batch[] = {{l, late}};
    Check((*head)->Append(batch, &r), "Head::Append");
    (*head)->SetMinValidTime(3600 * 1000);
    (void)(*head)->CollectRange(0, 3600 * 1000);
    Check((*head)->Truncate(3600 * 1000), "Head::Truncate");
    Check((*head)->Close(), "Head::Close");
    for (const auto& e : fs::directory_iterator(ck / "wal")) {
      if (e.path().filename().string().rfind("checkpoint.", 0) == 0) {
        Write("wal", "checkpoint_chunks",
              Mode(2, ReadFile(e.path() / storage::wal::SegmentName(0))));
      }
    }
  }
  Write("wal", "segment", Mode(0, segment));
  Write("wal", "segment_torn", Mode(1, segment.substr(0, segment.size() - 5)));
  Write("wal", "segment_head_salvage", Mode(2, segment));
  std::string flipped = segment;
  if (flipped.size() > 40) flipped[40] ^= 0x10;
  Write("wal", "segment_flipped_head_truncate", Mode(6, flipped));
}

// ---- chunks ----
void Chunks() {
  storage::XorChunk chunk;
  {
    auto app = storage::XorAppender::Open(&chunk);
    Check(app.status(), "XorAppender::Open");
    double v = 0.5;
    for (int i = 0; i < 30; ++i) {
      Check(app->Append(1767225600000 + i * 15000 + (i % 3), v), "Append");
      v = i % 5 == 0 ? v * 1.37 : v + 1;
    }
  }
  auto bytes = chunk.bytes();
  std::string_view xor_bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  Write("chunk", "xor_30", Mode(0, xor_bytes));
  Write("chunk", "xor_truncated", Mode(0x80, xor_bytes.substr(0, xor_bytes.size() / 2)));

  auto group = [](std::vector<model::Sample> samples, const char* name) {
    uint64_t chunks = 0;
    std::string stored = storage::block::EncodeSampleGroup(samples, &chunks);
    std::string header(1, static_cast<char>(chunks));
    header.push_back(static_cast<char>(samples.size() & 0xff));
    header.push_back(static_cast<char>(samples.size() >> 8));
    Write("chunk", name, Mode(1, header + stored));
  };
  std::vector<model::Sample> decimal, floats;
  for (int i = 0; i < 200; ++i) {
    decimal.push_back({1767225600000 + i * 15000, 100.25 + i});
    floats.push_back({1767225600000 + i * 15000, 1.0 / (i + 3)});
  }
  group(decimal, "group_decimal");
  group(floats, "group_xor");

  // Aggregate groups of downsampled blocks (mode bits 0 and 3; bit 4: 1h): a counter with a
  // reset and a stale marker, and float gauges, all columns.
  auto windows = [](std::vector<model::Sample> samples, int64_t resolution, uint8_t mode,
                    const char* name) {
    std::vector<storage::AggrWindow> w;
    storage::AggregateSamples(samples, resolution, &w);
    std::string header;
    header.push_back(static_cast<char>(w.size() & 0xff));
    header.push_back(static_cast<char>(w.size() >> 8));
    header.push_back(static_cast<char>(storage::block::kAllColumns));
    Write("chunk", name, Mode(mode, header + storage::block::EncodeWindowGroup(w)));
  };
  std::vector<model::Sample> counter;
  double c = 0;
  for (int i = 0; i < 1200; ++i) {
    c = i == 700 ? 3 : c + 2.5;
    counter.push_back({1767225600000 + i * 15000, c});
  }
  counter.push_back({1767225600000 + 1200 * 15000, model::StaleNaN()});
  windows(counter, storage::kResolution5m, 1 | 8, "windows_5m");
  windows(floats, storage::kResolution1h, 1 | 8 | 16, "windows_1h");
}

// ---- API parameters: `<query string>\n<form body>\n<label name>` after the endpoint byte ----
void ApiParams() {
  Write("api_params", "series_get",
        Mode(0,
             "match[]=up&match[]=%7Bjob%3D%22node%22%7D&start=1699999000&end=1700000400"
             "&limit=2\n\njob"));
  Write("api_params", "label_values",
        Mode(2,
             "start=2023-11-14T22:13:20Z\nmatch[]=up%7Binstance%3D~%22a.*%22%7D&"
             "end=2023-11-14T22:20:00.5%2B01:00&limit=1\ninstance"));
  Write("api_params", "query_range",
        Mode(4,
             "query=rate(up%5B1m%5D)&start=1700000000&end=1700000300.5&step=15s&"
             "timeout=1m30s\n\n"));
  Write("api_params", "query_instant_post",
        Mode(5 | 8, "\nquery=sum+by+(job)+(up)&time=1700000100.123\n"));
  Write("api_params", "format_query", Mode(6, "query=foo%7Bbar%3D%22baz%22%7D+%2B+1\n\n"));
  Write("api_params", "labels_post",
        Mode(1 | 8, "start=-1&end=1e9&match[]=%7B__name__%21%3D%22%22%7D\n\n"));
}

// ---- OTLP ----
void Otlp() {
  namespace o = testutil::otlp;
  o::Request req;
  auto* sm = o::AddResource(&req, {{"service.name", "api"}, {"service.instance.id", "i-1"}});
  o::AddGaugePoint(o::AddMetric(sm, "system.memory.usage", "By"), o::kT0Ns, 1.5e9,
                   {{"state", "used"}});
  o::AddSumPoint(o::AddMetric(sm, "http.server.requests", "{request}"), o::kT0Ns, 42, true,
                 {{"http.method", "GET"}});
  o::AddHistogramPoint(o::AddMetric(sm, "http.server.duration", "ms"), o::kT0Ns, {5, 10, 25},
                       {1, 2, 3, 1}, 77.5, {{"route", "/"}});
  o::AddSumPoint(o::AddMetric(sm, "delta.counter", "1"), o::kT0Ns, 1, true, {},
                 o::pb_metrics::AGGREGATION_TEMPORALITY_DELTA);
  std::string proto = req.SerializeAsString();
  Write("otlp", "mixed.proto", Mode(0, proto));
  Write("otlp", "mixed.proto.gz", Mode(4, o::Gzip(proto)));
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(req, &json).ok()) std::exit(1);
  Write("otlp", "mixed.json", Mode(1, json));
  Write("otlp", "mixed.json.gzipped_by_target", Mode(3, json));
}

// ---- cold block ----
void ColdBlock(const fs::path& scratch) {
  std::mt19937_64 rng(7);
  storage::block::BlockMeta meta;
  meta.created_ms = 1767225600000;
  meta.id = storage::block::NewBlockId(meta.created_ms, rng);
  meta.node = "node-1";
  meta.source = "compaction";
  fs::path dir = scratch / meta.id;
  auto w = storage::block::BlockWriter::Create(dir.string(), meta);
  Check(w.status(), "BlockWriter::Create");
  for (int s = 0; s < 3; ++s) {
    auto labels = model::Labels::FromPairs(
        {{"__name__", s == 0 ? "temperature" : "up"}, {"instance", "host-" + std::to_string(s)}});
    Check(labels.status(), "Labels");
    std::vector<model::Sample> samples;
    for (int i = 0; i < 150; ++i) {
      samples.push_back({1767225600000 + i * 15000, s > 0 ? 1.0 : 20.0 + i / 7.0});
    }
    Check((*w)->AddSeriesSamples(*labels, samples), "AddSeriesSamples");
  }
  auto done = (*w)->Finish();
  Check(done.status(), "Finish");
  std::string sep = "\n#part#\n";
  std::string all = ReadFile(dir / "meta.json") + sep + ReadFile(dir / "index") + sep +
                    ReadFile(dir / storage::block::ChunkFileName(1));
  Write("cold_block", "block", Mode(0, all));
  Write("cold_block", "block_synthesized_meta", Mode(1, all));
  Write("cold_block", "meta_only", Mode(0, ReadFile(dir / "meta.json")));

  // A 5m block (format version 2: series entries with hour groups), read through its own
  // meta.json and through one the target makes (mode bits 0 and 1).
  meta.id = storage::block::NewBlockId(meta.created_ms, rng);
  meta.resolution_ms = storage::kResolution5m;
  meta.source = "downsample:node-1/" + meta.id;
  fs::path dir5m = scratch / meta.id;
  auto w5 = storage::block::BlockWriter::Create(dir5m.string(), meta);
  Check(w5.status(), "BlockWriter::Create 5m");
  for (int s = 0; s < 2; ++s) {
    auto labels = model::Labels::FromPairs({{"__name__", "bytes_total"}, {"i", std::to_string(s)}});
    Check(labels.status(), "Labels");
    std::vector<model::Sample> samples;
    for (int i = 0; i < 600; ++i) samples.push_back({1767225600000 + i * 15000 + 1234, 7.0 * i});
    std::vector<storage::AggrWindow> windows;
    storage::AggregateSamples(samples, storage::kResolution5m, &windows);
    Check((*w5)->AddSeriesWindows(*labels, windows), "AddSeriesWindows");
  }
  auto done5m = (*w5)->Finish();
  Check(done5m.status(), "Finish 5m");
  std::string all5m = ReadFile(dir5m / "meta.json") + sep + ReadFile(dir5m / "index") + sep +
                      ReadFile(dir5m / storage::block::ChunkFileName(1));
  Write("cold_block", "block_5m", Mode(0, all5m));
  Write("cold_block", "block_5m_synthesized_meta", Mode(3, all5m));
}

// ---- warm keys and values ----
void Warm() {
  namespace warm = storage::warm;
  auto labels = model::Labels::FromPairs({{"__name__", "up"}, {"job", "node"}});
  Check(labels.status(), "Labels");
  Write("warm", "labels", Mode(0, warm::EncodeLabels(*labels)));
  storage::XorChunk chunk;
  {
    auto app = storage::XorAppender::Open(&chunk);
    Check(app.status(), "XorAppender::Open");
    for (int i = 0; i < 10; ++i) Check(app->Append(1000 + i * 15000, i), "Append");
  }
  auto b = chunk.bytes();
  std::vector<storage::WarmChunk> chunks = {
      {1000, 1000 + 9 * 15000, std::string(reinterpret_cast<const char*>(b.data()), b.size())}};
  Write("warm", "chunk_record", Mode(1, warm::EncodeChunkRecord(chunks)));
  {
    std::vector<model::Sample> samples;
    for (int i = 0; i < 10; ++i) samples.push_back({1000 + i * 15000, i * 0.5});
    samples.push_back({1000 + 10 * 15000, 0.1 + 0.2});  // Not a short decimal: an XOR group.
    Write("warm", "group_record", Mode(1, warm::EncodeGroupRecord(std::span(samples).first(10))));
    Write("warm", "group_record_xor", Mode(1, warm::EncodeGroupRecord(samples)));
  }
  Roaring bitmap;
  for (uint32_t id : {1u, 2u, 3u, 1000u, 70000u}) bitmap.add(id);
  Write("warm", "postings", Mode(2, warm::SerializeBitmap(bitmap)));
  Write("warm", "postings_key", Mode(3, warm::PostingsKey(1767225600000, "job", "node")));
  Write("warm", "chunk_key", Mode(3 | (1 << 2), warm::ChunkKey(1767225600000, 42, 1767225615000)));
  storage::WarmPartitionInfo info{1767225600000, 1767225600000, 1767229200000, 12, 1440};
  Write("warm", "partition_info", Mode(3 | (3 << 2), warm::EncodePartitionInfo(info)));
  Write("warm", "series_id", Mode(3 | (4 << 2), warm::EncodeSeriesId(123456)));
}

// ---- rule files and templates ----
void Rules() {
  Write("rule_file", "recording_and_alerting.yml", R"(groups:
  - name: node
    interval: 30s
    rules:
      - record: instance:node_cpu:rate5m
        expr: sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))
        labels:
          team: infra
      - alert: InstanceDown
        expr: up == 0
        for: 5m
        keep_firing_for: 1m
        labels:
          severity: "{{ if gt $value 0.0 }}page{{ else }}ticket{{ end }}"
        annotations:
          summary: "Instance {{ $labels.instance }} down"
          description: '{{ $labels.instance }} of job {{ $labels.job }} has been down for more than 5 minutes.'
)");
  Write("rule_file", "limits_offset.yml", R"(groups:
- name: api
  limit: 10
  query_offset: 1m
  rules:
  - record: job:http_requests:rate1m
    expr: sum without (instance) (rate(http_requests_total[1m]))
- name: empty
  rules: []
)");
  Write("rule_file", "errors.yml", R"(groups:
- name: dup
  rules:
  - record: bad name
    expr: rate(x)
  - alert: A
    expr: up
    unknown_field: 1
- name: dup
  rules: [{record: ok, expr: "1"}]
)");
  Write("template", "annotation",
        "{{ $labels.instance }} of {{ .Labels.job }} is at {{ $value | humanizePercentage }}"
        " ({{ printf \"%.2f\" $value }}), see {{ $externalURL }}/alerts");
  Write("template", "query_range",
        "{{ range $i, $s := query \"up\" }}{{ if $i }}, {{ end }}{{ $s.Labels.job }}="
        "{{ $s.Value | humanize }}{{ end }}{{ with $externalLabels.cluster }} in {{ . }}{{ end }}");
  Write("template", "define_block",
        "{{ define \"t\" }}[{{ . | toUpper }}]{{ end }}{{- template \"t\" \"x\" -}}"
        "{{ block \"b\" 3 }}{{ humanizeDuration . }}{{ end }}{{ reReplaceAll \"(a+)\" \"<$1>\" "
        "\"caaab\" }} {{ title \"hello world\" }} {{ 1e3 | humanize1024 }} {{ \"a\\tb\" | js }}"
        " {{ \"<x>\" | html }} {{ args 1 \"two\" }}{{ len (query \"up\") }}");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <corpus-dir> [promql-testdata-dir]\n", argv[0]);
    return 2;
  }
  g_out = argv[1];
  fs::path testdata = argc > 2 ? fs::path(argv[2]) : fs::path("/work/shared/promql-testdata");
  fs::path scratch = fs::temp_directory_path() / ("strata-make-corpus-" + std::to_string(getpid()));
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  RemoteWrite();
  Promql(testdata);
  Wal(scratch);
  Chunks();
  ApiParams();
  Otlp();
  ColdBlock(scratch);
  Warm();
  Rules();
  fs::remove_all(scratch);
  return 0;
}
