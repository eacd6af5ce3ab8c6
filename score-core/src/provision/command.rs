//! Running a `cmd://` provisioner: inputs as JSON on stdin, results as JSON on stdout.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::file::Provisioner;
use super::{Outcome, RunInputs};
use crate::diagnostic::Diagnostic;

/// Most bytes read from a provisioner's stdout or stderr.
const MAX_OUTPUT: u64 = 16 * 1024 * 1024;

/// Run `program args…` for one resource.
pub(crate) fn run(
    p: &Provisioner,
    program: &str,
    args: &[String],
    timeout: Duration,
    inputs: &RunInputs,
    artifact_keys: &[String],
) -> Result<Outcome, Box<Diagnostic>> {
    let mut request = (*inputs.vars).clone();
    request.extend(inputs.context.clone());
    request.insert("resource_state".into(), Value::Object(inputs.state.clone()));
    request.insert("shared_state".into(), Value::Object(inputs.shared.clone()));
    let stdin = serde_json::to_vec(&request)
        .map_err(|e| fail(p, format!("cannot encode the request: {e}"), ""))?;
    let (status, stdout, stderr) =
        spawn(program, args, &stdin, timeout).map_err(|msg| fail(p, msg, ""))?;
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
    let Value::Object(mut response) = response else {
        return Err(fail(
            p,
            "the provisioner must print a JSON object".into(),
            &stderr,
        ));
    };
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

/// Spawn with piped stdio, feed stdin, and wait at most `timeout`.
fn spawn(
    program: &str,
    args: &[String],
    stdin: &[u8],
    timeout: Duration,
) -> Result<(std::process::ExitStatus, Vec<u8>, String), String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    let mut input = child.stdin.take().ok_or("no stdin")?;
    let data = stdin.to_vec();
    // Writer and readers on threads so that a provisioner that fills a pipe cannot deadlock us.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let mut out = child.stdout.take().ok_or("no stdout")?;
    let mut err = child.stderr.take().ok_or("no stderr")?;
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut out).take(MAX_OUTPUT).read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut err).take(MAX_OUTPUT).read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the provisioner did not finish within {}s and was stopped",
                    timeout.as_secs()
                ));
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let _ = writer.join();
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Ok((status, stdout, stderr))
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
