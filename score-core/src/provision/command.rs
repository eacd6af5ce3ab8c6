//! Running a `cmd://` provisioner: inputs as JSON on stdin, results as JSON on stdout.
//!
//! The program and the JSON follow score-compose and score-k8s, so their command provisioners
//! run unchanged: `cmd://python3#dotenv` runs `python3` from the `PATH` (the `#fragment` only
//! names the entry), `cmd://~/bin/x` a program in the home directory, `cmd://./x` and
//! `cmd://../x` one relative to the working directory, `cmd:///usr/bin/x` an absolute path.
//! The request carries the reference field names (`resource_uid`, `resource_params`,
//! `workload_services`, …) and, as before, ours (`uid`, `params`, …); the answer may use
//! either's names for the target keys (`compose_services` or `services`, …).
//!
//! The program runs in a process group of its own. When it exits, or runs past its timeout,
//! the whole group is killed: a child it left in the background (`sleep 30 &`) would otherwise
//! hold its output pipe open and keep the run waiting.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::file::Provisioner;
use super::gotemplate::data::workload_services_json;
use super::{Outcome, RunInputs};
use crate::diagnostic::Diagnostic;

/// Most bytes read from a provisioner's stdout or stderr.
const MAX_OUTPUT: u64 = 16 * 1024 * 1024;

/// Answer keys of the reference tools and the target keys they stand for.
const REFERENCE_KEYS: &[(&str, &str)] = &[
    ("compose_services", "services"),
    ("compose_volumes", "volumes"),
    ("compose_networks", "networks"),
    ("relative_file_contents", "files"),
];

/// Run `program args…` for one resource.
pub(crate) fn run(
    p: &Provisioner,
    program: &str,
    args: &[String],
    timeout: Duration,
    inputs: &RunInputs,
    artifact_keys: &[String],
) -> Result<Outcome, Box<Diagnostic>> {
    let program = resolve_program(program).map_err(|msg| fail(p, msg, ""))?;
    let stdin = serde_json::to_vec(&request(inputs))
        .map_err(|e| fail(p, format!("cannot encode the request: {e}"), ""))?;
    let (status, stdout, stderr) =
        spawn(&program, args, &stdin, timeout).map_err(|msg| fail(p, msg, ""))?;
    if !status.success() {
        let code = status
            .code()
            .map_or("a signal".to_string(), |c| format!("exit code {c}"));
        return Err(fail(
            p,
            format!("the provisioner failed with {code}"),
            &stderr,
        ));
    }
    let response: Value = serde_json::from_slice(&stdout).map_err(|e| {
        let shown = String::from_utf8_lossy(&stdout[..stdout.len().min(200)]).into_owned();
        fail(
            p,
            format!("the provisioner did not print valid JSON ({e}); it printed: {shown:?}"),
            &stderr,
        )
    })?;
    let Value::Object(response) = response else {
        return Err(fail(
            p,
            "the provisioner must print a JSON object".into(),
            &stderr,
        ));
    };
    outcome(p, response, inputs, artifact_keys)
}

/// What the program receives: the reference tools' fields, then ours (which do not clash).
fn request(inputs: &RunInputs) -> Map<String, Value> {
    let mut request = (*inputs.vars).clone();
    request.extend(inputs.context.clone());
    let ctx = |k: &str| inputs.context.get(k).cloned().unwrap_or(Value::Null);
    let uid = ctx("uid");
    let id = uid
        .as_str()
        .and_then(|u| u.split_once('#'))
        .map_or(Value::Null, |(_, id)| id.into());
    let object = |v: Value| {
        if v.is_object() {
            v
        } else {
            Value::Object(Map::new())
        }
    };
    for (k, v) in [
        ("resource_guid", ctx("guid")),
        ("resource_uid", uid),
        ("resource_type", ctx("type")),
        ("resource_class", ctx("class")),
        ("resource_id", id),
        ("resource_params", object(ctx("params"))),
        ("resource_metadata", object(ctx("metadata"))),
        ("resource_state", Value::Object(inputs.state.clone())),
        ("shared_state", Value::Object(inputs.shared.clone())),
    ] {
        request.insert(k.into(), v);
    }
    if let Some(ws) = inputs.vars.get("workload_services") {
        request.insert("workload_services".into(), merged_services(ws));
    }
    // Reference names of target vars: compose's project and mounts directory; k8s's namespace
    // (a string there, empty when none is set).
    if let Some(v) = inputs.vars.get("project") {
        request.insert("compose_project_name".into(), v.clone());
    }
    if let Some(v) = inputs.vars.get("mounts_dir") {
        request.insert("mount_directory_path".into(), v.clone());
    }
    if let Some(v) = inputs.vars.get("namespace") {
        let ns = v.as_str().unwrap_or("");
        request.insert("namespace".into(), ns.into());
    }
    request
}

/// Each workload service in both shapes: the reference's (`ServiceName`, ports with `name`,
/// `target_port`, also keyed by port number) and ours (`hostname`/`service_name`, `targetPort`).
fn merged_services(ours: &Value) -> Value {
    let mut reference = workload_services_json(ours);
    if let (Some(refs), Some(ours)) = (reference.as_object_mut(), ours.as_object()) {
        for (name, w) in refs.iter_mut() {
            let (Some(w), Some(mine)) =
                (w.as_object_mut(), ours.get(name).and_then(Value::as_object))
            else {
                continue;
            };
            for (k, v) in mine {
                if k != "ports" {
                    w.insert(k.clone(), v.clone());
                }
            }
            let my_ports = mine.get("ports").and_then(Value::as_object);
            if let Some(ports) = w.get_mut("ports").and_then(Value::as_object_mut) {
                for port in ports.values_mut() {
                    let name = port
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    if let (Some(port), Some(mine)) = (
                        port.as_object_mut(),
                        my_ports
                            .and_then(|m| m.get(&name))
                            .and_then(Value::as_object),
                    ) {
                        for (k, v) in mine {
                            port.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                    }
                }
            }
        }
    }
    reference
}

/// The run's outcome from the program's answer.
fn outcome(
    p: &Provisioner,
    mut response: Map<String, Value>,
    inputs: &RunInputs,
    artifact_keys: &[String],
) -> Result<Outcome, Box<Diagnostic>> {
    for (reference, ours) in REFERENCE_KEYS {
        if let Some(v) = response.remove(*reference) {
            response.entry(*ours).or_insert(v);
        }
    }
    let mut take_map = |key: &str| -> Result<Option<Map<String, Value>>, Box<Diagnostic>> {
        match response.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(fail(
                p,
                format!("`{key}` in the provisioner's answer must be an object"),
                "",
            )),
        }
    };
    let outputs = take_map("resource_outputs")?.unwrap_or_default();
    let state = take_map("resource_state")?.unwrap_or_else(|| inputs.state.clone());
    let shared = take_map("shared_state")?.unwrap_or_default();
    let secret_outputs = match response.remove("secret_outputs") {
        Some(Value::Array(xs)) => xs
            .into_iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let artifacts = artifact_keys
        .iter()
        .filter_map(|k| response.remove(k).map(|v| (k.clone(), v)))
        .collect();
    Ok(Outcome {
        state,
        shared,
        outputs,
        artifacts,
        extra_secret_outputs: secret_outputs,
    })
}

/// The program a `cmd://` URI names (without the `cmd://`), as the reference tools find it.
fn resolve_program(uri_rest: &str) -> Result<PathBuf, String> {
    // The fragment only names the entry (`cmd://bash#dns-in-codespace`).
    let target = uri_rest.split('#').next().unwrap_or("");
    if target.contains('?') {
        return Err(format!(
            "`cmd://{uri_rest}`: a command provisioner URI cannot have a query"
        ));
    }
    let (host, path) = match target.find('/') {
        Some(i) => (&target[..i], &target[i + 1..]),
        None => (target, ""),
    };
    let base = match host {
        "" => PathBuf::from("/"),
        "~" => PathBuf::from(
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .ok_or("cannot resolve `~`: HOME is not set")?,
        ),
        "." => std::env::current_dir().map_err(|e| format!("cannot resolve `.`: {e}"))?,
        ".." => std::env::current_dir()
            .map_err(|e| format!("cannot resolve `..`: {e}"))?
            .parent()
            .map(PathBuf::from)
            .ok_or("cannot resolve `..`: the working directory has no parent")?,
        name if path.is_empty() => return Ok(PathBuf::from(name)),
        name => {
            return Err(format!(
                "`cmd://{uri_rest}`: `{name}` is looked up on the PATH, so it cannot be followed by a path; write `cmd://./{name}/{path}` for a relative path"
            ))
        }
    };
    if host.is_empty() && path.is_empty() {
        return Err("`cmd://` names no program".into());
    }
    Ok(base.join(path))
}

/// Spawn with piped stdio in a process group of its own, feed stdin, and wait at most
/// `timeout`; then end whatever is left of the group.
fn spawn(
    program: &std::path::Path,
    args: &[String],
    stdin: &[u8],
    timeout: Duration,
) -> Result<(std::process::ExitStatus, Vec<u8>, String), String> {
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run `{}`: {e}", program.display()))?;
    let mut input = child.stdin.take().ok_or("no stdin")?;
    let data = stdin.to_vec();
    // Writer and readers on threads so that a provisioner that fills a pipe cannot deadlock us.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out_reader = reader(child.stdout.take().ok_or("no stdout")?);
    let err_reader = reader(child.stderr.take().ok_or("no stderr")?);
    let start = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if start.elapsed() > timeout => {
                kill_group(&mut child);
                let _ = child.wait();
                return Err(format!(
                    "the provisioner did not finish within {}s and was stopped",
                    timeout.as_secs()
                ));
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    // Whatever the program left running would hold the pipes open: end it, then read what
    // was written (still in the pipes).
    kill_group(&mut child);
    let _ = writer.join();
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    Ok((status, stdout, stderr))
}

fn reader(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut pipe).take(MAX_OUTPUT).read_to_end(&mut buf);
        buf
    })
}

/// Kill the child's process group (the child and everything it started that stayed in it).
fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    {
        if let Ok(pgid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: `kill` has no memory effects; a negative pid addresses the process group
            // the child leads (it was spawned with `process_group(0)`), so only it and its
            // descendants that stayed in the group are signalled.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
    let _ = child.kill();
}

fn fail(p: &Provisioner, msg: String, stderr: &str) -> Box<Diagnostic> {
    let mut d = Diagnostic::error(
        "score::provisioner::command",
        format!("provisioner `{}`: {msg}", p.uri),
    )
    .with_label(&p.file, p.span, "this provisioner");
    let stderr = stderr.trim();
    if !stderr.is_empty() {
        let tail: Vec<&str> = stderr.lines().rev().take(10).collect();
        d = d.with_help(format!(
            "its stderr:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    Box::new(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_resolve_as_the_reference_tools_do() {
        assert_eq!(
            resolve_program("python3#dotenv").unwrap(),
            PathBuf::from("python3")
        );
        assert_eq!(resolve_program("bash").unwrap(), PathBuf::from("bash"));
        assert_eq!(
            resolve_program("/usr/bin/env").unwrap(),
            PathBuf::from("/usr/bin/env")
        );
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(resolve_program("./bin/x#frag").unwrap(), cwd.join("bin/x"));
        assert_eq!(
            resolve_program("../x").unwrap(),
            cwd.parent().unwrap().join("x")
        );
        if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            assert_eq!(
                resolve_program("~/bin/p").unwrap(),
                PathBuf::from(home).join("bin/p")
            );
        }
        assert!(resolve_program("bash/extra").unwrap_err().contains("PATH"));
        assert!(resolve_program("x?y=1").is_err());
        assert!(resolve_program("").is_err());
    }

    #[test]
    fn requests_carry_reference_and_own_names() {
        let mut vars = Map::new();
        vars.insert("namespace".into(), Value::Null);
        vars.insert(
            "workload_services".into(),
            serde_json::json!({"web": {"hostname": "web-main", "ports": {"http": {"port": 80, "targetPort": 8080, "protocol": "TCP"}}}}),
        );
        let mut context = Map::new();
        for (k, v) in [
            ("uid", "redis.default#web.cache"),
            ("guid", "g"),
            ("type", "redis"),
            ("class", "default"),
        ] {
            context.insert(k.into(), v.into());
        }
        let inputs = RunInputs {
            context,
            vars: std::sync::Arc::new(vars),
            ..RunInputs::default()
        };
        let r = request(&inputs);
        assert_eq!(r["resource_uid"], "redis.default#web.cache");
        assert_eq!(r["resource_id"], "web.cache");
        assert_eq!(r["uid"], "redis.default#web.cache");
        assert_eq!(r["resource_params"], serde_json::json!({}));
        assert_eq!(r["namespace"], "");
        let web = &r["workload_services"]["web"];
        assert_eq!(web["ServiceName"], "web-main");
        assert_eq!(web["hostname"], "web-main");
        assert_eq!(web["ports"]["http"]["target_port"], 8080);
        assert_eq!(web["ports"]["http"]["targetPort"], 8080);
        assert_eq!(web["ports"]["80"]["name"], "http");
    }
}
