//! Names that are valid both as Terraform block labels and as Kubernetes object names.
//!
//! Every Terraform address we emit uses the Kubernetes object's name as its label
//! (`kubernetes_service_v1.postgres-web-db` names the Service `postgres-web-db`), so two objects
//! of one kind can only clash if their addresses clash, which the module merge reports.
//!
//! A name is lower-case letters, digits and inner `-`, starts with a letter (an HCL identifier
//! and a DNS-1035 label, as Services need), and has at most [`MAX_NAME`] characters so that
//! derived names (`<name>-headless`, StatefulSet pod and revision names) stay within 63.

use score_core::uid::ResourceUid;
use sha2::{Digest, Sha256};

pub use score_core::kube_names::{
    is_config_key as is_data_key, is_dns1035_label, is_dns_label, is_iana_svc_name as is_port_name,
};

/// Longest name we emit; longer ones are cut and end in a hash of the full name.
pub const MAX_NAME: usize = 52;

/// First `n` hex digits of the SHA-256 of `s`.
pub fn short_hash(s: &str, n: usize) -> String {
    let digest = Sha256::digest(s.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    hex[..n.min(hex.len())].to_string()
}

/// Lower-case `[a-z0-9-]`, runs of `-` collapsed, no leading or trailing `-`.
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// A safe name from `raw`: slugged, prefixed with `prefix-` when it would not start with a
/// letter, shortened to [`MAX_NAME`] with a hash of `raw` when too long.
pub fn safe_name(raw: &str, prefix: &str) -> String {
    let mut s = slug(raw);
    if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        s = if s.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}-{s}")
        };
    }
    if s.len() > MAX_NAME {
        let keep = MAX_NAME - 9;
        let mut head = s[..keep].to_string();
        while head.ends_with('-') {
            head.pop();
        }
        s = format!("{head}-{}", short_hash(raw, 8));
    }
    s
}

/// The name of a provisioned resource's objects: `postgres.default#web.db` → `postgres-web-db`.
pub fn resource_name(uid: &ResourceUid) -> String {
    safe_name(&uid.slug(), "r")
}

/// The name of a workload's objects (its label in every address).
pub fn workload_name(workload: &str) -> String {
    safe_name(workload, "w")
}

/// A data key for `s`: `s` itself when valid, else a cleaned copy with a hash.
pub fn data_key(s: &str) -> String {
    if is_data_key(s) {
        return s.to_string();
    }
    let cleaned = score_core::kube_names::config_key_chars(s);
    let cleaned = cleaned.trim_matches('.');
    let cleaned = if cleaned.len() > 200 {
        &cleaned[..200]
    } else {
        cleaned
    };
    format!("{cleaned}-{}", short_hash(s, 8))
}

/// A Terraform identifier (variable names): letters, digits and `_`, from `parts` joined by
/// `_`.
pub fn identifier(parts: &[&str]) -> String {
    let mut out = String::new();
    for p in parts {
        if !out.is_empty() {
            out.push('_');
        }
        out.extend(p.chars().map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        }));
    }
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "v_");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_labels_and_identifiers() {
        let uid: ResourceUid = "postgres.default#web.db".parse().unwrap();
        assert_eq!(resource_name(&uid), "postgres-web-db");
        let uid: ResourceUid = "S3.Large#media.assets.v2".parse().unwrap();
        assert_eq!(resource_name(&uid), "s3-large-media-assets-v2");
        let uid: ResourceUid = "3d.default#web.db".parse().unwrap();
        assert_eq!(resource_name(&uid), "r-3d-web-db");
        assert_eq!(workload_name("9lives"), "w-9lives");
        let long = "a".repeat(70);
        let n = workload_name(&long);
        assert_eq!(n.len(), MAX_NAME);
        assert!(is_dns1035_label(&n));
        assert_ne!(n, workload_name(&"a".repeat(71)));
    }

    #[test]
    fn keys_and_ports() {
        assert_eq!(data_key("app.conf"), "app.conf");
        assert!(data_key("my file!").starts_with("my_file_-"));
        assert!(is_port_name("http"));
        assert!(!is_port_name("8080"));
        assert!(!is_port_name("a-very-long-port-name"));
        assert_eq!(
            identifier(&["image", "web-api", "main"]),
            "image_web_api_main"
        );
    }
}
