//! Object names, labels and the annotations that steer this backend.
//!
//! Every generated name is a pure function of the workload and what it is for, so re-runs give
//! the same names, and names that could collide carry a short hash of what makes them unique.

use sha2::{Digest, Sha256};

use score_core::ir::Workload;

/// Workload annotation choosing the controller: `Deployment` (default) or `StatefulSet`.
pub const KIND_ANNOTATION: &str = "k8s.score.dev/kind";
/// Workload annotation overriding the Service name (default: the workload name).
pub const SERVICE_NAME_ANNOTATION: &str = "k8s.score.dev/service-name";
/// Pod template annotation holding the hash of the workload's ConfigMaps and Secrets.
pub const CHECKSUM_ANNOTATION: &str = "checksum/config";
/// Value of `app.kubernetes.io/managed-by`.
pub const MANAGED_BY: &str = "score-rs";

/// Label keys every workload object carries.
pub const LABEL_NAME: &str = "app.kubernetes.io/name";
/// Selector label: unique per workload within a namespace.
pub const LABEL_INSTANCE: &str = "app.kubernetes.io/instance";
/// Who generated the object.
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";

// Name rules shared with the Terraform backend.
pub use score_core::kube_names::{
    is_config_key, is_dns1035_label, is_dns_label, is_iana_svc_name, MAX_LABEL,
};

/// The Service name of a workload: the annotation when set, else the workload name.
pub fn service_name(w: &Workload) -> String {
    w.metadata
        .annotations
        .get(SERVICE_NAME_ANNOTATION)
        .cloned()
        .unwrap_or_else(|| w.metadata.name.clone())
}

/// First `len` hex digits of the SHA-256 of `parts` joined by NUL (unambiguous).
pub fn short_hash(parts: &[&str], len: usize) -> String {
    let digest = Sha256::digest(parts.join("\0").as_bytes());
    hex(&digest)[..len].to_string()
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    // One allocation, not a `format!` per byte: every file and workload hashes something.
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// `name` if it fits in `max` characters, else a prefix of it plus a hash of the whole.
pub fn bounded(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let hash = short_hash(&[name], 8);
    let keep = max - hash.len() - 1;
    format!("{}-{hash}", name[..keep].trim_end_matches(['-', '.']))
}

/// `s` with every character outside `[-._a-zA-Z0-9]` replaced by `_` (for Secret keys).
pub fn config_key(s: &str) -> String {
    let key = score_core::kube_names::config_key_chars(s);
    if is_config_key(&key) {
        key
    } else {
        format!("key-{}", short_hash(&[s], 10))
    }
}

/// An environment variable name made of `[A-Z0-9_]` from `s`.
pub fn env_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_and_padded() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn name_rules() {
        assert!(
            is_dns_label("web-1")
                && !is_dns_label("-web")
                && !is_dns_label("Web")
                && !is_dns_label("")
        );
        assert!(is_dns1035_label("web") && !is_dns1035_label("1web"));
        assert!(is_iana_svc_name("http") && !is_iana_svc_name("8080") && !is_iana_svc_name("a--b"));
        assert!(!is_iana_svc_name("a-very-long-port-name"));
        assert!(is_config_key("nginx.conf") && !is_config_key("a b") && !is_config_key(".."));
        assert_eq!(config_key("db.conn/x"), "db.conn_x");
        assert_eq!(env_name("db.password"), "DB_PASSWORD");
    }

    #[test]
    fn bounded_names_stay_unique() {
        let long = "a".repeat(70);
        let b = bounded(&long, 63);
        assert_eq!(b.len(), 63);
        assert_ne!(b, bounded(&format!("{long}b"), 63));
        assert_eq!(bounded("short", 63), "short");
    }
}
