//! Container `volumes` → pod volumes (from the volume resource's `source` output) or, on a
//! StatefulSet, `volumeClaimTemplates` (from its `claimSpec` output).
//!
//! A volume resource's outputs are either `{source: <Kubernetes volume source>}`,
//! `{claimSpec: <PersistentVolumeClaimSpec>}`, or both; the source may also be referenced
//! directly (`${resources.data.source}`).

use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimSpec, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use score_core::ir;
use score_core::placeholder::{RefRoot, Segment, Template};
use score_core::provision::functions::slug;

use crate::names;
use crate::resolve::Resolver;
use crate::typed::strict;

/// Where a mounted volume comes from.
#[derive(Debug, Clone)]
pub enum Backing {
    /// A pod-level volume (shared by every container that mounts the same resource).
    Pod(Box<Volume>),
    /// A per-replica claim template of a StatefulSet.
    Claim(Box<PersistentVolumeClaim>),
}

/// What one container volume becomes.
#[derive(Debug, Clone)]
pub struct LoweredVolume {
    /// The pod volume or claim template (named like the mount's `name`).
    pub backing: Backing,
    /// The container's mount.
    pub mount: VolumeMount,
    /// Something the user should know about how it was mounted.
    pub warning: Option<String>,
}

/// Lower the volume mounted at `target`; `stateful` says whether claim templates are possible.
///
/// # Errors
/// A message when the source is not a reference to a volume, or the resource's outputs are not
/// a valid Kubernetes volume.
pub fn lower(
    target: &str,
    v: &ir::Volume,
    resolver: &Resolver,
    stateful: bool,
) -> Result<LoweredVolume, String> {
    let template = Template::parse(&v.source).map_err(|e| e.to_string())?;
    let resource_ref = match template.segments.as_slice() {
        [Segment::Placeholder(p)] => match p.root() {
            Ok(RefRoot::Resource { name, output }) => Some((p, name, output)),
            _ => None,
        },
        _ => None,
    };
    let Some((p, resource, output)) = resource_ref else {
        let text = resolver.render(&v.source)?.text();
        return named_claim(target, v, &text);
    };
    let value = resolver.value(p)?;
    let Value::Object(outputs) = &value else {
        return Err(format!(
            "source `{}` resolves to `{value}`, not to a volume",
            v.source
        ));
    };
    // `${resources.data.source}` is the same volume as `${resources.data}`: one pod volume.
    let mut base = vec![resource.to_string()];
    if output != ["source"] {
        base.extend(output.iter().cloned());
    }
    let name = names::bounded(&format!("vol-{}", slug(&base.join("-"))), names::MAX_LABEL);
    let claim = outputs.get("claimSpec");
    let source = outputs.get("source");
    let backing = match (claim, source) {
        (Some(spec), _) if stateful => Backing::Claim(Box::new(PersistentVolumeClaim {
            metadata: ObjectMeta { name: Some(name.clone()), ..ObjectMeta::default() },
            spec: Some(strict::<PersistentVolumeClaimSpec>(spec).map_err(|e| format!("`claimSpec` of resource `{resource}`: {e}"))?),
            ..PersistentVolumeClaim::default()
        })),
        (_, Some(src)) => Backing::Pod(Box::new(pod_volume(&name, src).map_err(|e| format!("`source` of resource `{resource}`: {e}"))?)),
        (Some(_), None) => {
            return Err(format!(
                "resource `{resource}` provides per-replica storage (`claimSpec`), which needs the annotation `{}: StatefulSet` on the workload",
                names::KIND_ANNOTATION
            ))
        }
        (None, None) => Backing::Pod(Box::new(pod_volume(&name, &value).map_err(|e| {
            format!("resource `{resource}` has no `source` or `claimSpec` output and is not a volume source itself ({e})")
        })?)),
    };
    Ok(LoweredVolume {
        mount: mount(name, target, v),
        backing,
        warning: None,
    })
}

fn mount(name: String, target: &str, v: &ir::Volume) -> VolumeMount {
    VolumeMount {
        name,
        mount_path: target.to_string(),
        sub_path: v.sub_path().map(str::to_string),
        read_only: v.read_only.then_some(true),
        ..VolumeMount::default()
    }
}

/// A volume `source` that names no resource (`source: shared-data`): the volume of that name,
/// which on Kubernetes is the PersistentVolumeClaim of that name (compose mounts the named
/// volume). Host paths have no meaning in a cluster.
fn named_claim(target: &str, v: &ir::Volume, text: &str) -> Result<LoweredVolume, String> {
    if text.starts_with(['/', '.', '~']) {
        return Err(format!("source `{text}` is a host path, which has no meaning on Kubernetes; declare a `volume` resource and use `${{resources.<name>}}`"));
    }
    if !names::is_dns_label(text) {
        return Err(format!("source `{text}` is neither a reference to a volume resource (`${{resources.<name>}}`) nor a valid PersistentVolumeClaim name"));
    }
    let name = names::bounded(&format!("vol-{}", slug(text)), names::MAX_LABEL);
    let source = serde_json::json!({"persistentVolumeClaim": {"claimName": text}});
    Ok(LoweredVolume {
        backing: Backing::Pod(Box::new(pod_volume(&name, &source)?)),
        mount: mount(name, target, v),
        warning: Some(format!("source `{text}` names no resource: it is mounted as the existing PersistentVolumeClaim `{text}`; declare a `volume` resource (`${{resources.<name>}}`) to have one provisioned")),
    })
}

/// A pod volume named `name` from a volume source object such as `{emptyDir: {}}`.
fn pod_volume(name: &str, source: &Value) -> Result<Volume, String> {
    let Value::Object(map) = source else {
        return Err(format!(
            "expected a volume source object such as `{{emptyDir: {{}}}}`, got `{source}`"
        ));
    };
    let kinds: Vec<&String> = map.keys().filter(|k| k.as_str() != "name").collect();
    if kinds.len() != 1 {
        return Err(format!(
            "a volume source has exactly one kind (`emptyDir`, `persistentVolumeClaim`, …), got {}",
            if kinds.is_empty() {
                "none".to_string()
            } else {
                kinds
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ));
    }
    let mut map = map.clone();
    map.insert("name".into(), Value::String(name.to_string()));
    strict::<Volume>(&Value::Object(map))
}

#[cfg(test)]
mod tests {
    use super::pod_volume;
    use serde_json::json;

    #[test]
    fn pod_volumes() {
        assert!(pod_volume("v", &json!({"emptyDir": {}}))
            .unwrap()
            .empty_dir
            .is_some());
        assert!(
            pod_volume("v", &json!({"persistentVolumeClaim": {"claimName": "c"}}))
                .unwrap()
                .persistent_volume_claim
                .is_some()
        );
        assert!(pod_volume("v", &json!({}))
            .unwrap_err()
            .contains("got none"));
        assert!(
            pod_volume("v", &json!({"emptyDir": {}, "hostPath": {"path": "/x"}}))
                .unwrap_err()
                .contains("exactly one")
        );
        assert!(pod_volume("v", &json!({"emptyDirr": {}}))
            .unwrap_err()
            .contains("emptyDirr"));
        assert!(pod_volume("v", &json!("x")).is_err());
    }
}
