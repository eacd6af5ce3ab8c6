//! Container `files` → one ConfigMap (or Secret, when the content holds a secret) per file,
//! mounted read-only with `subPath`, so only that file appears and the image's directory stays.
//!
//! Names are `<workload>-file-<hash>` (objects) and `file-<hash>` (pod volumes), the hash taken
//! over container and target path: stable across runs, distinct across containers.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, KeyToPath, Secret, SecretVolumeSource, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use serde_json::Value;

use score_core::ir::{self, FileContent};

use crate::names;
use crate::resolve::{Piece, Resolver};

/// Largest object the API server stores (ConfigMaps and Secrets alike).
const MAX_OBJECT_BYTES: usize = 1024 * 1024;

/// What one file becomes.
#[derive(Debug, Clone)]
pub struct LoweredFile {
    /// The ConfigMap or Secret holding the content; `None` when the file is a key of a Secret
    /// a provisioner created (content that is exactly one score-k8s secret reference).
    pub object: Option<Value>,
    /// The pod volume projecting it.
    pub volume: Volume,
    /// The container's mount of it.
    pub mount: VolumeMount,
}

/// The bytes of a file, as text when they are UTF-8.
enum Content {
    Text(String),
    Binary(Vec<u8>),
}

/// Lower the file mounted at `target` in `container` of `workload`.
///
/// # Errors
/// A message when the source can't be read, a placeholder can't be resolved, or the content is
/// too large for a ConfigMap.
pub fn lower(
    workload: &str,
    container: &str,
    target: &str,
    file: &ir::File,
    base_dir: &Path,
    resolver: &Resolver,
    meta: &ObjectMeta,
) -> Result<LoweredFile, String> {
    let raw = match &file.content {
        FileContent::Content(s) => Content::Text(s.clone()),
        FileContent::Source(rel) => {
            // The project boundary: inside the Score file's directory, links resolved, a
            // regular file of bounded size.
            let bytes = score_core::boundary::read_inside(base_dir, rel).map_err(|e| {
                format!("cannot read source `{}`: {e}", base_dir.join(rel).display())
            })?;
            match String::from_utf8(bytes) {
                Ok(s) => Content::Text(s),
                Err(e) => Content::Binary(e.into_bytes()),
            }
        }
        FileContent::BinaryContent(b64) => Content::Binary(
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| format!("`binaryContent` is not valid base64: {e}"))?,
        ),
    };
    let (content, secret) = match raw {
        Content::Text(s) if !file.no_expand => {
            let rendered = resolver.render(&s)?;
            if rendered.has_secret_ref() {
                return provisioner_secret_file(target, file, &rendered);
            }
            (Content::Text(rendered.text()), rendered.has_secret())
        }
        other => (other, false),
    };
    let size = match &content {
        Content::Text(s) => s.len(),
        Content::Binary(b) => b.len(),
    };
    if size > MAX_OBJECT_BYTES {
        return Err(format!("is {size} bytes; Kubernetes stores at most 1 MiB in a ConfigMap or Secret, so mount it from a volume instead"));
    }

    let hash = names::short_hash(&[container, target], 10);
    let object_name = format!("{workload}-file-{hash}");
    let volume_name = format!("file-{hash}");
    let key = key_for(target);
    let items = Some(vec![KeyToPath {
        key: key.clone(),
        path: key.clone(),
        mode: file.mode_bits().map(|m| m as i32),
    }]);
    let meta = ObjectMeta {
        name: Some(object_name.clone()),
        ..meta.clone()
    };
    let (object, volume) = if secret {
        let mut s = Secret {
            metadata: meta,
            type_: Some("Opaque".into()),
            ..Secret::default()
        };
        match content {
            Content::Text(t) => s.string_data = Some(BTreeMap::from([(key.clone(), t)])),
            Content::Binary(b) => s.data = Some(BTreeMap::from([(key.clone(), ByteString(b))])),
        }
        let v = Volume {
            name: volume_name.clone(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(object_name),
                items,
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        };
        (to_value(&s)?, v)
    } else {
        let mut c = ConfigMap {
            metadata: meta,
            ..ConfigMap::default()
        };
        match content {
            Content::Text(t) => c.data = Some(BTreeMap::from([(key.clone(), t)])),
            Content::Binary(b) => {
                c.binary_data = Some(BTreeMap::from([(key.clone(), ByteString(b))]))
            }
        }
        let v = Volume {
            name: volume_name.clone(),
            config_map: Some(ConfigMapVolumeSource {
                name: object_name,
                items,
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        };
        (to_value(&c)?, v)
    };
    let object = Some(object);
    let mount = file_mount(volume_name, target, key);
    Ok(LoweredFile {
        object,
        volume,
        mount,
    })
}

/// A file is one key of its volume, mounted read-only at the file's path.
fn file_mount(volume_name: String, target: &str, key: String) -> VolumeMount {
    VolumeMount {
        name: volume_name,
        mount_path: target.to_string(),
        sub_path: Some(key),
        read_only: Some(true),
        ..VolumeMount::default()
    }
}

/// A file whose content is exactly one score-k8s secret reference: that key of the
/// provisioner's Secret, mounted as the file (as score-k8s does). Content that mixes a
/// reference with other text is an error there as here: the value is only known in the cluster.
fn provisioner_secret_file(
    target: &str,
    file: &ir::File,
    rendered: &crate::resolve::Rendered,
) -> Result<LoweredFile, String> {
    let [Piece::SecretRef(r)] = rendered.0.as_slice() else {
        return Err("the content mixes a reference to a provisioner's Kubernetes Secret (score-k8s's `encodeSecretRef`) with other text; such a file can only be exactly one reference, which is mounted from that Secret".to_string());
    };
    let key = key_for(target);
    let volume_name = format!("file-{}", names::short_hash(&[&r.name, &r.key, target], 10));
    let volume = Volume {
        name: volume_name.clone(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(r.name.clone()),
            items: Some(vec![KeyToPath {
                key: r.key.clone(),
                path: key.clone(),
                mode: file.mode_bits().map(|m| m as i32),
            }]),
            ..SecretVolumeSource::default()
        }),
        ..Volume::default()
    };
    let mount = file_mount(volume_name, target, key);
    Ok(LoweredFile {
        object: None,
        volume,
        mount,
    })
}

/// The ConfigMap key: the file's base name when that is a valid key, else `content`.
fn key_for(target: &str) -> String {
    let base = target.rsplit('/').next().unwrap_or_default();
    if names::is_config_key(base) {
        base.to_string()
    } else {
        "content".to_string()
    }
}

fn to_value<T: serde::Serialize>(t: &T) -> Result<Value, String> {
    serde_json::to_value(t).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::key_for;

    #[test]
    fn keys() {
        assert_eq!(key_for("/etc/nginx/nginx.conf"), "nginx.conf");
        assert_eq!(key_for("/etc/my file"), "content");
        assert_eq!(key_for("/etc/dir/"), "content");
    }
}
