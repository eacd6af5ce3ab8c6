//! Resource UIDs: `<type>.<class>#<workload>.<resource>`, or `<type>.<class>#<id>` when shared.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ir::ResourceRequest;

/// The identity of a provisioned resource within a project.
///
/// ```
/// use score_core::uid::ResourceUid;
/// let private = ResourceUid::new("postgres", "default", None, "web", "db");
/// assert_eq!(private.to_string(), "postgres.default#web.db");
/// let shared = ResourceUid::new("redis", "default", Some("cache"), "web", "c");
/// assert_eq!(shared.to_string(), "redis.default#cache");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResourceUid {
    /// Resource type.
    pub kind: String,
    /// Resource class.
    pub class: String,
    /// `id` for shared resources, else `<workload>.<resource>`.
    pub id: String,
}

impl ResourceUid {
    /// The UID of resource `name` of `workload`, shared when `id` is set.
    pub fn new(kind: &str, class: &str, id: Option<&str>, workload: &str, name: &str) -> Self {
        ResourceUid {
            kind: kind.to_string(),
            class: class.to_string(),
            id: id.map_or_else(|| format!("{workload}.{name}"), str::to_string),
        }
    }

    /// The UID of a resource request of `workload`.
    pub fn of(workload: &str, name: &str, r: &ResourceRequest) -> Self {
        Self::new(&r.kind, r.class(), r.id.as_deref(), workload, name)
    }

    /// A name safe for DNS labels, file names and HCL identifiers, unique per UID.
    ///
    /// `postgres.default#web.db` → `postgres-web-db`; the class is kept when not `default`.
    pub fn slug(&self) -> String {
        let class = if self.class == "default" {
            String::new()
        } else {
            format!("-{}", self.class)
        };
        let raw = format!("{}{class}-{}", self.kind, self.id);
        raw.to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .trim_matches('-')
            .to_string()
    }
}

impl fmt::Display for ResourceUid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}#{}", self.kind, self.class, self.id)
    }
}

impl From<ResourceUid> for String {
    fn from(u: ResourceUid) -> String {
        u.to_string()
    }
}

impl TryFrom<String> for ResourceUid {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl std::str::FromStr for ResourceUid {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (tc, id) = s
            .split_once('#')
            .ok_or_else(|| format!("`{s}` is not a resource UID (`type.class#id`)"))?;
        let (kind, class) = tc
            .split_once('.')
            .ok_or_else(|| format!("`{s}` is not a resource UID (`type.class#id`)"))?;
        if kind.is_empty() || class.is_empty() || id.is_empty() {
            return Err(format!("`{s}` is not a resource UID (`type.class#id`)"));
        }
        Ok(ResourceUid {
            kind: kind.into(),
            class: class.into(),
            id: id.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_slugs() {
        let u: ResourceUid = "postgres.large#web.db".parse().unwrap();
        assert_eq!(u.to_string(), "postgres.large#web.db");
        assert_eq!(u.slug(), "postgres-large-web-db");
        assert!("nope".parse::<ResourceUid>().is_err());
        let shared: ResourceUid = "s3.default#media.assets".parse().unwrap();
        assert_eq!(shared.slug(), "s3-media-assets");
    }
}
