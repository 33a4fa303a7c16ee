// Differential test against the real thing: the same templates as alert annotations expanded by
// Prometheus' promtool (Debian's 2.42, Go's own text/template) and by our engine, which must
// agree byte for byte, errors included. promtool prints the annotations it got when a unit
// test expects no alert; we read them from there. Skipped where promtool is not installed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "rules/template.h"
#include "rules/template_test_util.h"
#include "testutil/process.h"

namespace strata::rules {
namespace {

using template_testing::L;

// Templates valid for Go 1.19 (the toolchain of Debian's Prometheus 2.42): no range over
// integers, no {{else with}}. pathPrefix and externalURL need a URL promtool does not set.
const char* const kCorpus[] = {
    R"t({{ $value }} {{ $labels.instance }} {{ .Labels.job }} [{{ $labels.nope }}])t",
    R"t({{ printf "%.2f|%5.1f|%-6s|%05d|%x|%X|%q|%v|%+d|%e|%g|%G|%o|%b|%c|%U|%t|%%" $value 3.14159 "ab" 42 255 "hi" "q\n" $labels 5 1234.5678 0.000012345 1e21 8 5 65 65 true }})t",
    R"t({{ printf "%d %s %z" 1.5 2 3 }}{{ printf "%s %s" "a" }}{{ printf "x" 1 "y" }})t",
    R"t({{ printf "%v %v %v %v %v %v %v" 1e6 123456.0 1234567.0 0.0001 0.00001 -0.0 1e21 }})t",
    R"t({{ printf "%8.3f|%-8.3f|%+.1e|% d|%x|%.0f|%.3g|%10.4v|%-10v|" -3.14159 2.5 12345.678 7 -255 2.5 0.00012345 3.14159 "x" }})t",
    R"t({{ printf "%T %T %T %T %T %T" 1 1.5 "s" $labels (args) true }})t",
    R"t({{ print 1 2 "a" "b" 3 nil }}|{{ println 1 "a" }}|{{ "x" | printf "%s-%s" "a" }})t",
    R"t({{ humanize 0.0 }} {{ humanize 1234567.0 }} {{ humanize .12 }} {{ humanize "1e-7" }} {{ humanize -1500 }} {{ humanize 9223372036854775807 }} {{ humanize 1e30 }} {{ humanize 0.000001234 }})t",
    R"t({{ humanize1024 1048576.0 }} {{ humanize1024 .12 }} {{ humanize1024 1234567 }} {{ humanize1024 -2048.5 }} {{ humanize1024 "1e20" }})t",
    R"t({{ humanizeDuration 0.0 }} {{ humanizeDuration 899.99 }} {{ humanizeDuration -183845.0 }} {{ humanizeDuration .12345 }} {{ humanizeDuration 1234567 }} {{ humanizeDuration "60.5" }} {{ humanizeDuration 0.000000001234 }} {{ humanizeDuration -0.5 }})t",
    R"t({{ humanizePercentage 0.1234567 }} {{ humanizePercentage -0.22222 }} {{ humanizePercentage 1234567 }} {{ $value | humanizePercentage }})t",
    R"t({{ humanizeTimestamp 1435065584.128 }}|{{ humanizeTimestamp -1 }}|{{ humanizeTimestamp "1234567" }}|{{ (toTime 1435065584.128).Format "2006-01-02T15:04:05.000Z07:00 Mon Jan _2 3PM" }}|{{ (toTime 1.5).Unix }}|{{ (toTime 1.5).UnixMilli }}|{{ toTime 1435065584 }})t",
    R"t({{ title "aa bb-cc_dd été" }}|{{ toUpper "ab é ß ω" }}|{{ toLower "AB É Ω" }})t",
    R"t({{ match "^a+$" "aa" }} {{ match "b" "abc" }} {{ reReplaceAll "(\\w+)@(\\w+)" "$2 at ${1}x $$ $3" "me@host you@there" }} {{ reReplaceAll "a*" "-" "baaac" }})t",
    R"t({{ graphLink "rate(x{a=\"b c\"}[5m]) > 0" }} {{ tableLink "up" }})t",
    R"t({{ "foo.example.com:12345" | stripPort }} {{ "[2001:db8::1]:80" | stripPort }} {{ "foo.example.com:1" | stripDomain }} {{ "192.0.2.1:8" | stripDomain }} {{ "foo.example.com" | stripDomain }})t",
    R"t({{ printf "%0.2f" (parseDuration "1h2m10ms") }} {{ parseDuration "90s" }})t",
    R"t({{ with query "node_load1" }}{{ . | first | value | humanize }}{{ end }}|{{ range query "up" | sortByLabel "instance" }}{{ .Labels.instance }}={{ .Value }};{{ end }}|{{ len (query "up") }}|{{ query "up" | first | label "job" }}|{{ query "nothing" }}|{{ with query "nothing" }}x{{ else }}none{{ end }})t",
    R"t({{ printf "%v|%+v" (query "node_load1" | first) (query "node_load1" | first) }}|{{ query "node_load1" | first }}|{{ (query "node_load1" | first).Labels.instance }})t",
    R"t({{ range $k, $v := $labels }}{{ $k }}={{ $v }},{{ end }}|{{ range $i, $e := args "a" 2 }}{{ $i }}:{{ $e }} {{ end }}|{{ range $labels.nope }}x{{ else }}empty{{ end }})t",
    R"t({{ if gt $value 0.4 }}big{{ else if gt $value 0.1 }}mid{{ else }}small{{ end }}|{{ with $labels.nope }}x{{ else }}none{{ end }}|{{ if and $labels.job (not $labels.nope) }}y{{ end }}|{{ or "" 0 "z" }}|{{ and 1 "" 2 }}|{{ or 0 "" }})t",
    R"t({{ eq 1 2 3 1 }} {{ ne "a" "b" }} {{ lt "a" "b" }} {{ le 2.5 2.5 }} {{ ge 1 2 }} {{ eq $labels.job "node" }} {{ eq .Labels.nope "" }})t",
    R"t({{ len "héllo" }} {{ index $labels "job" }} {{ index "abc" 1 }} {{ slice "abcdef" 1 3 }} {{ slice "abc" 1 }} {{ (args 1 2).arg1 }} {{ (args 1).arg7 }} {{ index (args 5) "arg0" }})t",
    R"t({{ html "<a href='x'>&\"" }}|{{ js "a'b\"<>=&\\\n" }}|{{ urlquery "a b&c/é" }}|{{ html 1 "<" }}|{{ html (args).x }})t",
    R"t({{ define "t" }}[{{ . }}]{{ end }}{{ template "t" $labels.job }}{{ block "b" 5 }}<{{ . }}>{{ end }}{{ template "t" }})t",
    "a  {{- \"b\" -}}  c {{/* comment */}} d{{- /* x */ -}} e\n  {{- 1 }}\n{{ 2 -}}\n  f",
    R"t({{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}|{{ range $i, $e := args 0 1 2 3 }}{{ if eq $i "arg2" }}{{ break }}{{ end }}{{ $e }}{{ end }}|{{ range $i, $e := args 0 1 2 }}{{ if eq $e 1 }}{{ continue }}{{ end }}{{ $e }}{{ end }}|{{ with $y := 5 }}{{ $y }}{{ . }}{{ end }})t",
    R"t({{ 0x1F }} {{ 'a' }} {{ 1e3 }} {{ 1_000 }} {{ 017 }} {{ -7 }} {{ "\u00e9\x41\t." }} {{ `raw\n` }} {{ 1.5 }} {{ .5 }} {{ true }})t",
    R"t({{ . }})t",
    R"t({{ $externalLabels.cluster }} {{ $externalURL }} {{ .ExternalLabels }})t",
    // Execution errors: the annotation carries Prometheus' error text.
    R"t(x {{ humanize "one" }})t",
    R"t({{ query "nothing" | first }})t",
    R"t({{ if gt $value 1 }}x{{ end }})t",
    R"t({{ .Nope }})t",
    R"t({{ index "ab" 5 }})t",
    R"t({{ toUpper $value }})t",
    R"t({{ template "missing" }})t",
    R"t({{ printf 1 }})t",
    R"t({{ $labels.job.x }})t",
    R"t({{ (query "up").banana }})t",
    R"t({{ humanize }})t",
    R"t({{ len 3 }})t",
    R"t({{ "x" | safeHtml | toUpper }})t",
    R"t({{ reReplaceAll "(a" "" "x" }})t",
    R"t({{ eq $labels 1 }})t",
    R"t({{ nil }})t",
    R"t({{ 1 | $value }})t",
    R"t(line1
  {{ "a" }} {{ humanizeDuration "x" }})t",
    R"t({{ printf "%5t|%-5t|%05s|%.2s|%x|%6.2f%%|%s|%!" true false "ab" "héllo" -255 12.3456 nil }})t",
    R"t({{ printf "%[3]d %[1]d|%.*d|%-08d|%#q|%v %v" 1 2 3 7 5 "abc" true false }})t",
    R"t({{ printf "%08.3f|%+08.3f|%-8.3f|% .3f|%.3s|%.10s|%5.1s" 3.14159 3.14159 3.14159 3.14159 "héllo" "ab" "xyz" }})t",
    R"t({{ printf "%d %d|%x %o %b|%e %E %.0e|%g %g %g %g" 9223372036854775807 -9223372036854775808 -1 -8 -5 0.0 -1e-300 5.5 1e-5 1e-4 123456789.0 0.1 }})t",
    R"t({{ printf "%.0f %.0f %.0f %.1f %.2f" 0.5 1.5 2.5 0.25 1.005 }}|{{ printf "%c|%q|%U|%#U" 128512 128512 128512 233 }})t",
    R"t({{ printf "%x|%X|% x|%#x|%q|%+q" "héllo" "hi" "hi" "hi" 65 "é" }})t",
    R"t({{ printf "%v|%s|%d" (args 1 "a" nil) $labels (args 1 2) }})t",
    R"t({{ printf "%T %T %T %T %T" (safeHtml "x") (query "up") (query "up" | first) (toTime 1) nil }})t",
    R"t({{ if eq "a" "a" "b" }}y{{ end }} {{ eq 1.0 1.0 }} {{ eq (len $labels) 4 }} {{ index $labels }} {{ len (args) }} {{ (index (query "up") 1).Labels.instance }})t",
    R"t({{ title "hello wORLD" }}|{{ title "ǆx" }}|{{ toUpper "ǆ" }}|{{ toLower "İ" }}|{{ toUpper "ß" }})t",
    R"t({{ reReplaceAll "" "-" "abc" }}|{{ reReplaceAll "(?i)ABC" "x" "abcABC" }}|{{ reReplaceAll "é" "e" "été" }}|{{ reReplaceAll "(a)|(b)" "[$1$2]" "ab" }}|{{ reReplaceAll "a" "$" "aa" }}|{{ reReplaceAll "a" "${" "aa" }}|{{ reReplaceAll "(?P<x>a)" "${x}${x}" "ba" }}|{{ match "\\d+" "abc123" }})t",
    R"t({{ humanize 999.9999 }} {{ humanize 999999 }} {{ humanize -0.0 }} {{ humanize1024 1023.9 }} {{ humanize1024 1e30 }} {{ humanizeDuration 59.9999 }} {{ humanizeDuration 86399.9 }})t",
    R"t({{ humanizeDuration 1e30 }} {{ humanizeDuration -1e30 }} {{ humanizeTimestamp 1e12 }} {{ humanizeTimestamp 0.0001 }} {{ humanizeTimestamp -0.0005 }})t",
    R"t({{ humanize "inf" }} {{ humanize "-Infinity" }} {{ humanize "nan" }} {{ humanize "1e400" | len }})t",
    R"t({{ $labels }} {{ .Value }} {{ args }} {{ safeHtml "<x>" }} {{ toTime 1.5 }} {{ (toTime 1.5).UTC }} {{ js "\u2028é<" }} {{ urlquery 1 2 }} {{ html "é" }} {{ print (args 1) }}[{{ println }}])t",
    R"t({{ with $x := "a" }}{{ $x }}{{ end }}{{ range $x := args 1 }}{{ $x }}{{ end }}{{ block "b" . }}{{ .Labels.job }}{{ end }}{{ template "later" 5 }}{{ define "later" }}L{{ . }}{{ end }})t",
    R"t({{ "a" }}{{/* */}}{{ "b" }} {{ 1 }}{{- 2 -}} {{ 3 }} {{- /* a */ -}} x)t",
    R"t({{ printf "%#v|%#v|%#v|%#v" "x" 1.5 1 true }})t",
    R"t({{ humanize "0x10" }})t",
    R"t({{ humanize " 1" }})t",
    R"t({{ humanize (args) }})t",
    R"t({{ humanizePercentage "abc" }})t",
    R"t({{ lt 1 2.0 }})t",
    R"t({{ eq "a" 1 }})t",
    R"t({{ eq nil nil }})t",
    R"t({{ not nil }})t",
    R"t({{ and }})t",
    R"t({{ index nil 1 }})t",
    R"t({{ slice "abc" 1 2 3 }})t",
    R"t({{ index (query "up") 5 }})t",
    R"t({{ match "[" "x" }})t",
    R"t({{ match "a**" "x" }})t",
    R"t({{ match "\\8" "x" }})t",
    R"t({{ match "x{2,1}" "x" }})t",
    R"t({{ match "a)" "a" }})t",
    R"t({{ match "(?<n>a)" "a" }})t",
    R"t({{ range 1.5 }}{{ end }})t",
    R"t({{ .Labels.job.x }})t",
    R"t({{ $value.x }})t",
    R"t({{ (query "up" | first).Nope }})t",
    R"t({{ first "x" }})t",
    R"t({{ query "up" | value }})t",
    R"t({{ humanizeTimestamp 1e300 }})t",
    R"t({{ toTime "x" }})t",
    R"t({{ parseDuration "1x" }})t",
    R"t({{ label 1 (query "up" | first) }})t",
    R"t({{ printf "%s" | len }})t",
};

// A YAML double-quoted scalar.
std::string YamlQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + "\"";
}

// Parses Go's strconv.Quote output at s[*i] (the opening quote); false if malformed.
bool GoUnquote(std::string_view s, size_t* i, std::string* out) {
  if (*i >= s.size() || s[*i] != '"') return false;
  ++*i;
  while (*i < s.size() && s[*i] != '"') {
    char c = s[(*i)++];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (*i >= s.size()) return false;
    char e = s[(*i)++];
    switch (e) {
      case 'n':
        out->push_back('\n');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 'a':
        out->push_back('\a');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'v':
        out->push_back('\v');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '"':
        out->push_back('"');
        break;
      case 'x': {
        out->push_back(static_cast<char>(std::stoi(std::string(s.substr(*i, 2)), nullptr, 16)));
        *i += 2;
        break;
      }
      case 'u':
      case 'U': {
        size_t n = e == 'u' ? 4 : 8;
        auto r = static_cast<uint32_t>(std::stoul(std::string(s.substr(*i, n)), nullptr, 16));
        *i += n;
        // UTF-8 encode.
        if (r < 0x80) {
          out->push_back(static_cast<char>(r));
        } else if (r < 0x800) {
          out->push_back(static_cast<char>(0xC0 | (r >> 6)));
          out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
        } else if (r < 0x10000) {
          out->push_back(static_cast<char>(0xE0 | (r >> 12)));
          out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
          out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
        } else {
          out->push_back(static_cast<char>(0xF0 | (r >> 18)));
          out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
          out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
          out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
        }
        break;
      }
      default:
        return false;
    }
  }
  if (*i >= s.size()) return false;
  ++*i;
  return true;
}

// The annotations of the alert promtool reports as "got", by name.
std::map<std::string, std::string> ParseGotAnnotations(const std::string& output) {
  std::map<std::string, std::string> out;
  size_t p = output.find("Annotations:{");
  if (p == std::string::npos) return out;
  size_t i = p + 13;
  while (i < output.size() && output[i] != '}') {
    size_t eq = output.find('=', i);
    if (eq == std::string::npos) break;
    std::string name = output.substr(i, eq - i);
    i = eq + 1;
    std::string value;
    if (!GoUnquote(output, &i, &value)) break;
    out[name] = value;
    if (output.compare(i, 2, ", ") == 0) i += 2;
  }
  return out;
}

bool HavePromtool() {
  return std::filesystem::exists("/usr/bin/promtool") ||
         std::system("command -v promtool >/dev/null 2>&1") == 0;  // NOLINT(concurrency-mt-unsafe)
}

// The lines of tests/testdata/rules/<name> other than comments, with \n and \\ unescaped.
std::vector<std::string> ReadCorpusFile(const std::string& name) {
  std::vector<std::string> out;
  std::ifstream in(std::string(STRATA_SOURCE_DIR) + "/tests/testdata/rules/" + name);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::string t;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) {
        char e = line[++i];
        t.push_back(e == 'n' ? '\n' : e);
      } else {
        t.push_back(line[i]);
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

// The hand-written corpus above plus the random ones of tests/testdata/rules/.
std::vector<std::string> Corpus() {
  std::vector<std::string> all(std::begin(kCorpus), std::end(kCorpus));
  for (const char* file : {"template_corpus.txt", "template_control_corpus.txt"}) {
    for (std::string& t : ReadCorpusFile(file)) all.push_back(std::move(t));
  }
  return all;
}

TEST(TemplatePromtoolTest, AnnotationsMatchPrometheusByteForByte) {
  if (!HavePromtool()) GTEST_SKIP() << "promtool is not installed (tools/install-deps.sh)";
  const std::vector<std::string> corpus = Corpus();
  ASSERT_GT(corpus.size(), std::size(kCorpus) + 1800) << "tests/testdata/rules/*corpus.txt";
  testutil::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  {
    std::ofstream rules(dir.path() + "/rules.yml");
    rules << "groups:\n- name: g\n  rules:\n  - alert: T\n    expr: m\n    annotations:\n";
    for (size_t k = 0; k < corpus.size(); ++k) {
      rules << "      a" << k << ": " << YamlQuote(corpus[k]) << "\n";
    }
    // promtool creates the input series in Go map order, so the order `query` returns them in
    // differs between runs; this annotation reports the order of this run.
    rules << "      order: '{{ range query \"up\" }}{{ .Labels.instance }};{{ end }}'\n";
    std::ofstream test(dir.path() + "/test.yml");
    test << "rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n- interval: 1m\n"
            "  external_labels: {cluster: eu1}\n"
            "  external_url: http://prom.example:9090/prefix\n"
            "  input_series:\n"
            "  - series: 'm{instance=\"host:9100\", job=\"node\", namespace=\"ns\"}'\n"
            "    values: '0.5x5'\n"
            "  - series: 'up{instance=\"n2:9100\", job=\"node\"}'\n    values: '0x5'\n"
            "  - series: 'up{instance=\"n1:9100\", job=\"node\"}'\n    values: '1x5'\n"
            "  - series: 'node_load1{instance=\"n1\"}'\n    values: '1234567x5'\n"
            "  alert_rule_test:\n  - eval_time: 1m\n    alertname: T\n    exp_alerts: []\n";
  }
  std::string cmd = "cd '" + dir.path() + "' && promtool test rules test.yml > out.txt 2>&1";
  std::system(cmd.c_str());  // NOLINT(concurrency-mt-unsafe): exits non-zero by design.
  std::string output = testutil::ReadFile(dir.path() + "/out.txt");
  auto got = ParseGotAnnotations(output);
  ASSERT_EQ(got.size(), corpus.size() + 1) << output.substr(0, 3000);
  const std::string order = got["order"];
  ASSERT_TRUE(order == "n1:9100;n2:9100;" || order == "n2:9100;n1:9100;") << order;
  const bool n2_first = order == "n2:9100;n1:9100;";

  TemplateContext ctx;
  ctx.labels =
      L({{"__name__", "m"}, {"instance", "host:9100"}, {"job", "node"}, {"namespace", "ns"}});
  ctx.value = 0.5;
  ctx.external_labels = L({{"cluster", "eu1"}});
  ctx.external_url = "http://prom.example:9090/prefix";
  ctx.query = [n2_first](std::string_view expr) -> Result<std::vector<TemplateSample>> {
    if (expr == "up") {  // Prometheus' order: series creation, which promtool's run reported.
      TemplateSample n1{L({{"__name__", "up"}, {"instance", "n1:9100"}, {"job", "node"}}), 1};
      TemplateSample n2{L({{"__name__", "up"}, {"instance", "n2:9100"}, {"job", "node"}}), 0};
      if (n2_first) return std::vector<TemplateSample>{n2, n1};
      return std::vector<TemplateSample>{n1, n2};
    }
    if (expr == "node_load1") {
      return std::vector<TemplateSample>{
          {L({{"__name__", "node_load1"}, {"instance", "n1"}}), 1234567}};
    }
    return std::vector<TemplateSample>{};
  };
  for (size_t k = 0; k < corpus.size(); ++k) {
    auto t = Template::Parse("__alert_T", corpus[k]);
    ASSERT_TRUE(t.ok()) << corpus[k] << "\n" << t.status().ToString();
    std::string want = got["a" + std::to_string(k)];
    // Prometheus 2.53's alert data holds Value as interface {} (for native histograms); 2.42's
    // was a float64, which shows in the type that field errors print.
    size_t v = want.find("; Value float64 }");
    if (v != std::string::npos) want.replace(v, 17, "; Value interface {} }");
    EXPECT_EQ(t->ExpandForAlert(ctx), want) << "template: " << corpus[k];
  }
}

// Load-time errors: promtool check rules reports Go's parse error for each bad template.
TEST(TemplatePromtoolTest, ParseErrorsMatchPromtoolCheckRules) {
  if (!HavePromtool()) GTEST_SKIP() << "promtool is not installed (tools/install-deps.sh)";
  const char* const kBad[] = {
      "{{ nope 1 }}",
      "{{",
      "a\n{{ 1\n",
      "{{ end }}",
      "{{ if true }}x",
      "{{ $x }}",
      "{{ 1 @ }}",
      "{{ \"abc }}",
      "{{ ( 1 }}",
      "{{ 1x }}",
      "{{ }}",
      "{{ \"a\" | 1 }}",
      "{{ break }}",
      "{{/* x */ 1}}",
      "{{ \"a\".b }}",
      "{{ $a, $b := 1 }}",
      "{{ else }}",
      "{{ if true }}a{{ else }}b{{ else }}c{{ end }}",
      "{{ template $x }}",
      "x\n\n{{ with }}",
  };
  testutil::TempDir dir;
  for (const char* bad : kBad) {
    {
      std::ofstream rules(dir.path() + "/bad.yml");
      rules << "groups:\n- name: g\n  rules:\n  - alert: T\n    expr: up\n    annotations:\n"
            << "      a: " << YamlQuote(bad) << "\n";
    }
    std::string cmd = "cd '" + dir.path() + "' && promtool check rules bad.yml > out.txt 2>&1";
    std::system(cmd.c_str());  // NOLINT(concurrency-mt-unsafe)
    std::string output = testutil::ReadFile(dir.path() + "/out.txt");
    auto t = Template::Parse("__alert_T", bad);
    ASSERT_FALSE(t.ok()) << bad;
    // promtool: `bad.yml: group "g", rule 1, "T": annotation "a": template: __alert_T:1: ...`.
    EXPECT_NE(output.find("annotation \"a\": " + t.status().message() + "\n"), std::string::npos)
        << "template: " << bad << "\nours: " << t.status().message() << "\npromtool: " << output;
  }
}

// Random token soups (tests/testdata/rules/template_parse_corpus.txt): promtool and Parse must
// accept the same ones and report the same error for each of the others.
TEST(TemplatePromtoolTest, RandomSoupsParseLikePromtool) {
  if (!HavePromtool()) GTEST_SKIP() << "promtool is not installed (tools/install-deps.sh)";
  const std::vector<std::string> soups = ReadCorpusFile("template_parse_corpus.txt");
  ASSERT_GT(soups.size(), 900u);
  testutil::TempDir dir;
  {
    std::ofstream rules(dir.path() + "/soup.yml");
    rules << "groups:\n- name: g\n  rules:\n";
    for (size_t k = 0; k < soups.size(); ++k) {
      rules << "  - alert: T" << k
            << "\n    expr: up\n    annotations:\n      a: " << YamlQuote(soups[k]) << "\n";
    }
  }
  std::string cmd = "cd '" + dir.path() + "' && promtool check rules soup.yml > out.txt 2>&1";
  std::system(cmd.c_str());  // NOLINT(concurrency-mt-unsafe): exits non-zero by design.
  std::string output = testutil::ReadFile(dir.path() + "/out.txt");
  // "soup.yml: group "g", rule 8, "T7": annotation "a": template: __alert_T7:1: ..."
  std::map<size_t, std::string> go_errors;
  size_t pos = 0;
  while ((pos = output.find(": annotation \"a\": ", pos)) != std::string::npos) {
    size_t name = output.rfind("\"T", pos);
    size_t end = output.find('\n', pos);
    size_t k = std::stoul(output.substr(name + 2, output.find('"', name + 1) - name - 2));
    size_t msg = pos + std::string_view(": annotation \"a\": ").size();
    go_errors[k] = output.substr(msg, end - msg);
    pos = end;
  }
  ASSERT_GT(go_errors.size(), 300u) << output.substr(0, 2000);
  int mismatches = 0;
  for (size_t k = 0; k < soups.size(); ++k) {
    auto t = Template::Parse("__alert_T" + std::to_string(k), soups[k]);
    auto it = go_errors.find(k);
    std::string go = it == go_errors.end() ? "OK" : it->second;
    std::string ours = t.ok() ? "OK" : t.status().message();
    if (go != ours && ++mismatches <= 20) {
      ADD_FAILURE() << "template: " << soups[k] << "\npromtool: " << go << "\nours:     " << ours;
    }
  }
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace strata::rules
