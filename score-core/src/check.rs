//! Semantic checks that a JSON schema cannot express, all reported in one pass.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use base64::Engine;
use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::ir::{FileContent, Readiness, Workload};
use crate::placeholder::{self, Context, Placeholder, RefError, RefRoot};
use crate::source::{SourceFile, Span};
use crate::suggest::closest;
use crate::yaml::Node;

/// Inputs of the checks: the typed workload and the tree it came from (for locations).
pub struct Checked<'a> {
    /// The validated workload.
    pub workload: &'a Workload,
    /// The (upgraded) tree, for spans.
    pub tree: &'a Node,
    /// The file the tree came from.
    pub src: &'a SourceFile,
    /// Directory that file `source`s are relative to; `None` skips the existence check.
    pub base_dir: Option<&'a Path>,
}

impl Checked<'_> {
    /// The span of the value at `path`, or of the whole document when it is not there.
    fn value_span(&self, path: &[&str]) -> Span {
        self.tree
            .lookup(path)
            .map_or(self.tree.span, |(_, n)| n.span)
    }

    /// The span of the key at the end of `path`, or of the whole document when it is not there.
    fn key_span(&self, path: &[&str]) -> Span {
        self.tree
            .lookup(path)
            .and_then(|(k, _)| k)
            .map_or(self.tree.span, |k| k.span)
    }
}

/// Run every semantic check; returns errors (and warnings) in source order.
pub fn check(c: &Checked<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check_placeholders(c, &mut out);
    check_before(c, &mut out);
    check_files(c, &mut out);
    check_volumes(c, &mut out);
    check_probes(c, &mut out);
    check_requests(c, &mut out);
    check_unsubstituted(c, &mut out);
    check_ports(c, &mut out);
    out.sort_by_key(|d| d.labels.first().map(|l| l.span.start));
    out
}

/// Every string that placeholders are substituted in, with its tree path.
pub(crate) fn substituted_strings(w: &Workload) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    let p = |parts: &[&str]| parts.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    for (cname, c) in &w.containers {
        for (k, v) in &c.variables {
            out.push((p(&["containers", cname, "variables", k]), v.clone()));
        }
        for (target, f) in &c.files {
            if let (FileContent::Content(text), false) = (&f.content, f.no_expand) {
                out.push((
                    p(&["containers", cname, "files", target, "content"]),
                    text.clone(),
                ));
            }
        }
        for (target, v) in &c.volumes {
            out.push((
                p(&["containers", cname, "volumes", target, "source"]),
                v.source.clone(),
            ));
        }
    }
    for (rname, r) in &w.resources {
        if let Some(params) = &r.params {
            let base = p(&["resources", rname, "params"]);
            for (k, v) in params {
                collect_strings(v, [base.clone(), vec![k.clone()]].concat(), &mut out);
            }
        }
    }
    out
}

fn collect_strings(v: &Value, path: Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    match v {
        Value::String(s) => out.push((path, s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_strings(item, [path.clone(), vec![i.to_string()]].concat(), out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                collect_strings(item, [path.clone(), vec![k.clone()]].concat(), out);
            }
        }
        _ => {}
    }
}

/// The span of `${raw}` inside the node's source text, else the node's span.
pub fn placeholder_span(src: &SourceFile, node: &Node, raw: &str, nth: usize) -> Span {
    let text = &src.text()[node.span.range()];
    let needle = format!("${{{raw}}}");
    text.match_indices(&needle)
        .nth(nth)
        .or_else(|| text.match_indices(&needle).next())
        .map_or(node.span, |(i, _)| {
            Span::new(node.span.start + i, node.span.start + i + needle.len())
        })
}

fn check_placeholders(c: &Checked<'_>, out: &mut Vec<Diagnostic>) {
    let metadata = c.workload.metadata_json();
    let names: BTreeMap<String, Value> = c
        .workload
        .resources
        .keys()
        .map(|k| (k.clone(), Value::Object(Default::default())))
        .collect();
    let mut index = TreeIndex::new(c.tree);
    for (path, text) in substituted_strings(c.workload) {
        let node = index.lookup(&path).unwrap_or(c.tree);
        if let Some(at) = placeholder::unclosed(&text) {
            out.push(unclosed_warning(c.src, node, &text[at..]));
        }
        let template = match placeholder::parse(&text) {
            Ok(t) => t,
            Err(e) => {
                let raw = text
                    .get(e.range())
                    .unwrap_or_default()
                    .trim_start_matches("${")
                    .trim_end_matches('}');
                out.push(
                    Diagnostic::error(
                        "score::placeholder::syntax",
                        format!("invalid placeholder: {e}"),
                    )
                    .with_label(
                        c.src,
                        placeholder_span(c.src, node, raw, 0),
                        "here",
                    ),
                );
                continue;
            }
        };
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        let mut reported = 0;
        for ph in template.placeholders() {
            let nth = seen.entry(ph.raw.as_str()).or_default();
            let this = *nth;
            *nth += 1;
            if let Some(d) = check_ref(ph, &metadata, &names, c.workload) {
                // Each span search scans the value: keep the count (and the output) bounded.
                reported += 1;
                if reported > MAX_PER_VALUE {
                    break;
                }
                let span = placeholder_span(c.src, node, &ph.raw, this);
                out.push(d.with_label(c.src, span, "this placeholder"));
            }
        }
    }
}

/// `${` with no closing `}`: kept as literal text, which is almost always a typo.
fn unclosed_warning(src: &SourceFile, node: &Node, rest: &str) -> Diagnostic {
    // The source text may differ from the value (quotes, escapes, folding): point at the
    // first occurrence of the opening and the start of its ref, else at the whole value.
    let head: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '\'' | '\\'))
        .take(64)
        .collect();
    let text = &src.text()[node.span.range()];
    let span = text.find(&head).map_or(node.span, |i| {
        Span::new(node.span.start + i, node.span.start + i + head.len())
    });
    Diagnostic::warning(
        "score::placeholder::unclosed",
        format!("`{head}` is not closed, so it is kept as literal text"),
    )
    .with_label(src, span, "no `}` after this `${`")
    .with_help("close it with `}`, or write `$${` for a literal `${`")
}

fn check_ref(
    ph: &Placeholder,
    metadata: &Value,
    names: &BTreeMap<String, Value>,
    w: &Workload,
) -> Option<Diagnostic> {
    let err =
        |code: &str, msg: String| Diagnostic::error(format!("score::placeholder::{code}"), msg);
    match ph.root() {
        Err(e @ RefError::UnknownRoot { .. }) => Some(
            err("unknown_root", e.to_string())
                .with_help("placeholders start with `metadata.` or `resources.`; write `$${` for a literal `${`"),
        ),
        Err(e) => Some(err("invalid", e.to_string())),
        Ok(RefRoot::Metadata(_)) => {
            let ctx = Context::new(metadata, names);
            match ctx.resolve(ph) {
                Ok(_) => None,
                Err(e @ RefError::KeyNotFound { .. }) => {
                    let keys: Vec<String> = metadata.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
                    let missing = ph.path.get(1).cloned().unwrap_or_default();
                    let d = err("unknown_key", e.to_string());
                    Some(match closest(&missing, keys.iter().map(String::as_str)) {
                        Some(k) if ph.path.len() == 2 => d.with_help(format!("did you mean `${{metadata.{k}}}`?")),
                        _ => d,
                    })
                }
                Err(e) => Some(err("invalid", e.to_string())),
            }
        }
        Ok(RefRoot::Resource { name, .. }) if !w.resources.contains_key(name) => {
            let d = err("unknown_resource", format!("no known resource '{name}'"));
            Some(match closest(name, w.resources.keys().map(String::as_str)) {
                Some(k) => d.with_help(format!("did you mean `resources.{k}`?")),
                None => d.with_help(format!("declare it under `resources:`, e.g. `{name}: {{type: <type>}}`")),
            })
        }
        Ok(RefRoot::Resource { .. }) => None,
    }
}

fn check_before(c: &Checked<'_>, out: &mut Vec<Diagnostic>) {
    let containers = &c.workload.containers;
    let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, own) in containers {
        for (other, b) in &own.before {
            let key = c.key_span(&["containers", name, "before", other]);
            if other == name {
                out.push(
                    Diagnostic::error(
                        "score::before::self",
                        format!("container `{name}` cannot start before itself"),
                    )
                    .with_label(c.src, key, "refers to its own container"),
                );
                continue;
            }
            if !containers.contains_key(other) {
                let d = Diagnostic::error(
                    "score::before::unknown_container",
                    format!("`before` names an unknown container `{other}`"),
                )
                .with_label(c.src, key, "no such container in this workload");
                out.push(
                    match closest(other, containers.keys().map(String::as_str)) {
                        Some(k) => d.with_help(format!("did you mean `{k}`?")),
                        None => d.with_help(format!(
                            "containers are: {}",
                            containers.keys().cloned().collect::<Vec<_>>().join(", ")
                        )),
                    },
                );
                continue;
            }
            // `name` must reach `ready` before `other` starts: `healthy` is about `name`.
            if b.ready == Readiness::Healthy
                && own.readiness_probe.is_none()
                && own.liveness_probe.is_none()
            {
                let ready = c
                    .tree
                    .lookup(&["containers", name, "before", other, "ready"])
                    .map_or(key, |(_, n)| n.span);
                out.push(
                    Diagnostic::error(
                        "score::before::no_probe",
                        format!("`ready: healthy` needs a probe on container `{name}`"),
                    )
                    .with_label(
                        c.src,
                        ready,
                        format!("cannot tell when `{name}` is healthy"),
                    )
                    .with_help(format!(
                        "add a `readinessProbe` to `{name}`, or use `ready: started`"
                    )),
                );
            }
            edges.entry(name.as_str()).or_default().push(other.as_str());
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        let span = c.key_span(&["containers", cycle[0], "before", cycle[1]]);
        out.push(
            Diagnostic::error(
                "score::before::cycle",
                format!("`before` forms a cycle: {}", cycle.join(" → ")),
            )
            .with_label(c.src, span, "part of the cycle")
            .with_help("remove one of these `before` entries"),
        );
    }
}

/// A cycle in `edges` as a closed path (first == last), if any.
fn find_cycle<'a>(edges: &BTreeMap<&'a str, Vec<&'a str>>) -> Option<Vec<&'a str>> {
    fn visit<'a>(
        n: &'a str,
        edges: &BTreeMap<&'a str, Vec<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(pos) = stack.iter().position(|s| *s == n) {
            let mut cycle = stack[pos..].to_vec();
            cycle.push(n);
            return Some(cycle);
        }
        if !done.insert(n) {
            return None;
        }
        stack.push(n);
        for next in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, edges, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

fn check_files(c: &Checked<'_>, out: &mut Vec<Diagnostic>) {
    for (cname, container) in &c.workload.containers {
        for (target, file) in &container.files {
            let span_of =
                |field: &str| c.value_span(&["containers", cname, "files", target, field]);
            match &file.content {
                FileContent::Source(source) => {
                    if let Some(d) = check_source(source, c.base_dir) {
                        out.push(d.with_label(c.src, span_of("source"), "this path"));
                    }
                }
                FileContent::BinaryContent(b64) => {
                    if let Err(e) = base64::engine::general_purpose::STANDARD.decode(b64.trim_end())
                    {
                        out.push(
                            Diagnostic::error(
                                "score::file::base64",
                                format!(
                                    "`binaryContent` is not valid base64: {}",
                                    base64_reason(&e)
                                ),
                            )
                            .with_label(c.src, span_of("binaryContent"), "not standard base64")
                            .with_help("encode the bytes with `base64 -w0 <file>`"),
                        );
                    }
                }
                FileContent::Content(_) => {}
            }
        }
    }
}

fn check_source(source: &str, base_dir: Option<&Path>) -> Option<Diagnostic> {
    use crate::boundary::{self, Refusal};
    let escapes = |what: &str| {
        Diagnostic::error(
            "score::file::escapes_directory",
            format!("file source `{source}` {what}"),
        )
        .with_help("for safety, sources must stay inside the directory of the Score file")
    };
    match boundary::check_relative(source) {
        Err(Refusal::Absolute) => {
            return Some(
                Diagnostic::error("score::file::absolute_source", format!("file source `{source}` is an absolute path"))
                    .with_help("a file `source` is relative to the Score file's directory; copy the file next to it"),
            )
        }
        Err(_) => return Some(escapes("points outside the Score file's directory")),
        Ok(()) => {}
    }
    let base_dir = base_dir?;
    let full = base_dir.join(source);
    let unreadable = |reason: String| {
        Diagnostic::warning(
            "score::file::unreadable_source",
            format!("cannot read file source `{source}`: {reason}"),
        )
        .with_help(format!(
            "looked for {}; `generate` needs it",
            full.display()
        ))
    };
    match boundary::resolve_inside(base_dir, source) {
        Err(Refusal::LinksOutside(to)) => Some(escapes(&format!(
            "is a symbolic link out of the Score file's directory (to `{}`)",
            to.display()
        ))),
        Err(Refusal::Io(e)) => Some(unreadable(io_reason(&e))),
        Err(other) => Some(unreadable(other.to_string())),
        Ok(resolved) => match std::fs::metadata(&resolved) {
            Ok(m) if m.is_file() => None,
            // A warning, not an error: the file may be produced by a build step before
            // `generate`, which does need it and fails then.
            Ok(_) => Some(Diagnostic::warning(
                "score::file::unreadable_source",
                format!("file source `{source}` is not a regular file"),
            )),
            Err(e) => Some(unreadable(io_reason(&e))),
        },
    }
}

/// The base64 crate's error, in words.
fn base64_reason(e: &base64::DecodeError) -> String {
    match e {
        base64::DecodeError::InvalidByte(at, b) => format!(
            "character {:?} at position {} is not in the base64 alphabet",
            *b as char,
            at + 1
        ),
        base64::DecodeError::InvalidLength(n) => {
            format!("{n} characters is not a valid length (a multiple of 4 with padding)")
        }
        base64::DecodeError::InvalidLastSymbol(at, b) => format!(
            "the last character {:?} (position {}) leaves stray bits",
            *b as char,
            at + 1
        ),
        base64::DecodeError::InvalidPadding => "the `=` padding is wrong".into(),
    }
}

/// An io::Error's text without the "(os error N)" suffix, which varies by platform.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "it is a directory".into(),
        _ => e.to_string(),
    }
}

/// A volume `path` is a sub-path inside the volume: `..` would leave it (Kubernetes rejects it).
fn check_volumes(c: &Checked<'_>, out: &mut Vec<Diagnostic>) {
    for (cname, container) in &c.workload.containers {
        for (target, v) in &container.volumes {
            let Some(path) = &v.path else { continue };
            if path.split('/').any(|seg| seg == "..") {
                let span = c.value_span(&["containers", cname, "volumes", target, "path"]);
                out.push(
                    Diagnostic::error(
                        "score::volume::path_escapes",
                        format!("volume `path` `{path}` leaves the volume"),
                    )
                    .with_label(c.src, span, "contains `..`")
                    .with_help(
                        "`path` is a sub-directory inside the volume; remove the `..` segments",
                    ),
                );
            }
        }
    }
}

/// A probe with both `httpGet` and `exec`: every target runs `exec` (the spec's preference).
fn check_probes(c: &Checked<'_>, out: &mut Vec<Diagnostic>) {
    for (cname, container) in &c.workload.containers {
        for (field, probe) in [
            ("livenessProbe", &container.liveness_probe),
            ("readinessProbe", &container.readiness_probe),
        ] {
            let Some(p) = probe else { continue };
            if p.http_get.is_some() && p.exec.is_some() {
                let span = c.key_span(&["containers", cname, field, "httpGet"]);
                out.push(
                    Diagnostic::warning(
                        "score::probe::both",
                        format!("`{field}` of container `{cname}` has both `httpGet` and `exec`; every target uses `exec`"),
                    )
                    .with_label(c.src, span, "ignored")
                    .with_help("a probe runs one check; remove `httpGet` (or `exec`) to say which"),
                );
            }
        }
    }
}

/// A request above its limit: every target caps it at the limit (Kubernetes would reject it).
fn check_requests(c: &Checked<'_>, out: &mut Vec<Diagnostic>) {
    for (cname, container) in &c.workload.containers {
        let Some(r) = &container.resources else {
            continue;
        };
        let (Some(req), Some(lim)) = (&r.requests, &r.limits) else {
            continue;
        };
        for (key, rv, lv) in [
            ("cpu", &req.cpu, &lim.cpu),
            ("memory", &req.memory, &lim.memory),
        ] {
            let (Some(rv), Some(lv)) = (rv, lv) else {
                continue;
            };
            if !crate::ir::request_above(rv, lv) {
                continue;
            }
            let span = c.value_span(&["containers", cname, "resources", "requests", key]);
            out.push(
                Diagnostic::warning(
                    "score::resources::request_above_limit",
                    format!("container `{cname}` requests {key} `{rv}`, above its limit `{lv}`; every target uses the limit"),
                )
                .with_label(c.src, span, "capped at the limit")
                .with_help("a request is what the container is guaranteed and cannot exceed its limit; lower the request or raise the limit"),
            );
        }
    }
}

/// Fields Score never substitutes placeholders in, with their tree paths.
fn unsubstituted_strings(w: &crate::ir::Workload) -> Vec<(Vec<String>, &str)> {
    let mut out = Vec::new();
    let p = |parts: &[&str]| parts.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    for (cname, c) in &w.containers {
        out.push((p(&["containers", cname, "image"]), c.image.as_str()));
        for (field, list) in [("command", &c.command), ("args", &c.args)] {
            for (i, a) in list.iter().flatten().enumerate() {
                out.push((p(&["containers", cname, field, &i.to_string()]), a.as_str()));
            }
        }
        for (field, probe) in [
            ("livenessProbe", &c.liveness_probe),
            ("readinessProbe", &c.readiness_probe),
        ] {
            let Some(probe) = probe else { continue };
            if let Some(h) = &probe.http_get {
                out.push((
                    p(&["containers", cname, field, "httpGet", "path"]),
                    h.path.as_str(),
                ));
                if let Some(host) = &h.host {
                    out.push((
                        p(&["containers", cname, field, "httpGet", "host"]),
                        host.as_str(),
                    ));
                }
                for (i, hd) in h.http_headers.iter().enumerate() {
                    let at = [
                        "containers",
                        cname,
                        field,
                        "httpGet",
                        "httpHeaders",
                        &i.to_string(),
                        "value",
                    ];
                    out.push((p(&at), hd.value.as_str()));
                }
            }
            for (i, a) in probe.exec.iter().flat_map(|e| e.command.iter()).enumerate() {
                let at = [
                    "containers",
                    cname,
                    field,
                    "exec",
                    "command",
                    &i.to_string(),
                ];
                out.push((p(&at), a.as_str()));
            }
        }
    }
    out
}

/// A `${metadata.…}` / `${resources.…}` placeholder where Score substitutes nothing (image,
/// command, args, probes) reaches the container as written, on every target: say so.
/// Other `${…}` there are taken for the container's own variables and left alone.
fn check_unsubstituted(c: &Checked<'_>, out: &mut Vec<Diagnostic>) {
    let mut index = TreeIndex::new(c.tree);
    for (path, text) in unsubstituted_strings(c.workload) {
        if !text.contains("${") {
            continue;
        }
        let Ok(template) = placeholder::parse(text) else {
            continue;
        };
        let Some(ph) = template.placeholders().find(|ph| ph.root().is_ok()) else {
            continue;
        };
        let node = index.lookup(&path).unwrap_or(c.tree);
        let field = path.get(2).map_or("", String::as_str);
        out.push(
            Diagnostic::warning(
                "score::placeholder::not_substituted",
                format!("`${{{}}}` in `{field}` is not substituted: it reaches the container as written", ph.raw),
            )
            .with_label(c.src, placeholder_span(c.src, node, &ph.raw, 0), "left as is")
            .with_help("placeholders work in variables, files, volumes and resource params: pass the value in a variable, or write `$${` for a literal `${`"),
        );
    }
}

fn check_ports(c: &Checked<'_>, out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<(u16, &str), &str> = BTreeMap::new();
    for (name, port) in c.workload.ports() {
        if let Some(first) = seen.insert((port.port, port.protocol.as_str()), name) {
            let span = c.value_span(&["service", "ports", name, "port"]);
            out.push(
                Diagnostic::error(
                    "score::service::duplicate_port",
                    format!(
                        "service ports `{first}` and `{name}` both use {} port {}",
                        port.protocol.as_str(),
                        port.port
                    ),
                )
                .with_label(c.src, span, "already used")
                .with_help("give each service port its own port number"),
            );
        }
    }
}

/// Most placeholder problems reported in one value.
const MAX_PER_VALUE: usize = 10;

/// Path lookups in the tree, indexing each mapping on first use so that looking up every
/// entry of a large mapping stays linear.
pub(crate) struct TreeIndex<'a> {
    root: &'a Node,
    maps: std::collections::HashMap<*const Node, std::collections::HashMap<String, &'a Node>>,
}

impl<'a> TreeIndex<'a> {
    pub(crate) fn new(root: &'a Node) -> Self {
        TreeIndex {
            root,
            maps: Default::default(),
        }
    }

    pub(crate) fn lookup(&mut self, path: &[String]) -> Option<&'a Node> {
        use crate::yaml::NodeKind;
        let mut node = self.root;
        for seg in path {
            node = match &node.kind {
                NodeKind::Map(entries) => *self
                    .maps
                    .entry(node as *const Node)
                    .or_insert_with(|| {
                        entries
                            .iter()
                            .filter_map(|(k, v)| Some((k.key_string()?, v)))
                            .collect()
                    })
                    .get(seg.as_str())?,
                NodeKind::Seq(items) => items.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }
}
