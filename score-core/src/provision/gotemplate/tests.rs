//! Go `text/template` + sprig semantics. Expected values are what Go 1.22 with sprig v3
//! prints for the same template and data.

use serde_json::json;

use super::*;

fn funcs() -> Functions {
    Functions::new(&Random::for_resource("t"))
}

fn render_with(text: &str, data: serde_json::Value) -> Result<String, GoError> {
    let compiled = compile(text, &funcs())?;
    let mut out = Vec::new();
    compiled.render(&from_json(&data), &mut out)?;
    Ok(String::from_utf8(out).unwrap())
}

fn render(text: &str) -> String {
    render_with(
        text,
        json!({"S": {"a": {"b": 1}}, "P": {"port": 8080, "host": "x"}, "E": {}}),
    )
    .unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

#[test]
fn missing_keys_print_no_value_and_pass_nil() {
    assert_eq!(render("{{ .Missing }}"), "<no value>");
    assert_eq!(render("{{ .E.x }}"), "<no value>");
    assert_eq!(render(r#"{{ .E.x | default "y" }}"#), "y");
    assert_eq!(render("{{ .E.x | quote }}"), "");
    assert_eq!(render("{{ if .E.x }}a{{ else }}b{{ end }}"), "b");
}

#[test]
fn strings() {
    assert_eq!(render(r#"{{ "a\"b" | quote }}"#), r#""a\"b""#);
    assert_eq!(render(r#"{{ quote "a" 1 }}"#), r#""a" "1""#);
    assert_eq!(render(r#"{{ "it" | squote }}"#), "'it'");
    assert_eq!(
        render(r#"{{ substr 0 8 "0123456789abc" | upper }}"#),
        "01234567"
    );
    assert_eq!(render(r#"{{ substr 3 100 "abcdef" }}"#), "def");
    assert_eq!(
        render(r#"{{ trunc 3 "abcdef" }}|{{ trunc -2 "abcdef" }}"#),
        "abc|ef"
    );
    assert_eq!(
        render(r#"{{ splitList "." "w.backend" | last }}"#),
        "backend"
    );
    assert_eq!(render(r#"{{ splitList "." "" | len }}"#), "1");
    assert_eq!(
        render(r#"{{ trimSuffix "/" "a/b/" }}{{ trimPrefix "x" "xy" }}"#),
        "a/by"
    );
    assert_eq!(
        render(r#"{{ "Order API" | replace " " "+" }}"#),
        "Order+API"
    );
    assert_eq!(render(r#"{{ cat "host was" .E.x "y" }}"#), "host was y");
    assert_eq!(render(r#"{{ printf "%s:%d" "svc" 80 }}"#), "svc:80");
    assert_eq!(
        render(r#"{{ "a\nb" | indent 2 }}|{{ "a" | nindent 1 }}"#),
        "  a\n  b|\n a"
    );
    assert_eq!(
        render(r#"{{ repeat 3 "ab" }}{{ lower "QQ" }}{{ title "hello world" }}"#),
        "abababqqHello World"
    );
    assert_eq!(
        render(r#"{{ contains "b" "abc" }} {{ hasPrefix "a" "abc" }} {{ hasSuffix "x" "abc" }}"#),
        "true true false"
    );
    assert_eq!(render(r#"{{ join "," (list "a" 1 "b") }}"#), "a,1,b");
    assert_eq!(
        render(r#"{{ "pw" | b64enc }} {{ "cHc=" | b64dec }}"#),
        "cHc= pw"
    );
    assert_eq!(render(r#"{{ sha256sum "a" | trunc 8 }}"#), "ca978112");
}

#[test]
fn numbers() {
    assert_eq!(
        render(r#"{{ atoi "12" }} {{ atoi "x" }} {{ int "7" }} {{ int 3.9 }}"#),
        "12 0 7 3"
    );
    assert_eq!(
        render(
            "{{ add 1 2 3 }} {{ sub 5 7 }} {{ mul 2 3 }} {{ div 7 2 }} {{ mod 7 2 }} {{ add1 1 }}"
        ),
        "6 -2 6 3 1 2"
    );
    assert_eq!(render("{{ min 5 3 9 }} {{ max 5 3 9 }}"), "3 9");
    // The catalogue's HPA idiom: a param, its default, then capped.
    assert_eq!(
        render("{{ .E.max | default 30 | min 10 }} {{ .P.port | default 3 | min 10000 }}"),
        "10 8080"
    );
    assert!(render_with("{{ div 1 0 }}", json!({}))
        .unwrap_err()
        .message
        .contains("divide by zero"));
}

#[test]
fn lists_and_dicts() {
    assert_eq!(render(r#"{{ list 1 "a" | toJson }}"#), r#"[1,"a"]"#);
    assert_eq!(
        render(r#"{{ append (list 1) 2 | toJson }} {{ list 3 1 | first }} {{ until 3 | toJson }}"#),
        "[1,2] 3 [0,1,2]"
    );
    assert_eq!(
        render(r#"{{ dict "b" 2 "a" "<&>" | toJson }}"#),
        r#"{"a":"\u003c\u0026\u003e","b":2}"#
    );
    assert_eq!(render(r#"{{ dict "a" "<" | toRawJson }}"#), r#"{"a":"<"}"#);
    assert_eq!(
        render(r#"{{ hasKey .P "port" }} {{ hasKey .P "nope" }} {{ get .P "nope" | quote }}"#),
        r#"true false """#
    );
    assert_eq!(
        render(r#"{{ keys .P | toJson }} {{ merge (dict "a" 1) (dict "a" 2 "b" 3) | toJson }}"#),
        r#"["host","port"] {"a":1,"b":3}"#
    );
    assert_eq!(
        render(r#"{{ mergeOverwrite (dict "a" 1) (dict "a" 2) | toJson }}"#),
        r#"{"a":2}"#
    );
    assert_eq!(
        render(r#"{{ set (dict) "k" "v" | toJson }} {{ omit .P "host" | toJson }}"#),
        r#"{"k":"v"} {"port":8080}"#
    );
    assert_eq!(
        render(
            r#"{{ ternary "a" "b" true }}{{ ternary "a" "b" false }} {{ empty "" }} {{ coalesce "" 0 "z" }}"#
        ),
        "ab true z"
    );
    assert_eq!(
        render(r#"{{ `{"a":[1,2]}` | fromJson | toJson }}"#),
        r#"{"a":[1,2]}"#
    );
    assert_eq!(render(r#"{{ dict "a" (list 1) | toYaml }}"#), "a:\n- 1");
}

#[test]
fn dig_walks_nested_maps() {
    assert_eq!(render(r#"{{ dig "a" "b" "d" .S }}"#), "1");
    assert_eq!(render(r#"{{ dig "a" "x" "d" .S }}"#), "d");
    assert_eq!(
        render(r#"{{ dig "password" "generated" .E | quote }}"#),
        r#""generated""#
    );
    let e = render_with(
        r#"{{ dig "a" "b" "c" "d" .S }}"#,
        json!({"S": {"a": {"b": 1}}}),
    )
    .unwrap_err();
    assert!(e.message.contains("not a map"), "{e:?}");
}

#[test]
fn regexes() {
    let path = r#"{{ regexMatch "^/|(/([^/]+))+$" "/api" }} {{ regexMatch "^[a-z0-9_.-]{1,253}$" "Bad Host" }}"#;
    assert_eq!(render(path), "true false");
    assert_eq!(
        render(r#"{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}"#),
        "-W-xxW-"
    );
    assert_eq!(
        render(
            r#"{{ regexFind "[0-9]+" "ab123c" }} {{ regexFindAll "[0-9]" "a1b2" -1 | toJson }}"#
        ),
        r#"123 ["1","2"]"#
    );
}

#[test]
fn random_strings_have_the_requested_alphabet() {
    let out =
        render("{{ randAlphaNum 16 }} {{ randAlpha 8 }} {{ randNumeric 4 }} {{ uuidv4 | len }}");
    let parts: Vec<&str> = out.split(' ').collect();
    assert_eq!(parts[0].len(), 16);
    assert!(parts[0].chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(parts[1].len() == 8 && parts[1].chars().all(|c| c.is_ascii_alphabetic()));
    assert!(parts[2].len() == 4 && parts[2].chars().all(|c| c.is_ascii_digit()));
    assert_eq!(parts[3], "36");
    let e = render_with("{{ randAlphaNum 100000000 }}", json!({})).unwrap_err();
    assert!(e.message.contains("randAlphaNum"), "{e:?}");
}

#[test]
fn errors_carry_the_line() {
    let e = render_with("a: 1\nb: {{ nosuch 1 }}\n", json!({})).unwrap_err();
    assert_eq!((e.line, e.kind), (Some(2), ErrorKind::UnknownFunction));
    assert_eq!(e.message, "function \"nosuch\" not defined");
    // Unknown functions are found even in branches that never run (as Go does).
    let e = render_with("{{ if false }}\n{{ env \"HOME\" }}{{ end }}", json!({})).unwrap_err();
    assert_eq!((e.line, e.kind), (Some(2), ErrorKind::UnknownFunction));
    let e = render_with("x\n\ny: {{ .A", json!({})).unwrap_err();
    assert_eq!((e.line, e.kind), (Some(3), ErrorKind::Syntax));
    let e = render_with(
        "a: 1\n{{ if not .X }}\n  {{ fail \"params.x is required\" }}\n{{ end }}",
        json!({}),
    )
    .unwrap_err();
    assert_eq!(
        (e.line, e.message.as_str()),
        (Some(3), "params.x is required")
    );
    // Leading blank lines are trimmed before parsing (as the reference tools do) and still
    // counted in the reported line.
    let e = render_with("\n\n{{ fail \"x\" }}", json!({})).unwrap_err();
    assert_eq!(e.line, Some(3));
}

#[test]
fn runaway_loops_hit_the_step_limit() {
    let e = render_with(
        "{{ range until 1000 }}\n{{ range until 1000 }}{{ end }}{{ end }}",
        json!({}),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::StepLimit);
    assert_eq!(e.line, Some(2));
    let e = render_with(
        r#"{{ define "x" }}{{ template "x" }}{{ end }}{{ template "x" }}"#,
        json!({}),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::StepLimit);
}

#[test]
fn defines_and_trimming_work() {
    let out = render(r#"{{ define "n" }}[{{ . }}]{{ end }}a {{- template "n" 1 -}}   b"#);
    assert_eq!(out, "a[1]b");
    assert_eq!(
        render("{{ range $k, $v := .P }}{{ $k }}={{ $v }};{{ end }}"),
        "host=x;port=8080;"
    );
}

#[test]
fn workload_services_have_the_reference_shape() {
    let vars = json!({
        "workload_services": {"web": {"hostname": "web-main", "ports": {"http": {"port": 8080, "targetPort": 9898, "protocol": "TCP"}}}},
        "namespace": null,
        "project": "demo",
        "mounts_dir": "./.score-rs/mounts",
        "workloads": ["web"],
    });
    let run = data::run_vars(vars.as_object().unwrap());
    let context = json!({"guid": "g", "uid": "route.default#web.route", "type": "route", "class": "default", "id": null, "params": {"port": 8080}, "metadata": null, "source_workload": "web"});
    let empty = serde_json::Map::new();
    let d = data::data(&run, context.as_object().unwrap(), None, &empty, &empty);
    let t = |text: &str| {
        let c = compile(text, &funcs()).unwrap();
        let mut out = Vec::new();
        c.render(&d, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    assert_eq!(t("{{ .Id }} {{ .Uid }} {{ .SourceWorkload }} {{ .Namespace | quote }} {{ .ComposeProjectName }} {{ .MountsDirectory }}"), "web.route route.default#web.route web \"\" demo ./.score-rs/mounts");
    assert_eq!(t("{{ $w := index .WorkloadServices .SourceWorkload }}{{ $w.ServiceName }} {{ (index $w.Ports \"http\").TargetPort }} {{ (index $w.Ports (print .Params.port)).Name }}"), "web-main 9898 http");
    assert_eq!(t("{{ $w := index .WorkloadServices \"nope\" }}{{ if or (not $w) (not $w.ServiceName) }}unknown{{ end }}"), "unknown");
    assert_eq!(t("{{ len .Metadata }} {{ len .Init }}"), "0 0");
}

#[test]
fn every_documented_function_exists() {
    let names = supported_functions();
    for f in [
        "randAlphaNum",
        "randAlpha",
        "quote",
        "squote",
        "dig",
        "default",
        "replace",
        "lower",
        "upper",
        "substr",
        "trunc",
        "b64enc",
        "b64dec",
        "atoi",
        "toJson",
        "fromJson",
        "toYaml",
        "splitList",
        "last",
        "regexMatch",
        "trimPrefix",
        "trimSuffix",
        "index",
        "printf",
        "print",
        "cat",
        "list",
        "dict",
        "hasKey",
        "ternary",
        "uuidv4",
        "sha256sum",
        "int",
        "add",
        "min",
        "merge",
        "indent",
        "append",
        "toRawJson",
        "fail",
    ] {
        assert!(names.contains(&f), "{f}");
    }
}

/// sprig's `set`, `unset`, `merge` and `mergeOverwrite` change the variable they are given, as
/// in Go (`mutate`): expected values are what Go with sprig prints.
#[test]
fn map_functions_change_their_variable() {
    assert_eq!(
        render(r#"{{ $d := dict }}{{ $_ := set $d "k" "v" }}{{ $d | toJson }}"#),
        r#"{"k":"v"}"#
    );
    // Without a declaration the action prints the map, as Go does.
    assert_eq!(
        render(
            r#"{{ $d := dict "a" 1 }}{{ set $d "b" 2 }}|{{ unset $d "a" | toJson }}|{{ $d | toJson }}"#
        ),
        r#"map[a:1 b:2]|{"b":2}|{"b":2}"#
    );
    // Inside a range, in parentheses, and in an `if` condition.
    assert_eq!(
        render(
            r#"{{ $d := dict }}{{ range $i, $x := list "a" "b" }}{{ $_ := (set $d $x $i) }}{{ end }}{{ $d | toJson }}"#
        ),
        r#"{"a":0,"b":1}"#
    );
    assert_eq!(
        render(r#"{{ $d := dict }}{{ if set $d "k" 1 }}y{{ end }}{{ $d | toJson }}"#),
        r#"y{"k":1}"#
    );
    assert_eq!(
        render(
            r#"{{ $a := dict "x" 1 }}{{ $r := merge $a (dict "x" 2 "y" 3) }}{{ $a | toJson }}{{ $r | toJson }}{{ $_ := mergeOverwrite $a (dict "x" 9) }}{{ $a.x }}"#
        ),
        r#"{"x":1,"y":3}{"x":1,"y":3}9"#
    );
    // `and`/`or` may skip their arguments, so calls there are left alone.
    assert_eq!(
        render(r#"{{ $d := dict }}{{ if or true (set $d "k" 1) }}{{ end }}{{ len $d }}"#),
        "0"
    );
}

/// The function list in docs/provisioners.md is exactly the set a template may call.
#[test]
fn the_documented_function_list_is_the_supported_set() {
    let docs = include_str!("../../../../docs/provisioners.md");
    let start = docs
        .find("Functions: Go's built-ins")
        .expect("the list in the docs");
    let list = &docs[start..];
    let list = &list[..list.find("\n\n").unwrap()];
    let documented: std::collections::BTreeSet<&str> = list
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric()))
        .collect();
    let supported: std::collections::BTreeSet<&str> =
        supported_functions().iter().copied().collect();
    assert_eq!(documented, supported);
}
