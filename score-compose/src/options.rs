//! Parsing of the `--publish` and `--build` flag values.

use std::path::Path;

use docker_compose_types::{AdvancedBuildStep, BuildStep};
use score_core::Diagnostic;

use crate::paths;

/// `--publish [IP:]HOST:<workload|resource-uid>:PORT[/udp]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Publish {
    /// The flag as given (for messages).
    pub raw: String,
    /// `HOST` or `IP:HOST`.
    pub host: String,
    /// A workload name, or a resource UID (`type.class#id`).
    pub target: String,
    /// A container port number, or a named service port of the workload.
    pub port: String,
    /// `udp` or `tcp` when given.
    pub protocol: Option<String>,
}

impl Publish {
    /// Parse one flag value.
    pub(crate) fn parse(raw: &str) -> Result<Publish, Diagnostic> {
        let bad = |why: &str| {
            Diagnostic::error("score::compose::publish", format!("invalid --publish `{raw}`: {why}"))
                .with_help("use HOST_PORT:<workload>:PORT (PORT is a container port or a service port name), or HOST_PORT:<resource-uid>:PORT")
        };
        let mut parts: Vec<&str> = raw.rsplitn(3, ':').collect();
        parts.reverse();
        let [host, target, port] = parts.as_slice() else {
            return Err(bad("expected three `:`-separated parts"));
        };
        let (port, protocol) = match port.split_once('/') {
            Some((p, proto))
                if proto.eq_ignore_ascii_case("udp") || proto.eq_ignore_ascii_case("tcp") =>
            {
                (p, Some(proto.to_ascii_lowercase()))
            }
            Some(_) => return Err(bad("the protocol must be `tcp` or `udp`")),
            None => (*port, None),
        };
        let host_port = host.rsplit(':').next().unwrap_or(host);
        if host_port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(bad("the host port must be a number from 1 to 65535"));
        }
        if target.is_empty() || port.is_empty() {
            return Err(bad("the target and the port must not be empty"));
        }
        Ok(Publish {
            raw: raw.into(),
            host: host.to_string(),
            target: target.to_string(),
            port: port.to_string(),
            protocol,
        })
    }

    /// `HOST:PORT[/proto]` for compose's `ports` list, with the resolved container port.
    pub(crate) fn compose_port(&self, container_port: u16, protocol: Option<&str>) -> String {
        match self.protocol.as_deref().or(protocol) {
            Some("udp") => format!("{}:{container_port}/udp", self.host),
            _ => format!("{}:{container_port}", self.host),
        }
    }
}

/// `--build <container>=<context>` or `<workload>.<container>=<context>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Build {
    /// The flag as given.
    pub raw: String,
    /// The workload, when named.
    pub workload: Option<String>,
    /// The container.
    pub container: String,
    /// The build step (context relative to the compose file).
    pub step: BuildStep,
}

impl Build {
    /// Parse one flag value; relative contexts are taken from the current directory and made
    /// relative to `compose_dir`. The value may also be a JSON object of compose build options
    /// (`{"context": "api", "dockerfile": "Dockerfile.dev"}`).
    pub(crate) fn parse(raw: &str, compose_dir: &Path) -> Result<Build, Diagnostic> {
        let bad = |why: String| {
            Diagnostic::error(
                "score::compose::build",
                format!("invalid --build `{raw}`: {why}"),
            )
            .with_help("use <container>=<directory> or <workload>.<container>=<directory>")
        };
        let (name, value) = raw
            .split_once('=')
            .ok_or_else(|| bad("expected `=`".into()))?;
        let (workload, container) = match name.split_once('.') {
            Some((w, c)) => (Some(w.to_string()), c.to_string()),
            None => (None, name.to_string()),
        };
        if container.is_empty() || workload.as_deref() == Some("") {
            return Err(bad("the container name is empty".into()));
        }
        let step = if value.trim_start().starts_with('{') {
            let mut step: AdvancedBuildStep = serde_json::from_str(value)
                .map_err(|e| bad(format!("invalid JSON build options: {e}")))?;
            step.context = context(&step.context, compose_dir);
            BuildStep::Advanced(step)
        } else if value.is_empty() {
            return Err(bad("the build context is empty".into()));
        } else {
            BuildStep::Simple(context(value, compose_dir))
        };
        Ok(Build {
            raw: raw.into(),
            workload,
            container,
            step,
        })
    }
}

/// A build context as the compose file must name it: URLs as is, directories relative to it.
fn context(ctx: &str, compose_dir: &Path) -> String {
    if ctx.contains("://") || ctx.starts_with("git@") {
        ctx.to_string()
    } else {
        paths::for_compose(Path::new(ctx), compose_dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_flags() {
        let p = Publish::parse("8080:web:80").unwrap();
        assert_eq!(
            (p.host.as_str(), p.target.as_str(), p.port.as_str()),
            ("8080", "web", "80")
        );
        assert_eq!(p.compose_port(80, None), "8080:80");
        let p = Publish::parse("127.0.0.1:5432:postgres.default#web.db:5432").unwrap();
        assert_eq!(p.host, "127.0.0.1:5432");
        assert_eq!(p.target, "postgres.default#web.db");
        let p = Publish::parse("5353:dns:53/udp").unwrap();
        assert_eq!(p.compose_port(53, None), "5353:53/udp");
        assert_eq!(Publish::parse("8080:web:http").unwrap().port, "http");
        for bad in [
            "8080",
            "8080:web",
            "x:web:80",
            "0:web:80",
            "8080::80",
            "8080:web:80/sctp",
        ] {
            assert!(Publish::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn build_flags() {
        let cwd = std::env::current_dir().unwrap();
        let b = Build::parse("main=.", &cwd).unwrap();
        assert_eq!(
            (b.workload, b.container.as_str(), b.step),
            (None, "main", BuildStep::Simple(".".into()))
        );
        let b = Build::parse("web.main=./src", &cwd).unwrap();
        assert_eq!(b.workload.as_deref(), Some("web"));
        assert_eq!(b.step, BuildStep::Simple("./src".into()));
        let b = Build::parse("main=src", &cwd.join("out")).unwrap();
        assert_eq!(b.step, BuildStep::Simple("../src".into()));
        let b = Build::parse(
            r#"main={"context":"api","dockerfile":"Dockerfile.dev"}"#,
            &cwd,
        )
        .unwrap();
        let BuildStep::Advanced(a) = b.step else {
            panic!()
        };
        assert_eq!(
            (a.context.as_str(), a.dockerfile.as_deref()),
            ("./api", Some("Dockerfile.dev"))
        );
        assert_eq!(
            Build::parse("m=https://github.com/a/b.git", &cwd)
                .unwrap()
                .step,
            BuildStep::Simple("https://github.com/a/b.git".into())
        );
        for bad in ["main", "=.", "main=", ".main=x", "main={bad"] {
            assert!(Build::parse(bad, &cwd).is_err(), "{bad}");
        }
    }
}
