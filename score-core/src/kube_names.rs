//! Kubernetes name rules, shared by the backends that emit Kubernetes objects (the k8s
//! manifests backend and the Terraform backend for the kubernetes provider).
//!
//! ```
//! use score_core::kube_names::*;
//! assert!(is_dns_label("web-1") && !is_dns_label("Web"));
//! assert!(is_dns1035_label("web") && !is_dns1035_label("1web"));
//! assert!(is_iana_svc_name("http") && !is_iana_svc_name("8080"));
//! assert!(is_config_key("app.conf") && !is_config_key(".."));
//! ```

/// Longest RFC 1123 label.
pub const MAX_LABEL: usize = 63;

/// RFC 1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LABEL
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// RFC 1035 label (Service names): an RFC 1123 label that starts with a letter.
pub fn is_dns1035_label(s: &str) -> bool {
    is_dns_label(s) && s.starts_with(|c: char| c.is_ascii_lowercase())
}

/// IANA service name (container port names): at most 15 characters of `[a-z0-9-]`, at least
/// one letter, no leading, trailing or doubled `-`.
pub fn is_iana_svc_name(s: &str) -> bool {
    is_dns_label(s)
        && s.len() <= 15
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.contains("--")
}

/// A valid ConfigMap / Secret key: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.`/`..`.
pub fn is_config_key(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s != "." && s != ".." && s.chars().all(is_config_key_char)
}

/// `s` with every character a ConfigMap / Secret key may not hold replaced by `_` (the caller
/// still has to handle `.`, `..`, emptiness and length).
///
/// ```
/// assert_eq!(score_core::kube_names::config_key_chars("a b/ä.conf"), "a_b__.conf");
/// ```
pub fn config_key_chars(s: &str) -> String {
    s.chars()
        .map(|c| if is_config_key_char(c) { c } else { '_' })
        .collect()
}

fn is_config_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}
