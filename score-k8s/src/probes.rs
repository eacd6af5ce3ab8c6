//! Score probes → Kubernetes probes.

use k8s_openapi::api::core::v1::{ExecAction, HTTPGetAction, HTTPHeader, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use score_core::ir;

/// A Kubernetes probe doing what the Score probe says. A probe with both `httpGet` and `exec`
/// runs `exec`, as on every target (the spec prefers it; validation warns).
///
/// # Errors
/// When the probe has neither handler.
pub fn probe(p: &ir::Probe) -> Result<Probe, String> {
    match (&p.http_get, &p.exec) {
        (_, Some(e)) => Ok(Probe {
            exec: Some(ExecAction {
                command: Some(e.command.clone()),
            }),
            ..Probe::default()
        }),
        (Some(h), None) => Ok(Probe {
            http_get: Some(HTTPGetAction {
                host: h.host.clone(),
                path: Some(h.path.clone()),
                port: IntOrString::Int(i32::from(h.port)),
                scheme: h.scheme.clone(),
                http_headers: (!h.http_headers.is_empty()).then(|| {
                    h.http_headers
                        .iter()
                        .map(|x| HTTPHeader {
                            name: x.name.clone(),
                            value: x.value.clone(),
                        })
                        .collect()
                }),
            }),
            ..Probe::default()
        }),
        (None, None) => Err("has neither `httpGet` nor `exec`".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn score_probe(v: serde_json::Value) -> ir::Probe {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn http_and_exec() {
        let p = probe(&score_probe(json!({"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTPS", "httpHeaders": [{"name": "X-A", "value": "1"}]}}))).unwrap();
        assert_eq!(
            serde_json::to_value(p).unwrap(),
            json!({"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTPS", "httpHeaders": [{"name": "X-A", "value": "1"}]}})
        );
        let p = probe(&score_probe(json!({"exec": {"command": ["cat", "/ok"]}}))).unwrap();
        assert_eq!(
            serde_json::to_value(p).unwrap(),
            json!({"exec": {"command": ["cat", "/ok"]}})
        );
        let both = json!({"exec": {"command": ["x"]}, "httpGet": {"path": "/", "port": 1}});
        assert_eq!(
            serde_json::to_value(probe(&score_probe(both)).unwrap()).unwrap(),
            json!({"exec": {"command": ["x"]}})
        );
    }
}
