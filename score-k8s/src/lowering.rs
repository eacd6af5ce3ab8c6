//! Objects on their way into a [`Sink`], in output order: the Namespace (when asked for),
//! resources' manifests in provisioning order, then workloads by name.
//!
//! Resources can be fed in as they are provisioned and workloads once all are, so a sink that
//! writes YAML at once never holds more than one resource's or workload's objects.

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use score_core::provision::{ProvisionedResource, Resolved};
use score_core::Diagnostic;

use crate::dedupe::{Dedupe, Sink};
use crate::resolve::SecretValues;
use crate::{manifests, names, workload, Options};

/// Lowered objects so far, and what went wrong.
pub(crate) struct Lowering<'o, S> {
    sink: S,
    seen: Dedupe,
    opts: &'o Options,
    errors: Vec<Diagnostic>,
    /// Objects emitted twice with different content: reported only when nothing else failed.
    clashes: Vec<Diagnostic>,
    /// Resources' objects to check for leaked secrets once every secret is known.
    leak_checks: Vec<LeakCheck>,
    warnings: Vec<Diagnostic>,
}

impl<'o, S: Sink> Lowering<'o, S> {
    pub(crate) fn new(mut sink: S, opts: &'o Options) -> Self {
        let errors = option_errors(opts);
        if let (Some(ns), true) = (&opts.namespace, opts.generate_namespace) {
            sink.append(namespace_object(ns));
        }
        Lowering {
            sink,
            seen: Dedupe::default(),
            opts,
            errors,
            clashes: Vec::new(),
            leak_checks: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The objects of one resource's `manifests` (taken out of `r`, or a copy).
    pub(crate) fn resource(&mut self, r: &ProvisionedResource, items: Option<Value>) {
        match manifests::objects(r, items) {
            Ok(items) => {
                let uid = r.uid.to_string();
                for item in items {
                    self.leak_checks.extend(LeakCheck::of(&item, &uid));
                    self.add(item, format!("resource `{uid}`"));
                }
            }
            Err(d) => self.errors.push(d),
        }
    }

    /// The objects of every workload, by name, after the warnings about resources' objects.
    pub(crate) fn workloads(&mut self, resolved: &Resolved) {
        let secret_values = SecretValues::new(resolved.secret_values());
        let leaks = std::mem::take(&mut self.leak_checks);
        self.warnings
            .extend(leaks.iter().filter_map(|c| c.warning(&secret_values)));
        for (name, rw) in &resolved.workloads {
            match workload::lower(rw, resolved, &secret_values) {
                Ok(l) => {
                    self.warnings.extend(l.warnings);
                    for o in l.objects {
                        self.add(o, format!("workload `{name}`"));
                    }
                }
                Err(es) => self.errors.extend(es),
            }
        }
    }

    /// Place `object` in the namespace, then append it unless an identical one is there.
    /// A score-k8s secret reference left in it (anywhere but an env value or a file, which
    /// become `secretKeyRef`s and Secret volumes) is an error, as in score-k8s: the marker
    /// would reach the cluster as text.
    fn add(&mut self, mut object: Value, origin: String) {
        if let Some(path) = score_core::secret_ref::find_in(&object) {
            let kind = object["kind"].as_str().unwrap_or("object");
            let name = object["metadata"]["name"].as_str().unwrap_or("?");
            self.errors.push(
                Diagnostic::error(
                    "score::k8s::secret_ref",
                    format!("{origin}: {kind} `{name}` holds a reference to a Kubernetes Secret (score-k8s's `encodeSecretRef`) at `{path}`, where it cannot be resolved"),
                )
                .with_help("secret references resolve in container variables and in files whose content is exactly one reference"),
            );
            return;
        }
        if let Some(ns) = &self.opts.namespace {
            manifests::set_namespace(&mut object, ns);
        }
        if let Err(d) = self.seen.add(&mut self.sink, object, origin) {
            self.clashes.push(d);
        }
    }

    /// The sink and the warnings, or every error.
    pub(crate) fn finish(self) -> Result<(S, Vec<Diagnostic>), Vec<Diagnostic>> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        if !self.clashes.is_empty() {
            return Err(self.clashes);
        }
        Ok((self.sink, self.warnings))
    }
}

/// A resource's object other than a Secret, as the text of its keys, strings and numbers: a
/// secret value in it is warned about once all resources, and so all secret values, are known.
struct LeakCheck {
    uid: String,
    kind: String,
    name: String,
    text: String,
}

impl LeakCheck {
    fn of(object: &Value, uid: &str) -> Option<LeakCheck> {
        if object["kind"] == "Secret" {
            return None;
        }
        Some(LeakCheck {
            uid: uid.to_string(),
            kind: object["kind"].as_str().unwrap_or("an object").to_string(),
            name: object["metadata"]["name"]
                .as_str()
                .unwrap_or("?")
                .to_string(),
            text: {
                let mut text = String::new();
                push_texts(object, &mut text);
                text
            },
        })
    }

    /// A warning when a provisioner put a secret value into this object.
    fn warning(&self, secret_values: &SecretValues) -> Option<Diagnostic> {
        // Short values (a port that happens to be marked secret) would match by accident.
        secret_values.long_in(&self.text).then(|| {
            Diagnostic::warning(
                "score::k8s::secret_in_plain_text",
                format!(
                    "resource `{}`: its provisioner put a secret value into {} `{}`, which is not a Secret",
                    self.uid, self.kind, self.name
                ),
            )
            .with_help("keep secrets in a Secret and reference them with `secretKeyRef`")
        })
    }
}

/// Every key, string and number of `v`, each followed by a NUL so that no value is found
/// across two of them. Unlike JSON text, quotes and backslashes in them stay as they are.
fn push_texts(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::Array(items) => return items.iter().for_each(|i| push_texts(i, out)),
        Value::Object(m) => {
            return m.iter().for_each(|(k, v)| {
                out.push_str(k);
                out.push('\0');
                push_texts(v, out);
            })
        }
        Value::Bool(_) | Value::Null => return,
    }
    out.push('\0');
}

/// Problems with the namespace options.
fn option_errors(opts: &Options) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    if let Some(ns) = &opts.namespace {
        if !names::is_dns_label(ns) {
            errors.push(Diagnostic::error(
                "score::k8s::namespace",
                format!("namespace `{ns}` is not valid: at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit"),
            ));
        }
    } else if opts.generate_namespace {
        errors.push(
            Diagnostic::error(
                "score::k8s::namespace",
                "`--generate-namespace` needs a namespace",
            )
            .with_help("add `--namespace <name>`"),
        );
    }
    errors
}

fn namespace_object(ns: &str) -> Value {
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(ns.to_string()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    serde_json::to_value(namespace).expect("a Namespace serialises")
}
