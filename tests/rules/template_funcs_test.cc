// Prometheus' template functions, with the expected outputs of Prometheus' own template tests
// (template/template_test.go of 2.53), and annotations from kubernetes-mixin and node-mixin.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "rules/template.h"
#include "rules/template_test_util.h"

namespace strata::rules {
namespace {

using template_testing::Col;
using template_testing::DefaultContext;
using template_testing::Expand;
using template_testing::ExpandWithValue;
using template_testing::L;

// A query function over a fixed table: "fail" errors, unknown expressions are empty.
TemplateContext QueryContext() {
  TemplateContext ctx = DefaultContext();
  ctx.query = [](std::string_view expr) -> Result<std::vector<TemplateSample>> {
    static const std::map<std::string, std::vector<TemplateSample>, std::less<>> kTable = {
        {"1.5", {{model::Labels(), 1.5}}},
        {"metric{instance='a'}", {{L({{"instance", "a"}}), 11}}},
        {"metric{__value__='a'}", {{L({{"__value__", "a"}}), 11}}},
        {"metric", {{L({{"instance", "b"}}), 21}, {L({{"instance", "a"}}), 11}}},
        {"up == 0",
         {{L({{"__name__", "up"}, {"instance", "n2:9100"}, {"job", "node"}}), 0},
          {L({{"__name__", "up"}, {"instance", "n1:9100"}, {"job", "node"}}), 0}}},
        {"node_load1", {{L({{"instance", "n1"}}), 1234567.0}}},
    };
    if (expr == "fail") return Status::InvalidArgument("1:1: parse error: unexpected end");
    auto it = kTable.find(expr);
    if (it == kTable.end()) return std::vector<TemplateSample>{};
    return it->second;
  };
  return ctx;
}

std::string Q(std::string_view text) { return Expand(text, QueryContext()); }

TEST(TemplateFuncsTest, Humanize) {
  EXPECT_EQ(Expand("{{ humanize 0.0 }}:{{ humanize 1.0 }}:{{ humanize 1234567.0 }}:"
                   "{{ humanize .12 }}"),
            "0:1:1.235M:120m");
  EXPECT_EQ(Expand("{{ humanize \"0.0\" }}:{{ humanize \"1.0\" }}:{{ humanize \"1234567.0\" }}:"
                   "{{ humanize \".12\" }}"),
            "0:1:1.235M:120m");
  EXPECT_EQ(Expand("{{ humanize 0 }}:{{ humanize -1 }}:{{ humanize 1 }}:{{ humanize 1234567 }}:"
                   "{{ humanize 9223372036854775807 }}"),
            "0:-1:1:1.235M:9.223E");
  EXPECT_EQ(Expand("{{ humanize 0.000001234 }}:{{ humanize -1500 }}:{{ humanize 1e30 }}"),
            "1.234u:-1.5k:1e+06Y");
}

TEST(TemplateFuncsTest, Humanize1024) {
  EXPECT_EQ(Expand("{{ humanize1024 0.0 }}:{{ humanize1024 1.0 }}:{{ humanize1024 1048576.0 }}:"
                   "{{ humanize1024 .12 }}"),
            "0:1:1Mi:0.12");
  EXPECT_EQ(Expand("{{ humanize1024 \"1048576.0\" }}:{{ humanize1024 \".12\" }}"), "1Mi:0.12");
  EXPECT_EQ(Expand("{{ humanize1024 0 }}:{{ humanize1024 -1 }}:{{ humanize1024 1 }}:"
                   "{{ humanize1024 1234567 }}:{{ humanize1024 9223372036854775807 }}"),
            "0:-1:1:1.177Mi:8Ei");
}

TEST(TemplateFuncsTest, HumanizeDuration) {
  EXPECT_EQ(Expand("{{ range $i, $v := args 0.0 1.0 60.0 3600.0 86400.0 90000.0 -183845.0 899.99 }}"
                   "{{ humanizeDuration $v }}:{{ end }}"),
            "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s:");
  EXPECT_EQ(Expand("{{ range $i, $v := args \"0\" \"1\" \"60\" \"3600\" \"86400\" }}"
                   "{{ humanizeDuration $v }}:{{ end }}"),
            "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:");
  EXPECT_EQ(Expand("{{ range $i, $v := args .1 .0001 .12345 60.1 60.5 1.2345 12.345 }}"
                   "{{ humanizeDuration $v }}:{{ end }}"),
            "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:");
  EXPECT_EQ(Expand("{{ range $i, $v := args \".1\" \".0001\" \".12345\" \"60.1\" \"60.5\" "
                   "\"1.2345\" \"12.345\" }}{{ humanizeDuration $v }}:{{ end }}"),
            "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:");
  EXPECT_EQ(Expand("{{ humanizeDuration 0 }}:{{ humanizeDuration -1 }}:{{ humanizeDuration 1 }}:"
                   "{{ humanizeDuration 1234567 }}"),
            "0s:-1s:1s:14d 6h 56m 7s");
}

TEST(TemplateFuncsTest, InfinitiesAndNaN) {
  const char* text =
      "{{ humanize $value }}:{{ humanize1024 $value }}:{{ humanizeDuration $value }}:"
      "{{ humanizeTimestamp $value }}";
  EXPECT_EQ(ExpandWithValue(text, HUGE_VAL), "+Inf:+Inf:+Inf:+Inf");
  EXPECT_EQ(ExpandWithValue(text, -HUGE_VAL), "-Inf:-Inf:-Inf:-Inf");
  EXPECT_EQ(ExpandWithValue(text, std::nan("")), "NaN:NaN:NaN:NaN");
  EXPECT_EQ(Expand("{{ range $i, $v := args \"+Inf\" \"-Inf\" \"NaN\" }}{{ humanize $v }}:"
                   "{{ humanize1024 $v }}:{{ humanizeDuration $v }}:{{ humanizeTimestamp $v }}:"
                   "{{ end }}"),
            "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:");
}

TEST(TemplateFuncsTest, HumanizePercentage) {
  EXPECT_EQ(Expand("{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:"
                   "{{ 0.1234567 | humanizePercentage }}:{{ 1.23456 | humanizePercentage }}"),
            "-22.22%:0%:12.35%:123.5%");
  EXPECT_EQ(Expand("{{ \"-0.22222\" | humanizePercentage }}:{{ \"0.0\" | humanizePercentage }}"),
            "-22.22%:0%");
  EXPECT_EQ(Expand("{{ humanizePercentage 0 }}:{{ humanizePercentage -1 }}:"
                   "{{ humanizePercentage 1 }}:{{ humanizePercentage 1234567 }}:"
                   "{{ humanizePercentage 9223372036854775807 }}"),
            "0%:-100%:100%:1.235e+08%:9.223e+20%");
  EXPECT_EQ(Expand("{{ \"one\" | humanizePercentage }}"),
            "ERROR: template: test:1:" + Col(11) +
                ": executing \"test\" at <humanizePercentage>: error calling humanizePercentage: "
                "strconv.ParseFloat: parsing \"one\": invalid syntax");
  EXPECT_EQ(Expand("{{ humanize true }}"),
            "ERROR: template: test:1:" + Col(3) +
                ": executing \"test\" at <humanize true>: error calling humanize: can't convert "
                "bool to float");
}

TEST(TemplateFuncsTest, HumanizeTimestampAndToTime) {
  EXPECT_EQ(Expand("{{ range $i, $v := args 0 -1 1 1234567 9223372036 }}"
                   "{{ humanizeTimestamp $v }}:{{ end }}"),
            "1970-01-01 00:00:00 +0000 UTC:1969-12-31 23:59:59 +0000 UTC:1970-01-01 00:00:01 "
            "+0000 UTC:1970-01-15 06:56:07 +0000 UTC:2262-04-11 23:47:16 +0000 UTC:");
  EXPECT_EQ(Expand("{{ 1435065584.128 | humanizeTimestamp }}"),
            "2015-06-23 13:19:44.128 +0000 UTC");
  EXPECT_EQ(Expand("{{ \"1435065584.128\" | humanizeTimestamp }}"),
            "2015-06-23 13:19:44.128 +0000 UTC");
  EXPECT_EQ(Expand("{{ (1435065584.128 | toTime).Format \"2006\" }}"), "2015");
  EXPECT_EQ(Expand("{{ (\"1435065584.128\" | toTime).Format \"2006-01-02T15:04:05.000Z07:00 "
                   "Mon Jan _2 3PM\" }}"),
            "2015-06-23T13:19:44.128Z Tue Jun 23 1PM");
  EXPECT_EQ(Expand("{{ (toTime 1435065584.128).Unix }} {{ (toTime 1.5).UnixMilli }} "
                   "{{ toTime 1435065584 }}"),
            "1435065584 1500 2015-06-23 13:19:44 +0000 UTC");
  EXPECT_EQ(Expand("{{ humanizeTimestamp -9223372036854775808 }}"),
            "ERROR: template: test:1:" + Col(3) +
                ": executing \"test\" at <humanizeTimestamp -9223372036854775808>: error calling "
                "humanizeTimestamp: -9.223372036854776e+18 cannot be represented as a "
                "nanoseconds timestamp since it overflows int64");
}

TEST(TemplateFuncsTest, Strings) {
  EXPECT_EQ(Expand("{{ \"aa bb CC\" | title }}|{{ \"aa bb CC\" | toUpper }}|"
                   "{{ \"aA bB CC\" | toLower }}"),
            "Aa Bb CC|AA BB CC|aa bb cc");
  EXPECT_EQ(Expand("{{ \"node_exporter-x.y\" | title }}"), "Node_exporter-X.Y");
  // Unicode letters change case as in Go; invalid UTF-8 becomes U+FFFD.
  EXPECT_EQ(
      Expand("{{ \"\u00e9t\u00e9 \u03b1\u03b2\" | toUpper }}|{{ \"\u00c9T\u00c9\" | toLower }}|"
             "{{ \"\u00e9t\u00e9 \u00e0 z\u3000\u00e9\" | title }}|{{ \"a\xff\" | toUpper }}"),
      "\u00c9T\u00c9 \u0391\u0392|\u00e9t\u00e9|\u00c9t\u00e9 \u00c0 Z\u3000\u00c9|A\ufffd");
  EXPECT_EQ(Expand("{{ match \"a+\" \"aa\" }} {{ match \"a+\" \"b\" }} {{ match \"^b$\" \"ab\" }}"),
            "true false false");
  EXPECT_EQ(Expand("{{ reReplaceAll \"(a)b\" \"x$1\" \"ab\" }}"), "xa");
  EXPECT_EQ(Expand("{{ reReplaceAll \"(?P<host>[^:]+):(\\\\d+)\" \"${host}-$2-$$-$1x-${9}\" "
                   "\"h:80 g:81\" }}"),
            "h-80-$-- g-81-$--");
  EXPECT_EQ(Expand("{{ reReplaceAll \"a*\" \"-\" \"baaac\" }}"), "-b-c-");
  EXPECT_EQ(Expand("{{ reReplaceAll \":.*\" \"\" $labels.instance }}"), "host");
  EXPECT_EQ(
      Expand("{{ reReplaceAll \"(a\" \"\" \"x\" }}"),
      "ERROR: template: test:1:" + Col(3) +
          ": executing \"test\" at <reReplaceAll \"(a\" \"\" \"x\">: error calling "
          "reReplaceAll: regexp: Compile(`(a`): error parsing regexp: missing closing ): `(a`");
  EXPECT_EQ(Expand("{{ \"<b>\" }}{{ \"<b>\" | safeHtml }}"), "<b><b>");
  EXPECT_EQ(Expand("{{ \"x\" | safeHtml | toUpper }}"),
            "ERROR: template: test:1:" + Col(20) +
                ": executing \"test\" at <toUpper>: wrong type for value; expected string; got "
                "template.HTML");
}

TEST(TemplateFuncsTest, LinksAndUrls) {
  EXPECT_EQ(Expand("{{ graphLink \"up\" }} {{ tableLink \"up\" }}"),
            "/graph?g0.expr=up&g0.tab=0 /graph?g0.expr=up&g0.tab=1");
  EXPECT_EQ(Expand("{{ graphLink \"rate(x{a=\\\"b c\\\"}[5m]) > 0\" }}"),
            "/graph?g0.expr=rate%28x%7Ba%3D%22b+c%22%7D%5B5m%5D%29+%3E+0&g0.tab=0");
  EXPECT_EQ(TableLinkForExpression("a b"), "/graph?g0.expr=a+b&g0.tab=1");
  EXPECT_EQ(GraphLinkForExpression("a b"), "/graph?g0.expr=a+b&g0.tab=0");
  EXPECT_EQ(Expand("{{ pathPrefix }} {{ externalURL }}"),
            "/prefix http://prom.example:9090/prefix");
  TemplateContext no_prefix = DefaultContext();
  no_prefix.path_prefix.clear();
  no_prefix.external_url = "https://prom.example/a/b?x=1";
  EXPECT_EQ(Expand("{{ pathPrefix }}", no_prefix), "/a/b");
  no_prefix.external_url = "http://prom.example:9090";
  EXPECT_EQ(Expand("[{{ pathPrefix }}]", no_prefix), "[]");
  EXPECT_EQ(Expand("{{ printf \"%0.2f\" (parseDuration \"1h2m10ms\") }}"), "3720.01");
  EXPECT_EQ(Expand("{{ parseDuration \"x\" }}"),
            "ERROR: template: test:1:" + Col(3) +
                ": executing \"test\" at <parseDuration \"x\">: error calling parseDuration: not "
                "a valid duration string: \"x\"");
}

TEST(TemplateFuncsTest, StripPortAndDomain) {
  const std::pair<const char*, const char*> kPort[] = {
      {"foo.example.com", "foo.example.com"},
      {"foo.example.com:12345", "foo.example.com"},
      {"192.0.2.1", "192.0.2.1"},
      {"192.0.2.1:12345", "192.0.2.1"},
      {"2001:0DB8::1", "2001:0DB8::1"},
      {"[2001:0DB8::1]:12345", "2001:0DB8::1"},
      {"[2001:0DB8::1]::12345", "[2001:0DB8::1]::12345"}};
  for (const auto& [in, want] : kPort) {
    EXPECT_EQ(Expand(std::string("{{ \"") + in + "\" | stripPort }}"), want) << in;
  }
  const std::pair<const char*, const char*> kDomain[] = {
      {"foo.example.com", "foo"},
      {"foo.example.com:12345", "foo:12345"},
      {"192.0.2.1", "192.0.2.1"},
      {"192.0.2.1:12345", "192.0.2.1:12345"},
      {"2001:0DB8::1", "2001:0DB8::1"},
      {"[2001:0DB8::1]:12345", "[2001:0DB8::1]:12345"},
      {"[2001:0DB8::1]::12345", "[2001:0DB8::1]::12345"}};
  for (const auto& [in, want] : kDomain) {
    EXPECT_EQ(Expand(std::string("{{ \"") + in + "\" | stripDomain }}"), want) << in;
  }
}

TEST(TemplateFuncsTest, QueryFirstValueLabel) {
  EXPECT_EQ(Q("{{ query \"1.5\" | first | value }}"), "1.5");
  EXPECT_EQ(Q("{{ query \"metric{instance='a'}\" | first | value }}"), "11");
  EXPECT_EQ(Q("{{ query \"metric{instance='a'}\" | first | label \"instance\" }}"), "a");
  EXPECT_EQ(Q("{{ query \"metric{__value__='a'}\" | first | strvalue }}"), "a");
  EXPECT_EQ(Q("{{ query \"metric{instance='a'}\" | first | label \"foo\" }}"), "");
  EXPECT_EQ(Q("{{ $x := query \"metric\" | first }}{{ $x.Labels.foo }}"), "");
  EXPECT_EQ(Q("{{ range query \"metric\" | sortByLabel \"instance\" }}{{.Labels.instance}}:"
              "{{.Value}}: {{end}}"),
            "a:11: b:21: ");
  EXPECT_EQ(Q("{{ len (query \"metric\") }} {{ (index (query \"metric\") 0).Value }}"), "2 21");
  EXPECT_EQ(Q("{{ query \"metric\" | first }}"), "{map[instance:b] 21}");
  EXPECT_EQ(Q("{{ printf \"%v|%+v|%d\" (query \"metric\" | first) (query \"metric\" | first) "
              "(args 1 2) }}"),
            "&{map[instance:b] 21}|&{Labels:map[instance:b] Value:21}|map[%!d(string=arg0):1 "
            "%!d(string=arg1):2]");
  EXPECT_EQ(Q("{{ with query \"nothing\" }}x{{ else }}no data{{ end }}"), "no data");
}

TEST(TemplateFuncsTest, QueryErrors) {
  EXPECT_EQ(Q("{{ query \"missing\" | first }}"),
            "ERROR: template: test:1:" + Col(21) +
                ": executing \"test\" at <first>: error calling first: first() called on vector "
                "with no elements");
  EXPECT_EQ(Q("{{ (query \"missing\").banana }}"),
            "ERROR: template: test:1:" + Col(10) +
                ": executing \"test\" at <\"missing\">: can't evaluate field banana in type "
                "template.queryResult");
  EXPECT_EQ(Q("{{ query \"fail\" }}"),
            "ERROR: template: test:1:" + Col(3) +
                ": executing \"test\" at <query \"fail\">: error calling query: 1:1: parse error: "
                "unexpected end");
  EXPECT_EQ(Expand("{{ query \"up\" }}"),  // No query function in the context.
            "ERROR: template: test:1:" + Col(3) +
                ": executing \"test\" at <query \"up\">: error calling query: no query engine "
                "available");
  EXPECT_EQ(Q("{{ first \"x\" }}"),
            "ERROR: template: test:1:" + Col(9) +
                ": executing \"test\" at <\"x\">: can't handle \"x\" for arg of type "
                "template.queryResult");
  EXPECT_EQ(Q("{{ query \"metric\" | value }}"),
            "ERROR: template: test:1:" + Col(20) +
                ": executing \"test\" at <value>: wrong type for value; expected "
                "*template.sample; got template.queryResult");
}

// Annotations as kubernetes-mixin, node-mixin and the Prometheus mixin write them.
TEST(TemplateFuncsTest, RealMixinAnnotations) {
  TemplateContext ctx = QueryContext();
  ctx.labels = L({{"alertname", "X"},
                  {"namespace", "monitoring"},
                  {"pod", "api-7f9"},
                  {"container", "server"},
                  {"resource", "requests.cpu"},
                  {"persistentvolumeclaim", "data-0"},
                  {"cluster", "eu1"},
                  {"device", "/dev/sda1"},
                  {"mountpoint", "/var"},
                  {"instance", "n1:9100"},
                  {"node", "n1"},
                  {"remote_name", "thanos"},
                  {"url", "http://r/w"}});
  ctx.value = 0.04567;
  auto x = [&](std::string_view text) { return Expand(text, ctx); };
  EXPECT_EQ(x("Pod {{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) is in "
              "waiting state (reason: \"CrashLoopBackOff\")."),
            "Pod monitoring/api-7f9 (server) is in waiting state (reason: \"CrashLoopBackOff\").");
  EXPECT_EQ(x("Namespace {{ $labels.namespace }} is using {{ $value | humanizePercentage }} of "
              "its {{ $labels.resource }} quota."),
            "Namespace monitoring is using 4.567% of its requests.cpu quota.");
  EXPECT_EQ(x("The PersistentVolume claimed by {{ $labels.persistentvolumeclaim }} in Namespace "
              "{{ $labels.namespace }} {{ with $labels.cluster -}} on Cluster {{ . }} {{- end }} "
              "is only {{ $value | humanizePercentage }} free."),
            "The PersistentVolume claimed by data-0 in Namespace monitoring on Cluster eu1 is "
            "only 4.567% free.");
  EXPECT_EQ(x("Filesystem on {{ $labels.device }}, mounted on {{ $labels.mountpoint }}, at "
              "{{ $labels.instance }} has only {{ printf \"%.2f\" $value }}% available space "
              "left and is filling up."),
            "Filesystem on /dev/sda1, mounted on /var, at n1:9100 has only 0.05% available "
            "space left and is filling up.");
  EXPECT_EQ(x("Kubelet '{{ $labels.node }}' is running at {{ $value | humanizePercentage }} of "
              "its Pod capacity."),
            "Kubelet 'n1' is running at 4.567% of its Pod capacity.");
  EXPECT_EQ(x("Prometheus {{$labels.instance}} remote write is {{ printf \"%.1f\" $value }}s "
              "behind for {{ $labels.remote_name}}:{{ $labels.url }}."),
            "Prometheus n1:9100 remote write is 0.0s behind for thanos:http://r/w.");
  EXPECT_EQ(x("Load is {{ with query \"node_load1\" }}{{ . | first | value | humanize }}{{ end }}"),
            "Load is 1.235M");
  EXPECT_EQ(x("Down: {{ range query \"up == 0\" | sortByLabel \"instance\" }}"
              "{{ .Labels.instance }} {{ end }}"),
            "Down: n1:9100 n2:9100 ");
  // A YAML block scalar with trim markers, as multi-line annotations are written.
  EXPECT_EQ(x("Targets down:\n{{- range $i, $e := query \"up == 0\" | sortByLabel \"instance\" }}\n"
              "  - {{ $e.Labels.instance }} ({{ $e.Labels.job }})\n{{- end }}\n"),
            "Targets down:\n  - n1:9100 (node)\n  - n2:9100 (node)\n");
  EXPECT_EQ(x("{{ if gt $value 0.5 }}critical{{ else }}warning{{ end }}: {{ $value }}"),
            "warning: 0.04567");
  EXPECT_EQ(x("{{ $value | humanizeDuration }} since last scrape of {{ $labels.instance | "
              "stripPort }}"),
            "45.67ms since last scrape of n1");
  EXPECT_EQ(x("{{ range $k, $v := $labels }}{{ if match \"^(pod|node)$\" $k }}{{ $k }}={{ $v }} "
              "{{ end }}{{ end }}"),
            "node=n1 pod=api-7f9 ");
}

}  // namespace
}  // namespace strata::rules
