//! Score probes → the compose `healthcheck`.
//!
//! Compose has a single health check per service and never restarts a container because it is
//! unhealthy, so the `readinessProbe` is used when present, else the `livenessProbe` (a warning
//! says so when both exist and differ).
//!
//! * `exec` → `test: [CMD, <command>...]`.
//! * `httpGet` → compose has no HTTP check of its own: the check runs *inside* the container.
//!   We emit `CMD-SHELL` that tries `wget`, then `curl`, and always add a warning, because
//!   whether the image ships `/bin/sh` and one of those tools cannot be known at generate time.
//!   Dropping the probe instead (as `score-compose` does) would silently break `before:
//!   {ready: healthy}` and `service_healthy` dependencies; a check that may fail is visible and
//!   easy to fix (add the tool to the image, or use an `exec` probe).

use docker_compose_types::{Healthcheck, HealthcheckTest};
use score_core::ir::{HttpProbe, Probe};
use score_core::Diagnostic;

use crate::escape;

const INTERVAL: &str = "5s";
const TIMEOUT: &str = "5s";
const RETRIES: i64 = 3;

/// The health check for a container, with any warnings. `where_` names the container in
/// messages (`workload `web`, container `main``).
pub(crate) fn healthcheck(
    readiness: Option<&Probe>,
    liveness: Option<&Probe>,
    where_: &str,
    warnings: &mut Vec<Diagnostic>,
) -> Option<Healthcheck> {
    let (probe, field) = match (readiness, liveness) {
        (Some(r), Some(l)) => {
            if r != l {
                warnings.push(
                    Diagnostic::warning(
                        "score::compose::liveness_probe_ignored",
                        format!("{where_}: compose runs one health check per service; the readinessProbe is used and the livenessProbe ignored"),
                    )
                    .with_help("compose never restarts unhealthy containers, so a liveness probe has no compose equivalent"),
                );
            }
            (r, "readinessProbe")
        }
        (Some(r), None) => (r, "readinessProbe"),
        (None, Some(l)) => (l, "livenessProbe"),
        (None, None) => return None,
    };
    let test = if let Some(exec) = &probe.exec {
        let mut test = vec!["CMD".to_string()];
        test.extend(exec.command.iter().map(|a| escape::command_arg(a)));
        test
    } else if let Some(http) = &probe.http_get {
        warnings.push(
            Diagnostic::warning(
                "score::compose::http_probe",
                format!(
                    "{where_}: the {field} `httpGet` becomes a health check that runs `wget` or `curl` inside the container"
                ),
            )
            .with_help("the image needs `/bin/sh` and `wget` or `curl`, otherwise the service is reported unhealthy; an `exec` probe avoids the assumption"),
        );
        vec![
            "CMD-SHELL".to_string(),
            escape::dollars(&http_command(http)),
        ]
    } else {
        return None;
    };
    Some(Healthcheck {
        test: Some(HealthcheckTest::Multiple(test)),
        interval: Some(INTERVAL.into()),
        timeout: Some(TIMEOUT.into()),
        retries: RETRIES,
        start_period: None,
        start_interval: None,
        disable: false,
    })
}

/// The shell command of an HTTP probe: `wget`, falling back to `curl`; exit status 0 or 1.
fn http_command(h: &HttpProbe) -> String {
    let https = h
        .scheme
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("https"));
    let scheme = if https { "https" } else { "http" };
    let host = h
        .host
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or("localhost");
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let path = if h.path.starts_with('/') {
        h.path.clone()
    } else {
        format!("/{}", h.path)
    };
    let url = shell_quote(&format!("{scheme}://{host}:{}{path}", h.port));
    let mut wget = vec!["wget -q -O /dev/null".to_string()];
    let mut curl = vec!["curl -fsS -o /dev/null".to_string()];
    if https {
        wget.push("--no-check-certificate".into());
        curl.push("-k".into());
    }
    for header in &h.http_headers {
        let hv = shell_quote(&format!("{}: {}", header.name, header.value));
        wget.push(format!("--header {hv}"));
        curl.push(format!("-H {hv}"));
    }
    wget.push(url.clone());
    curl.push(url);
    format!("{} || {} || exit 1", wget.join(" "), curl.join(" "))
}

/// POSIX single-quoting.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use score_core::ir::{ExecProbe, HttpHeader};

    fn http(path: &str) -> Probe {
        Probe {
            http_get: Some(HttpProbe {
                scheme: None,
                host: None,
                path: path.into(),
                port: 8080,
                http_headers: vec![],
            }),
            exec: None,
        }
    }

    fn test_of(h: &Healthcheck) -> Vec<String> {
        match h.test.clone().unwrap() {
            HealthcheckTest::Multiple(v) => v,
            HealthcheckTest::Single(s) => vec![s],
        }
    }

    #[test]
    fn exec_probe() {
        let p = Probe {
            http_get: None,
            exec: Some(ExecProbe {
                command: vec!["pg_isready".into(), "-U".into(), "$$USER".into()],
            }),
        };
        let mut w = Vec::new();
        let h = healthcheck(Some(&p), None, "c", &mut w).unwrap();
        assert_eq!(test_of(&h), ["CMD", "pg_isready", "-U", "$$USER"]);
        assert!(w.is_empty());
    }

    #[test]
    fn http_probe_warns_and_uses_wget_or_curl() {
        let mut w = Vec::new();
        let h = healthcheck(None, Some(&http("/healthz")), "c", &mut w).unwrap();
        assert_eq!(
            test_of(&h),
            [
                "CMD-SHELL",
                "wget -q -O /dev/null 'http://localhost:8080/healthz' || curl -fsS -o /dev/null 'http://localhost:8080/healthz' || exit 1"
            ]
        );
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].code, "score::compose::http_probe");
    }

    #[test]
    fn http_probe_details() {
        let p = Probe {
            http_get: Some(HttpProbe {
                scheme: Some("HTTPS".into()),
                host: Some("127.0.0.1".into()),
                path: "ready?x=$a'b".into(),
                port: 443,
                http_headers: vec![HttpHeader {
                    name: "X-Probe".into(),
                    value: "1".into(),
                }],
            }),
            exec: None,
        };
        let mut w = Vec::new();
        let h = healthcheck(Some(&p), None, "c", &mut w).unwrap();
        let cmd = &test_of(&h)[1];
        assert!(cmd.starts_with("wget -q -O /dev/null --no-check-certificate --header 'X-Probe: 1' 'https://127.0.0.1:443/ready?x=$$a'\\''b'"), "{cmd}");
        assert!(
            cmd.contains("curl -fsS -o /dev/null -k -H 'X-Probe: 1'"),
            "{cmd}"
        );
    }

    #[test]
    fn readiness_wins_and_differences_are_reported() {
        let mut w = Vec::new();
        let h = healthcheck(Some(&http("/ready")), Some(&http("/live")), "c", &mut w).unwrap();
        assert!(test_of(&h)[1].contains("/ready"));
        assert!(w
            .iter()
            .any(|d| d.code == "score::compose::liveness_probe_ignored"));
        let mut w = Vec::new();
        healthcheck(Some(&http("/x")), Some(&http("/x")), "c", &mut w).unwrap();
        assert!(!w
            .iter()
            .any(|d| d.code == "score::compose::liveness_probe_ignored"));
        assert!(healthcheck(None, None, "c", &mut w).is_none());
    }
}
