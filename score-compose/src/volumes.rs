//! Container `volumes` → compose volume mounts.
//!
//! `source: ${resources.<name>}` takes the mount from the resource's outputs, as score-compose
//! does: `type` (`volume`, the default; `bind`; `tmpfs`), `source` (the volume name or host
//! path) and, for tmpfs, an optional `tmpfs: {size}`. Any other source text (placeholders
//! substituted) is a host path when it starts with `/`, `.` or `~`, else a named volume.
//! `path` becomes the volume sub-path (bind: joined to the host path); `readOnly` is kept.

use std::collections::BTreeSet;

use docker_compose_types::{AdvancedVolumes, TmpfsSettings, Volume, Volumes};
use score_core::ir::Volume as ScoreVolume;
use score_core::provision::{Resolved, ResolvedWorkload};
use score_core::Diagnostic;
use serde_json::Value;

use crate::escape;
use crate::resolve::{Resolver, VolumeSource};

/// Whether `name` is acceptable as a compose volume name.
pub(crate) fn valid_volume_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
}

/// Lower one volume mount. Named volumes used are added to `named`.
pub(crate) fn lower(
    resolved: &Resolved,
    w: &ResolvedWorkload,
    resolver: &Resolver,
    at: &str,
    target: &str,
    vol: &ScoreVolume,
    named: &mut BTreeSet<String>,
) -> Result<Volumes, Diagnostic> {
    let err = |msg: String| Diagnostic::error("score::compose::volume", format!("{at}: {msg}"));
    // Compose interpolates every string: `$` is doubled in whatever holds user text.
    let mut mount = AdvancedVolumes {
        source: None,
        target: escape::dollars(target),
        _type: "volume".into(),
        read_only: vol.read_only,
        bind: None,
        volume: None,
        tmpfs: None,
    };
    let path = vol
        .path
        .as_deref()
        .map(|p| p.trim_matches('/'))
        .filter(|p| !p.is_empty());
    let source = resolver.volume_source(&vol.source).map_err(err)?;
    let (kind, src, tmpfs_size) = match source {
        VolumeSource::Resource(name) => {
            let uid = &w.resources[&name];
            let outputs = resolved
                .resource(uid)
                .map(|r| &r.record.outputs)
                .ok_or_else(|| err(format!("resource `{name}` was not provisioned")))?;
            let kind = match outputs.get("type") {
                None => "volume".to_string(),
                Some(Value::String(t)) => t.clone(),
                Some(_) => {
                    return Err(err(format!(
                        "the `type` output of resource `{name}` ({uid}) must be a string"
                    )))
                }
            };
            let src = match outputs.get("source") {
                Some(Value::String(s)) => Some(s.clone()),
                None | Some(Value::Null) => None,
                Some(_) => {
                    return Err(err(format!(
                        "the `source` output of resource `{name}` ({uid}) must be a string"
                    )))
                }
            };
            if kind != "tmpfs" && src.is_none() {
                return Err(err(format!("resource `{name}` ({uid}) has no `source` output, so it cannot be mounted as a volume"))
                    .with_help("a volume resource outputs `source` (the volume name) and optionally `type: volume|bind|tmpfs`"));
            }
            let size = outputs
                .get("tmpfs")
                .and_then(|t| t.get("size"))
                .and_then(Value::as_u64);
            (kind, src, size)
        }
        VolumeSource::Text(text) if text.starts_with(['/', '.', '~']) => {
            ("bind".to_string(), Some(text), None)
        }
        VolumeSource::Text(text) => ("volume".to_string(), Some(text), None),
    };
    match kind.as_str() {
        "volume" => {
            let src = src.unwrap_or_default();
            if !valid_volume_name(&src) {
                return Err(err(format!(
                    "`{src}` is not a valid volume name (letters, digits, `.`, `_`, `-`)"
                )));
            }
            named.insert(src.clone());
            mount.source = Some(src);
            if let Some(p) = path {
                mount.volume = Some(Volume {
                    nocopy: None,
                    subpath: Some(escape::dollars(p)),
                });
            }
        }
        "bind" => {
            let src = src.unwrap_or_default();
            mount.source = Some(escape::dollars(&match path {
                Some(p) => format!("{}/{p}", src.trim_end_matches('/')),
                None => src,
            }));
        }
        "tmpfs" => {
            if path.is_some() {
                return Err(err("a tmpfs volume has no sub-path; remove `path`".into()));
            }
            mount.tmpfs = tmpfs_size.map(|size| TmpfsSettings { size });
        }
        other => {
            return Err(err(format!(
                "unsupported volume type `{other}` (expected volume, bind or tmpfs)"
            )))
        }
    }
    mount._type = kind;
    Ok(Volumes::Advanced(mount))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_names() {
        assert!(valid_volume_name("vol-1.data_x"));
        assert!(!valid_volume_name("-x"));
        assert!(!valid_volume_name("a/b"));
        assert!(!valid_volume_name(""));
    }
}
