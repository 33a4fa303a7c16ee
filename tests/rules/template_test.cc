// The Go text/template constructs of rule templates: actions, trim markers, comments,
// pipelines, variables, control flow, builtins, printf, and errors with positions.
#include "rules/template.h"

#include <gtest/gtest.h>

#include <cmath>

#include "rules/template_test_util.h"

namespace strata::rules {
namespace {

using template_testing::Col;
using template_testing::DefaultContext;
using template_testing::Expand;
using template_testing::ExpandWithValue;

TEST(TemplateTest, PlainTextAndVariables) {
  EXPECT_EQ(Expand("plain text"), "plain text");
  EXPECT_EQ(Expand(""), "");
  EXPECT_EQ(Expand("{{ $labels.instance }} of {{ .Labels.job }}"), "host:9100 of node");
  EXPECT_EQ(Expand("{{ $externalLabels.cluster }} {{ .ExternalLabels.cluster }}"), "eu1 eu1");
  EXPECT_EQ(Expand("{{ $externalURL }}|{{ .ExternalURL }}"),
            "http://prom.example:9090/prefix|http://prom.example:9090/prefix");
  EXPECT_EQ(Expand("{{ $ }}"),
            "{map[__name__:up instance:host:9100 job:node namespace:ns pod:p-1] map[cluster:eu1] "
            "http://prom.example:9090/prefix 1}");
}

TEST(TemplateTest, ValuePrintsAsGoFloat64) {
  EXPECT_EQ(ExpandWithValue("{{ $value }}", 1), "1");
  EXPECT_EQ(ExpandWithValue("{{ $value }}", 0.5), "0.5");
  EXPECT_EQ(ExpandWithValue("{{ $value }}", 1e21), "1e+21");
  EXPECT_EQ(ExpandWithValue("{{ $value }}", 123456), "123456");
  EXPECT_EQ(ExpandWithValue("{{ $value }}", 1234567), "1.234567e+06");
  EXPECT_EQ(ExpandWithValue("{{ $value }}", 0.0001), "0.0001");
  EXPECT_EQ(ExpandWithValue("{{ $value }}", 0.00001), "1e-05");
  EXPECT_EQ(ExpandWithValue("{{ $value }}", -2.5), "-2.5");
  EXPECT_EQ(ExpandWithValue("{{ $value }}", std::nan("")), "NaN");
  EXPECT_EQ(ExpandWithValue("{{ $value }}", HUGE_VAL), "+Inf");
  EXPECT_EQ(ExpandWithValue("{{ .Value }}", -HUGE_VAL), "-Inf");
  EXPECT_EQ(ExpandWithValue("{{ $value }}", 0.1 + 0.2), "0.30000000000000004");
}

TEST(TemplateTest, MissingKeysFollowMissingkeyZero) {
  // map[string]string: the zero value "" (Prometheus sets missingkey=zero).
  EXPECT_EQ(Expand("[{{ $labels.nope }}][{{ .Labels.nope }}][{{ index $labels \"nope\" }}]"),
            "[][][]");
  // map[string]interface {}: the zero value is nil, printed as <no value>.
  EXPECT_EQ(Expand("{{ (args 1).arg5 }}|{{ (args 1).arg0 }}"), "<no value>|1");
  EXPECT_EQ(Expand("{{ .Nope }}"),
            "ERROR: template: test:1:" + Col(3) +
                ": executing \"test\" at <.Nope>: can't evaluate field Nope in type struct { "
                "Labels map[string]string; ExternalLabels map[string]string; ExternalURL "
                "string; Value interface {} }");
}

TEST(TemplateTest, TrimMarkersAndComments) {
  EXPECT_EQ(Expand("a  \n {{- 1 -}} \n  b"), "a1b");
  EXPECT_EQ(Expand("a {{- 1 }} b"), "a1 b");
  EXPECT_EQ(Expand("{{-3}}"), "-3");  // A number, not a trim marker.
  EXPECT_EQ(Expand("a{{/* a comment */}}b"), "ab");
  EXPECT_EQ(Expand("a {{- /* trimmed */ -}} b"), "ab");
  EXPECT_EQ(Expand("{{ \"}}\" }}|{{/* }} */}}|{{ `a\nb` }}|{{ 1\n}}"), "}}||a\nb|1");
  EXPECT_EQ(Expand("{{ /* x */ }}"), "ERROR: template: test:1: unexpected \"/\" in command");
  EXPECT_EQ(Expand("{{/* x */ 1}}"),
            "ERROR: template: test:1: comment ends before closing delimiter");
  EXPECT_EQ(Expand("{{/* x"), "ERROR: template: test:1: unclosed comment");
}

TEST(TemplateTest, Constants) {
  EXPECT_EQ(Expand("{{ 1 }} {{ 1.5 }} {{ 1e3 }} {{ 0x1F }} {{ 'a' }} {{ true }} {{ \"s\" }}"),
            "1 1.5 1000 31 97 true s");
  EXPECT_EQ(Expand("{{ `raw \\n` }}|{{ \"tab\\tq\\\"\" }}|{{ \"\\u00e9\\x41\" }}"),
            "raw \\n|tab\tq\"|\xc3\xa9"
            "A");
  EXPECT_EQ(Expand("{{ 1_000 }} {{ -7 }} {{ +7 }} {{ 0o17 }} {{ 0b101 }} {{ 017 }}"),
            "1000 -7 7 15 5 15");
  EXPECT_EQ(Expand("{{ nil }}"), "ERROR: template: test:1:" + Col(3) +
                                     ": executing \"test\" at <nil>: nil is not a "
                                     "command");
  EXPECT_EQ(Expand("{{ 1x }}"), "ERROR: template: test:1: bad number syntax: \"1x\"");
  EXPECT_EQ(Expand("{{ 99999999999999999999 }}"),
            "ERROR: template: test:1: integer overflow: \"99999999999999999999\"");
}

TEST(TemplateTest, Pipelines) {
  EXPECT_EQ(Expand("{{ \"abc\" | toUpper | printf \"%s!\" }}"), "ABC!");
  EXPECT_EQ(Expand("{{ 1.5 | printf \"%.2f\" }}"), "1.50");
  EXPECT_EQ(Expand("{{ (printf \"%d\" 3) | len }}"), "1");
  EXPECT_EQ(Expand("{{ (args \"a\" \"b\").arg1 }}"), "b");
  EXPECT_EQ(Expand("{{ \"a\" | 1 }}"),
            "ERROR: template: test:1: non executable command in pipeline stage 2");
  EXPECT_EQ(Expand("{{ 1 | $value }}"),
            "ERROR: template: test:1:" + Col(7) +
                ": executing \"test\" at <$value>: can't give argument to non-function $value");
}

TEST(TemplateTest, VariablesAndScopes) {
  EXPECT_EQ(Expand("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}"), "2");
  EXPECT_EQ(Expand("{{ $x := \"a\" }}{{ if true }}{{ $x = \"b\" }}{{ end }}{{ $x }}"), "b");
  EXPECT_EQ(Expand("{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}"),
            "ERROR: template: test:1: undefined variable \"$y\"");
  EXPECT_EQ(Expand("{{ $value = 7 }}{{ $value }}"), "7");
  EXPECT_EQ(Expand("{{ with $x := 5 }}{{ $x }}{{ . }}{{ end }}"), "55");
  // Defined templates see only $ (their own dot), not the caller's variables.
  EXPECT_EQ(Expand("{{ define \"t\" }}{{ $labels }}{{ end }}"),
            "ERROR: template: test:1: undefined variable \"$labels\"");
}

TEST(TemplateTest, IfElseWith) {
  EXPECT_EQ(ExpandWithValue("{{ if gt $value 80.0 }}high{{ else if gt $value 50.0 }}mid{{ else }}"
                            "low{{ end }}",
                            90),
            "high");
  EXPECT_EQ(ExpandWithValue("{{ if gt $value 80.0 }}high{{ else if gt $value 50.0 }}mid{{ else }}"
                            "low{{ end }}",
                            60),
            "mid");
  EXPECT_EQ(ExpandWithValue("{{ if gt $value 80.0 }}high{{ else if gt $value 50.0 }}mid{{ else }}"
                            "low{{ end }}",
                            10),
            "low");
  EXPECT_EQ(Expand("{{ with $labels.job }}job={{ . }}{{ end }}"), "job=node");
  EXPECT_EQ(Expand("{{ with $labels.nope }}x{{ else }}none{{ end }}"), "none");
  EXPECT_EQ(Expand("{{ with $labels.nope }}x{{ else with $labels.pod }}{{ . }}{{ end }}"), "p-1");
  // Go's truth: 0, "", empty maps and nil are false; NaN is true.
  EXPECT_EQ(Expand("{{ if 0 }}t{{ else }}f{{ end }}{{ if \"\" }}t{{ else }}f{{ end }}"
                   "{{ if $labels }}t{{ else }}f{{ end }}{{ if (args).x }}t{{ else }}f{{ end }}"),
            "fftf");
  EXPECT_EQ(ExpandWithValue("{{ if $value }}t{{ else }}f{{ end }}", std::nan("")), "t");
  EXPECT_EQ(Expand("{{ if true }}a{{ else }}b{{ else }}c{{ end }}"),
            "ERROR: template: test:1: expected end; found {{else}}");
}

TEST(TemplateTest, Range) {
  EXPECT_EQ(Expand("{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}"),
            "__name__=up;instance=host:9100;job=node;namespace=ns;pod=p-1;");
  EXPECT_EQ(Expand("{{ range $labels }}{{ . }},{{ end }}"), "up,host:9100,node,ns,p-1,");
  EXPECT_EQ(Expand("{{ range $i, $e := args \"a\" \"b\" }}{{ $i }}{{ $e }}{{ end }}"),
            "arg0aarg1b");
  EXPECT_EQ(Expand("{{ range 3 }}{{ . }}{{ end }}"), "012");
  EXPECT_EQ(Expand("{{ range $i := 3 }}{{ $i }}{{ end }}"), "012");
  EXPECT_EQ(Expand("{{ range 0 }}x{{ else }}empty{{ end }}"), "empty");
  EXPECT_EQ(Expand("{{ range $labels.nope }}x{{ else }}empty{{ end }}"),
            "ERROR: template: test:1:" + Col(16) +  // Go places $a.b at its field .b.
                ": executing \"test\" at <$labels.nope>: range can't iterate over ");
  EXPECT_EQ(Expand("{{ range 5 }}{{ if eq . 3 }}{{ break }}{{ end }}{{ . }}{{ end }}"), "012");
  EXPECT_EQ(Expand("{{ range 5 }}{{ if eq . 1 }}{{ continue }}{{ end }}{{ . }}{{ end }}"), "0234");
  EXPECT_EQ(Expand("{{ break }}"), "ERROR: template: test:1: {{break}} outside {{range}}");
  EXPECT_EQ(Expand("{{ range $i, $e := 3 }}{{ end }}"),
            "ERROR: template: test:1:" + Col(19) +
                ": executing \"test\" at <3>: can't use 3 to iterate over "
                "more than one variable");
  EXPECT_EQ(Expand("{{ range 1.5 }}{{ end }}"),
            "ERROR: template: test:1:" + Col(9) +
                ": executing \"test\" at <1.5>: range can't iterate over 1.5");
}

TEST(TemplateTest, Comparisons) {
  EXPECT_EQ(Expand("{{ eq 1 1 }} {{ eq 1 2 }} {{ eq 1 2 3 1 }} {{ ne \"a\" \"b\" }}"),
            "true false true true");
  EXPECT_EQ(Expand("{{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1.5 2.5 }}"),
            "true true true false");
  EXPECT_EQ(Expand("{{ eq $labels.job \"node\" }}"), "true");
  // Go compares only values of the same basic kind: $value is a float64, 80 an int.
  EXPECT_EQ(Expand("{{ gt $value 80 }}"), "ERROR: template: test:1:" + Col(3) +
                                              ": executing \"test\" at <gt $value 80>: error "
                                              "calling gt: incompatible types for comparison");
  EXPECT_EQ(Expand("{{ lt true false }}"), "ERROR: template: test:1:" + Col(3) +
                                               ": executing \"test\" at <lt true false>: error "
                                               "calling lt: invalid type for comparison");
  EXPECT_EQ(Expand("{{ eq 1 }}"),
            "ERROR: template: test:1:" + Col(3) +
                ": executing \"test\" at <eq 1>: error calling eq: missing argument for "
                "comparison");
}

TEST(TemplateTest, AndOrNotShortCircuit) {
  EXPECT_EQ(Expand("{{ or \"\" \"x\" }} {{ or 0 \"\" }} {{ and 1 0 }} {{ and 1 2 }}"), "x  0 2");
  EXPECT_EQ(Expand("{{ not 0 }} {{ not \"a\" }}"), "true false");
  // The failing second operand is never evaluated.
  EXPECT_EQ(Expand("{{ or true (humanize \"x\") }} {{ and false (humanize \"x\") }}"),
            "true false");
  EXPECT_EQ(Expand("{{ \"z\" | or \"\" }}"), "z");
}

TEST(TemplateTest, Printf) {
  EXPECT_EQ(ExpandWithValue("{{ printf \"%.2f\" $value }}%", 12.345), "12.35%");
  EXPECT_EQ(Expand("{{ printf \"%s|%d|%f|%g|%v|%q|%x|%X|%%|%t\" \"s\" 42 1.5 1e21 2.5 \"q\" 255 "
                   "\"hi\" true }}"),
            "s|42|1.500000|1e+21|2.5|\"q\"|ff|6869|%|true");
  EXPECT_EQ(Expand("{{ printf \"[%5.1f][%-5d][%05d][%+d][% d][%8.3s][%-4s]\" 3.14159 7 42 5 5 "
                   "\"abcdef\" \"ab\" }}"),
            "[  3.1][7    ][00042][+5][ 5][     abc][ab  ]");
  EXPECT_EQ(Expand("{{ printf \"%e|%E|%.3e|%G|%o|%b|%c|%U|%#x|%#o\" 1234.5678 0.000123 1234.5678 "
                   "1e-7 8 5 65 65 255 8 }}"),
            "1.234568e+03|1.230000E-04|1.235e+03|1E-07|10|101|A|U+0041|0xff|010");
  EXPECT_EQ(Expand("{{ printf \"%.4g|%.3g|%g|%v\" 1234567.0 0.0001234 100000.0 1000000.0 }}"),
            "1.235e+06|0.000123|100000|1e+06");
  EXPECT_EQ(Expand("{{ printf \"%d\" 1.5 }}"), "%!d(float64=1.5)");
  EXPECT_EQ(Expand("{{ printf \"%s\" 1 }}"), "%!s(int=1)");
  EXPECT_EQ(Expand("{{ printf \"%s %s\" \"a\" }}"), "a %!s(MISSING)");
  EXPECT_EQ(Expand("{{ printf \"x\" 1 \"y\" }}"), "x%!(EXTRA int=1, string=y)");
  EXPECT_EQ(Expand("{{ printf \"%z\" 1 }}"), "%!z(int=1)");
  EXPECT_EQ(Expand("{{ printf \"%\" }}"), "%!(NOVERB)");
  EXPECT_EQ(Expand("{{ printf \"%*d|%-*d|%.*f\" 4 1 3 2 1 3.14159 }}"), "   1|2  |3.1");
  EXPECT_EQ(Expand("{{ printf \"%[2]d %[1]d\" 1 2 }}"), "2 1");
  EXPECT_EQ(Expand("{{ printf \"%f %v %5.1f %05.1f\" $value $value $value -1.5 }}",
                   [] {
                     auto c = DefaultContext();
                     c.value = HUGE_VAL;
                     return c;
                   }()),
            "+Inf +Inf  +Inf -01.5");
  EXPECT_EQ(Expand("{{ printf \"%v %d\" nil nil }}"), "<nil> %!d(<nil>)");
  // Expected values below come from Prometheus' promtool (Go's fmt).
  EXPECT_EQ(Expand("{{ printf \"%b|%.0X|%x|%5.1x|%x\" 1e-05 492722.45612481 5e-324 -93.42 1.0 }}"),
            "5902958103587057p-69|0X1P+19|0x1p-1074|-0x1.7p+06|0x1p+00");
  EXPECT_EQ(Expand("{{ printf \"%#g|%#.3g|%#.0f|%-#1.10g|%#v\" 1.0 1.0 2.0 99.99 \"q\" }}"),
            "1.00000|1.00|2.|99.99000000|\"q\"");
  EXPECT_EQ(Expand("{{ printf \"%.10U|%012.U|%#U|%8.3g|%05d\" 281 17557 233 \"1.5\" \"\" }}"),
            "U+0000000119|      U+4495|U+00E9 '\u00e9'|%!g(string=     1.5)|%!d(string=00000)");
  EXPECT_EQ(Expand("{{ printf \"%[3]d %[1]d\" 1 2 }}"), "%!d(BADINDEX) 1");
  EXPECT_EQ(Expand("{{ printf \"%+q|%.3q|%10.4v\" \"\u00e9\" \"abcdef\" 3.14159 }}"),
            "\"\\u00e9\"|\"abc\"|     3.142");
  EXPECT_EQ(Expand("{{ printf \"%v\" $labels }}"),
            "map[__name__:up instance:host:9100 job:node namespace:ns pod:p-1]");
  EXPECT_EQ(Expand("{{ printf 1 }}"), "ERROR: template: test:1:" + Col(10) +
                                          ": executing \"test\" at <1>: expected string; found 1");
  EXPECT_EQ(Expand("{{ printf $value }}"),
            "ERROR: template: test:1:" + Col(10) +
                ": executing \"test\" at <$value>: wrong type for value; expected string; got "
                "float64");
  // Go gives up on a width beyond 1e6 and on the rest of the format with it.
  EXPECT_EQ(Expand("{{ printf \"%12345678d\" 1 }}"), "%!(NOVERB)%!(EXTRA int=1)");
  EXPECT_EQ(Expand("{{ printf \"%*d\" 12345678 1 }}"), "%!(BADWIDTH)1");
}

TEST(TemplateTest, PrintAndPrintln) {
  EXPECT_EQ(Expand("{{ print 1 2 \"a\" \"b\" 3 }}"), "1 2ab3");
  EXPECT_EQ(Expand("{{ println 1 \"a\" }}"), "1 a\n");
  EXPECT_EQ(Expand("{{ print }}"), "");
}

TEST(TemplateTest, LenIndexSlice) {
  EXPECT_EQ(Expand("{{ len \"abc\" }} {{ len $labels }} {{ len (args 1 2) }}"), "3 5 2");
  EXPECT_EQ(
      Expand("{{ index $labels \"job\" }} {{ index (args 5 6) \"arg1\" }} {{ index \"ab\" 1 }}"),
      "node 6 98");
  EXPECT_EQ(Expand("{{ slice \"abcdef\" 1 3 }} {{ slice \"abcdef\" 2 }} {{ slice \"abc\" }}"),
            "bc cdef abc");
  EXPECT_EQ(Expand("{{ index \"ab\" 2 }}"),
            "ERROR: template: test:1:" + Col(3) +
                ": executing \"test\" at <index \"ab\" 2>: error calling index: index out of "
                "range: 2");
  EXPECT_EQ(Expand("{{ slice \"abc\" 2 1 }}"),
            "ERROR: template: test:1:" + Col(3) +
                ": executing \"test\" at <slice \"abc\" 2 1>: error calling slice: invalid slice "
                "index: 2 > 1");
  EXPECT_EQ(Expand("{{ len 3 }}"),
            "ERROR: template: test:1:" + Col(3) +
                ": executing \"test\" at <len 3>: error calling len: len of type int");
  EXPECT_EQ(Expand("{{ index $labels 1 }}"),
            "ERROR: template: test:1:" + Col(3) +
                ": executing \"test\" at <index $labels 1>: error calling index: value has type "
                "int; should be string");
}

TEST(TemplateTest, Escapers) {
  EXPECT_EQ(Expand("{{ html \"<a href='x'>&\\\"\" }}"), "&lt;a href=&#39;x&#39;&gt;&amp;&#34;");
  EXPECT_EQ(Expand("{{ js \"a'b\\\"<>=&\\\\\\n\" }}"),
            "a\\'b\\\"\\u003C\\u003E\\u003D\\u0026\\\\\\u000A");
  EXPECT_EQ(Expand("{{ urlquery \"a b&c/é\" }}"), "a+b%26c%2F%C3%A9");
  EXPECT_EQ(Expand("{{ html 1 \"<\" }}"), "1&lt;");
  EXPECT_EQ(Expand("{{ html (args).x }}"), "&lt;no value&gt;");
}

TEST(TemplateTest, DefineTemplateBlock) {
  EXPECT_EQ(Expand("{{define \"x\"}}{{.arg0}} {{.arg1}}{{end}}{{template \"x\" (args 1 \"2\")}}"),
            "1 2");
  EXPECT_EQ(Expand("{{ block \"b\" $labels.job }}[{{ . }}]{{ end }}|{{ template \"b\" \"x\" }}"),
            "[node]|[x]");
  EXPECT_EQ(Expand("{{ template \"nope\" }}"),
            "ERROR: template: test:1:" + Col(12) +
                ": executing \"test\" at <{{template \"nope\"}}>: template \"nope\" not defined");
  EXPECT_EQ(Expand("{{ define \"a\" }}x{{ end }}{{ define \"a\" }}y{{ end }}"),
            "ERROR: template: test:1: template: multiple definition of template \"a\"");
  EXPECT_EQ(Expand("{{ define \"e\" }}{{ humanize \"x\" }}{{ end }}{{ template \"e\" }}"),
            "ERROR: template: test:1:" + Col(19) +
                ": executing \"e\" at <humanize \"x\">: error calling humanize: "
                "strconv.ParseFloat: parsing \"x\": invalid syntax");
}

TEST(TemplateTest, ParseErrorsNameLine) {
  EXPECT_EQ(Expand("{{ nope 1 }}"), "ERROR: template: test:1: function \"nope\" not defined");
  EXPECT_EQ(Expand("{{"), "ERROR: template: test:1: unclosed action");
  EXPECT_EQ(Expand("a\n{{ 1\n"), "ERROR: template: test:3: unclosed action started at test:2");
  EXPECT_EQ(Expand("{{ end }}"), "ERROR: template: test:1: unexpected {{end}}");
  EXPECT_EQ(Expand("{{ else }}"), "ERROR: template: test:1: unexpected {{else}}");
  EXPECT_EQ(Expand("{{ if true }}x"), "ERROR: template: test:1: unexpected EOF");
  EXPECT_EQ(Expand("{{ if true }}x\n\n"), "ERROR: template: test:3: unexpected EOF");
  EXPECT_EQ(Expand("a\n{{ if true }}\n{{ else }}\n{{ else }}\n{{ end }}"),
            "ERROR: template: test:4: expected end; found {{else}}");
  EXPECT_EQ(Expand("line1\nline2 {{ if }}"), "ERROR: template: test:2: missing value for if");
  EXPECT_EQ(Expand("{{ }}"), "ERROR: template: test:1: missing value for command");
  EXPECT_EQ(Expand("{{ \"abc }}"), "ERROR: template: test:1: unterminated quoted string");
  EXPECT_EQ(Expand("{{ ( 1 }}"), "ERROR: template: test:1: unclosed left paren");
  EXPECT_EQ(Expand("{{ 1 ) }}"), "ERROR: template: test:1: unexpected \")\" in command");
  EXPECT_EQ(Expand("{{ $x }}"), "ERROR: template: test:1: undefined variable \"$x\"");
  EXPECT_EQ(Expand("{{ \xc2\xa0 }}"),
            "ERROR: template: test:1: unrecognized character in action: U+00A0");
  EXPECT_EQ(Expand("{{ 1 @ }}"), "ERROR: template: test:1: unexpected \"@\" in operand");
  EXPECT_EQ(Expand("{{ \"a\".b }}"),
            "ERROR: template: test:1: unexpected . after term \"\\\"a\\\"\"");
  EXPECT_EQ(Expand("{{ $a, $b := 1 }}"),
            "ERROR: template: test:1: too many declarations in command");
  EXPECT_EQ(Expand("{{ template $x }}"),
            "ERROR: template: test:1: unexpected \"$x\" in template clause");
}

TEST(TemplateTest, ExecutionErrorsNamePosition) {
  EXPECT_EQ(Expand("{{ humanize \"one\" }}"),
            "ERROR: template: test:1:" + Col(3) +
                ": executing \"test\" at <humanize \"one\">: error calling humanize: "
                "strconv.ParseFloat: parsing \"one\": invalid syntax");
  EXPECT_EQ(Expand("x\n  {{ \"one\" | humanizePercentage }}"),
            "ERROR: template: test:2:13: executing \"test\" at <humanizePercentage>: error "
            "calling humanizePercentage: strconv.ParseFloat: parsing \"one\": invalid syntax");
  EXPECT_EQ(Expand("{{ humanize }}"),
            "ERROR: template: test:1:" + Col(3) +
                ": executing \"test\" at <humanize>: wrong number of args for humanize: want 1 "
                "got 0");
  EXPECT_EQ(Expand("{{ toUpper $value }}"),
            "ERROR: template: test:1:" + Col(11) +
                ": executing \"test\" at <$value>: wrong type for value; expected string; got "
                "float64");
  EXPECT_EQ(Expand("{{ $labels.job.x }}"),
            "ERROR: template: test:1:" + Col(10) +
                ": executing \"test\" at <$labels.job.x>: can't evaluate field x in type string");
  EXPECT_EQ(Expand("{{ $labels.job 1 }}"),
            "ERROR: template: test:1:" + Col(10) +
                ": executing \"test\" at <$labels.job>: job is not a method but has arguments");
}

TEST(TemplateTest, ExpandForAlertWrapsErrorsAsPrometheus) {
  auto t = Template::Parse("__alert_X", "v={{ humanize \"x\" }}");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->ExpandForAlert(DefaultContext()),
            "<error expanding template: error executing template __alert_X: template: "
            "__alert_X:1:" +
                Col(5) +
                ": executing \"__alert_X\" at <humanize \"x\">: error calling humanize: "
                "strconv.ParseFloat: parsing \"x\": invalid syntax>");
  auto ok = Template::Parse("__alert_X", "v={{ $value }}");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->ExpandForAlert(DefaultContext()), "v=1");
  auto r = t->Execute(DefaultContext());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  auto bad = Template::Parse("n", "{{ nope }}");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Template().Execute(DefaultContext()).value(), "");
}

}  // namespace
}  // namespace strata::rules
