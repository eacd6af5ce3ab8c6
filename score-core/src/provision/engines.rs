//! The server images the default provisioners run, one table for every target.
//!
//! A resource's `version` param picks the engine version (`postgres` with `version: "16"` runs
//! `postgres:16`); without it the pinned default below is used. The compose, Kubernetes and
//! Terraform default provisioners all take their images from here (the template function
//! `engine_image`), so the three targets cannot disagree on what a `postgres` resource runs.

/// One server image: `<image>:<version><suffix>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engine {
    /// The name templates use (`engine_image("postgres")`).
    pub name: &'static str,
    /// Image repository.
    pub image: &'static str,
    /// Pinned default version (the image tag without the suffix).
    pub version: &'static str,
    /// Appended to every version: the image variant the provisioners rely on.
    pub suffix: &'static str,
}

/// Every engine, by name.
pub const ENGINES: &[Engine] = &[
    engine(
        "elasticsearch",
        "docker.elastic.co/elasticsearch/elasticsearch",
        "8.17.0",
        "",
    ),
    engine("kafka", "apache/kafka", "4.1.0", ""),
    // The server image also holds the `mc` client that creates buckets.
    engine(
        "minio",
        "quay.io/minio/minio",
        "RELEASE.2025-09-07T16-13-09Z",
        "",
    ),
    engine("mongodb", "mongo", "8.0.13", ""),
    engine(
        "mssql",
        "mcr.microsoft.com/mssql/server",
        "2022-CU20-ubuntu-22.04",
        "",
    ),
    engine("mysql", "mysql", "8.4.6", ""),
    // Serves `llm-model` resources (an OpenAI-compatible API under `/v1`).
    engine("ollama", "ollama/ollama", "0.9.0", ""),
    engine("postgres", "postgres", "17.6", ""),
    // The Google Cloud CLI with its emulators (`gcp-pubsub-emulator`).
    engine(
        "pubsub-emulator",
        "gcr.io/google.com/cloudsdktool/google-cloud-cli",
        "502.0.0",
        "-emulators",
    ),
    // The management plugin (port 15672) is part of what the amqp provisioners offer.
    engine("rabbitmq", "rabbitmq", "4.1.4", "-management"),
    engine("redis", "redis", "7.4.5", ""),
];

const fn engine(
    name: &'static str,
    image: &'static str,
    version: &'static str,
    suffix: &'static str,
) -> Engine {
    Engine {
        name,
        image,
        version,
        suffix,
    }
}

/// The engine called `name`.
pub fn find(name: &str) -> Option<&'static Engine> {
    ENGINES.iter().find(|e| e.name == name)
}

/// The image reference of engine `name` at `version` (its pinned default when `None` or empty).
///
/// ```
/// use score_core::provision::engines::image;
/// assert_eq!(image("postgres", Some("16")).unwrap(), "postgres:16");
/// assert_eq!(image("rabbitmq", Some("4.0")).unwrap(), "rabbitmq:4.0-management");
/// assert!(image("postgres", Some("16\nimage: evil")).is_err());
/// ```
///
/// # Errors
/// A message for an unknown engine or a version that is not a valid image tag.
pub fn image(name: &str, version: Option<&str>) -> Result<String, String> {
    let e = find(name).ok_or_else(|| {
        let known: Vec<&str> = ENGINES.iter().map(|e| e.name).collect();
        format!("unknown engine `{name}` (known: {})", known.join(", "))
    })?;
    let version = version
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(e.version);
    let tag = format!("{version}{}", e.suffix);
    if !is_tag(&tag) {
        return Err(format!(
            "`{version}` is not a valid {name} version: an image tag is 1 to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-` (e.g. `{}`)",
            e.version
        ));
    }
    Ok(format!("{}:{tag}", e.image))
}

/// Whether `s` is a valid image tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`).
fn is_tag(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    s.len() <= 128
        && s.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && s.chars().all(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_versions() {
        assert_eq!(image("postgres", None).unwrap(), "postgres:17.6");
        assert_eq!(image("postgres", Some(" ")).unwrap(), "postgres:17.6");
        assert_eq!(image("redis", Some("7.2")).unwrap(), "redis:7.2");
        assert_eq!(
            image("rabbitmq", None).unwrap(),
            "rabbitmq:4.1.4-management"
        );
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(image("postgre", None).unwrap_err().contains("known: "));
        for bad in ["-16", ".1", "16:latest", "a/b", "16\"", &"9".repeat(129)] {
            assert!(image("postgres", Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_default_is_a_valid_tag() {
        for e in ENGINES {
            assert!(is_tag(&format!("{}{}", e.version, e.suffix)), "{}", e.name);
            assert_eq!(find(e.name), Some(e));
        }
        let mut names: Vec<&str> = ENGINES.iter().map(|e| e.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ENGINES.len(), "engine names are unique");
    }
}
