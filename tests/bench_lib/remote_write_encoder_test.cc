// The drivers' hand-rolled remote-write encoder against Strata's own decoder
// (ingest::DecodeWriteRequest) and the generated protobuf classes: seeded random round trips
// (the seed is printed on failure), the value and timestamp edge cases, truncation, and the
// checks that guard the drivers.
#include "bench/lib/remote_write_encoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ingest/write_request.h"

namespace strata::bench {
namespace {

struct SeriesIn {
  LabelList labels;
  std::vector<std::pair<int64_t, double>> samples;
};

std::string Encode(const std::vector<SeriesIn>& series) {
  std::string raw;
  for (const SeriesIn& s : series) {
    std::string fields;
    for (const auto& [t, v] : s.samples) {
      char buf[kMaxSampleFieldBytes];
      fields.append(buf, EncodeSampleField(v, t, buf));
    }
    AppendTimeSeries(&raw, EncodeLabels(s.labels), fields);
  }
  return raw;
}

// Decodes with Strata's decoder and checks every label and sample (values bit for bit).
void ExpectDecodesTo(const std::string& raw, std::vector<SeriesIn> want) {
  ingest::WriteRequestView view;
  const Status st = ingest::DecodeWriteRequest(raw, &view);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(view.series.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    std::sort(want[i].labels.begin(), want[i].labels.end());
    const auto labels = view.LabelsOf(view.series[i]);
    ASSERT_EQ(labels.size(), want[i].labels.size()) << "series " << i;
    for (size_t k = 0; k < labels.size(); ++k) {
      EXPECT_EQ(labels[k].name, want[i].labels[k].first);
      EXPECT_EQ(labels[k].value, want[i].labels[k].second);
    }
    const auto samples = view.SamplesOf(view.series[i]);
    ASSERT_EQ(samples.size(), want[i].samples.size()) << "series " << i;
    for (size_t k = 0; k < samples.size(); ++k) {
      EXPECT_EQ(samples[k].timestamp_ms, want[i].samples[k].first);
      EXPECT_EQ(std::bit_cast<uint64_t>(samples[k].value),
                std::bit_cast<uint64_t>(want[i].samples[k].second))
          << "series " << i << " sample " << k;
    }
  }
}

TEST(RemoteWriteEncoderTest, EdgeValuesAndTimestampsRoundTrip) {
  const double kStale = std::bit_cast<double>(uint64_t{0x7ff0000000000002});
  SeriesIn s{{{"job", "node"}, {"__name__", "up"}, {"instance", "h:1"}}, {}};
  int64_t t = std::numeric_limits<int64_t>::min();
  for (const double v :
       {0.0, -0.0, 1.0, -1.5, kStale, std::numeric_limits<double>::quiet_NaN(),
        std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
        std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::max(), 1e-300}) {
    s.samples.emplace_back(t, v);
    t = t / 2 + 1;  // From INT64_MIN (a 10-byte varint) up through small negatives.
  }
  for (const int64_t ts : {int64_t{-1}, int64_t{0}, int64_t{1}, int64_t{127}, int64_t{128},
                           int64_t{1700000000000}, std::numeric_limits<int64_t>::max()}) {
    s.samples.emplace_back(ts, 2.0);
  }
  ExpectDecodesTo(Encode({s}), {s});
}

TEST(RemoteWriteEncoderTest, SampleFieldSizeBound) {
  char buf[kMaxSampleFieldBytes];
  EXPECT_EQ(EncodeSampleField(1.0, 0, buf), 13u);  // Tag, length, 9-byte value, 2-byte time.
  EXPECT_EQ(EncodeSampleField(1.0, -1, buf), kMaxSampleFieldBytes);
  EXPECT_EQ(EncodeSampleField(1.0, std::numeric_limits<int64_t>::min(), buf), kMaxSampleFieldBytes);
}

TEST(RemoteWriteEncoderTest, SeededRandomRoundTrips) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 50; ++round) {
    std::vector<SeriesIn> series(rng() % 20);
    for (SeriesIn& s : series) {
      s.labels.emplace_back("__name__", "m" + std::to_string(rng() % 1000));
      const int extra = static_cast<int>(rng() % 6);
      for (int k = 0; k < extra; ++k) {
        std::string value(rng() % 300, '\0');  // Up to a two-byte length varint.
        for (char& c : value) c = static_cast<char>(rng());
        s.labels.emplace_back("l" + std::to_string(k), value);
      }
      const int n = static_cast<int>(rng() % 30);
      int64_t t = static_cast<int64_t>(rng() % 2000000000000) - 1000000000000;
      for (int k = 0; k < n; ++k) {
        t += static_cast<int64_t>(rng() % 100000);
        s.samples.emplace_back(t, std::bit_cast<double>(rng()));
      }
    }
    ExpectDecodesTo(Encode(series), series);
    if (HasFatalFailure()) return;
  }
}

TEST(RemoteWriteEncoderTest, EveryTruncationInsideASeriesIsRejected) {
  const SeriesIn a{{{"__name__", "a"}, {"job", "j"}, {"instance", "i"}},
                   {{1700000000000, 1.5}, {1700000015000, 2.5}}};
  const SeriesIn b{{{"__name__", "b"}, {"job", "j"}, {"instance", "i"}}, {{1700000000000, 3.0}}};
  const std::string raw = Encode({a, b});
  const size_t boundary = Encode({a}).size();  // Cut there, the request is just `a`.
  for (size_t len = 1; len < raw.size(); ++len) {
    ingest::WriteRequestView view;
    const Status st = ingest::DecodeWriteRequest(std::string_view(raw).substr(0, len), &view);
    EXPECT_EQ(st.ok(), len == boundary) << "truncated to " << len << " of " << raw.size();
  }
}

TEST(RemoteWriteEncoderTest, LabelsAreSortedByName) {
  EXPECT_EQ(EncodeLabels({{"b", "1"}, {"a", "2"}}), EncodeLabels({{"a", "2"}, {"b", "1"}}));
}

TEST(RemoteWriteEncoderTest, SnappyRoundTrip) {
  const std::string raw =
      Encode({{{{"__name__", "a"}, {"job", "j"}, {"instance", "i"}}, {{1, 1.0}, {2, 2.0}}}});
  std::string back;
  ASSERT_TRUE(SnappyUncompress(SnappyCompress(raw), &back));
  EXPECT_EQ(back, raw);
  EXPECT_FALSE(SnappyUncompress("\xff\xff\xff\xff\x0f garbage", &back));
}

TEST(RemoteWriteEncoderTest, CheckWriteRequestGuardsTheShape) {
  const LabelList labels = {{"__name__", "a"}, {"instance", "i"}, {"job", "j"}};
  std::string error;
  const std::string one = Encode({{labels, {{1, 1.0}}}, {labels, {{1, 2.0}}}});
  EXPECT_TRUE(CheckWriteRequest(one, {}, &error)) << error;
  EXPECT_TRUE(CheckWriteRequest(one, {.series = 2, .one_sample_per_series = true}, &error));
  EXPECT_FALSE(CheckWriteRequest(one, {.series = 3}, &error));
  EXPECT_EQ(error, "timeseries count mismatch");

  const std::string two = Encode({{labels, {{1, 1.0}, {2, 2.0}}}});
  EXPECT_TRUE(CheckWriteRequest(two, {}, &error));
  EXPECT_FALSE(CheckWriteRequest(two, {.one_sample_per_series = true}, &error));

  EXPECT_FALSE(CheckWriteRequest(Encode({{labels, {{2, 1.0}, {2, 2.0}}}}), {}, &error));
  EXPECT_EQ(error, "samples not in time order");
  EXPECT_FALSE(CheckWriteRequest(Encode({{labels, {}}}), {}, &error));
  EXPECT_FALSE(CheckWriteRequest(Encode({{{{"__name__", "a"}, {"job", "j"}}, {{1, 1.0}}}}), {},
                                 &error));  // Fewer than 3 labels.

  // Hand-assembled out of order: AppendTimeSeries takes the label block as given.
  std::string unsorted;
  char buf[kMaxSampleFieldBytes];
  const std::string block =
      EncodeLabels({{"__name__", "a"}}) + EncodeLabels({{"z", "1"}}) + EncodeLabels({{"b", "2"}});
  AppendTimeSeries(&unsorted, block, std::string_view(buf, EncodeSampleField(1, 1, buf)));
  EXPECT_FALSE(CheckWriteRequest(unsorted, {}, &error));
  EXPECT_EQ(error, "labels not sorted");
  EXPECT_FALSE(CheckWriteRequest("\x0a\x05\x01", {}, &error));
  EXPECT_EQ(error, "protobuf parse failed");
}

TEST(RemoteWriteEncoderTest, FormatsTheTextExposition) {
  const std::string raw =
      Encode({{{{"__name__", "up"}, {"job", "j"}, {"instance", "i:1"}}, {{1000, 1.0}, {2000, 0.1}}},
              {{{"__name__", "x"}, {"job", "j"}, {"instance", "i:1"}}, {{1000, -2.0}}}});
  EXPECT_EQ(FormatWriteRequest(raw, 100),
            "up{instance=\"i:1\",job=\"j\"} 1 1000\n"
            "up{instance=\"i:1\",job=\"j\"} 0.10000000000000001 2000\n"
            "x{instance=\"i:1\",job=\"j\"} -2 1000\n");
  EXPECT_EQ(FormatWriteRequest(raw, 1), "up{instance=\"i:1\",job=\"j\"} 1 1000\n");
  EXPECT_EQ(FormatWriteRequest(raw, 0), "");
}

}  // namespace
}  // namespace strata::bench
