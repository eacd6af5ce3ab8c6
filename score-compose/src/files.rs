//! Container `files` → files under the mounts directory, bind-mounted read-only.
//!
//! Every file is one entry of one flat directory, `files/<workload>.<container>.<target>` under
//! the mounts directory ([`mounted_file`]): a tree of a directory per path segment made a
//! first run spend more time in the kernel than in score-rs. The name encodes the target
//! reversibly, so two targets never share a host file (score-compose names them
//! `<workload>-files-<basename>`, and `/a/config` overwrites `/b/config`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use docker_compose_types::{AdvancedVolumes, Volumes};
use score_core::ir::{Container, FileContent};
use score_core::load::Origin;
use score_core::Diagnostic;

use crate::resolve::Resolver;
use crate::{escape, paths, GeneratedFile};

/// Where the files of one workload's containers go.
pub(crate) struct FileCtx<'a> {
    /// Workload name.
    pub workload: &'a str,
    /// Directory `source` paths are relative to.
    pub base_dir: &'a Path,
    /// The mounts directory as the compose file names it (`./.score-rs/mounts`).
    pub mounts_ref: &'a str,
    /// Placeholder substitution for the workload.
    pub resolver: &'a Resolver,
    /// Reads the process environment (for `environment` resources used in files).
    pub getenv: &'a dyn Fn(&str) -> Option<String>,
    /// The Score file, to point diagnostics at the file entry.
    pub origin: Option<&'a Origin>,
}

/// The mounts-relative directory that holds every container's files.
pub(crate) const FILES_DIR: &str = "files";

/// Longest file name most file systems accept, in bytes.
const NAME_MAX: usize = 255;

/// Where container `container` of `workload` gets the file at `target` (a path as
/// [`paths::contained`] returns it), relative to the mounts directory:
/// `files/web.main.etc_nginx_nginx.conf` for `/etc/nginx/nginx.conf`.
///
/// The name is collision-free: the workload and container names (RFC 1123 labels, so
/// normally unchanged) and each path segment are escaped (`%XX` for every byte but ASCII
/// letters, digits, `-` and, within segments, `.`), then joined with `.` after the names and
/// `_` between segments, which no escaped part contains. A name longer than file systems
/// allow ends in `~` and the SHA-256 of the target instead (`~` is escaped everywhere else).
pub(crate) fn mounted_file(workload: &str, container: &str, target: &Path) -> PathBuf {
    let mut name = String::with_capacity(workload.len() + container.len() + 32);
    push_escaped(workload, false, &mut name);
    name.push('.');
    push_escaped(container, false, &mut name);
    name.push('.');
    let prefix = name.len();
    for (i, segment) in target.iter().enumerate() {
        if i > 0 {
            name.push('_');
        }
        push_escaped(&segment.to_string_lossy(), true, &mut name);
    }
    if name.len() > NAME_MAX {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(paths::slash_path(target).as_bytes());
        name.truncate(prefix);
        name.push('~');
        for b in digest {
            push_hex(b, &mut name);
        }
    }
    Path::new(FILES_DIR).join(name)
}

/// `part` with every byte but ASCII letters, digits, `-` (and `.` when `dots`) as `%XX`.
fn push_escaped(part: &str, dots: bool, out: &mut String) {
    for b in part.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || (dots && b == b'.') {
            out.push(char::from(b));
        } else {
            out.push('%');
            push_hex(b, out);
        }
    }
}

fn push_hex(b: u8, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 15)]));
}

/// Lower the files of container `cname`: bind mounts for the service, files to write.
pub(crate) fn lower(
    ctx: &FileCtx<'_>,
    cname: &str,
    container: &Container,
    out_files: &mut Vec<GeneratedFile>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Volumes> {
    let mut mounts = Vec::new();
    let mut seen: BTreeMap<PathBuf, &str> = BTreeMap::new();
    for (target, file) in &container.files {
        let at = format!(
            "workload `{}`, containers.{cname}.files[{target}]",
            ctx.workload
        );
        let here = ["containers", cname, "files", target.as_str()];
        let err = |code: &str, msg: String| {
            let d = Diagnostic::error(format!("score::compose::{code}"), format!("{at}: {msg}"));
            Origin::locate(ctx.origin, d, &here)
        };
        let mut unset = BTreeSet::new();
        let Some(rel) = paths::contained(target) else {
            diags.push(err(
                "file_target",
                "the target must name a file, not `/`".into(),
            ));
            continue;
        };
        if let Some(other) = seen.get(&rel) {
            diags.push(err(
                "file_target",
                format!("the target is the same file as `{other}`"),
            ));
            continue;
        }
        if let Some((other, _)) = seen
            .iter()
            .find(|(p, _)| p.starts_with(&rel) || rel.starts_with(p))
        {
            let other = seen[other];
            diags.push(err(
                "file_target",
                format!("the target and `{other}` cannot both be files (one is inside the other)"),
            ));
            continue;
        }
        seen.insert(rel.clone(), target);
        let mode = file.mode_bits();
        if mode.is_some_and(|m| m > 0o777) {
            diags.push(err(
                "file_mode",
                format!(
                    "mode `{}` is above 0777",
                    file.mode.as_deref().unwrap_or_default()
                ),
            ));
            continue;
        }
        let bytes = match &file.content {
            FileContent::Content(text) if file.no_expand => text.clone().into_bytes(),
            FileContent::Content(text) => {
                match ctx.resolver.file_text(text, ctx.getenv, &mut unset) {
                    Ok(t) => t.into_bytes(),
                    Err(e) => {
                        diags.push(err("placeholder", e));
                        continue;
                    }
                }
            }
            FileContent::BinaryContent(b64) => {
                let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                match base64::engine::general_purpose::STANDARD.decode(compact) {
                    Ok(b) => b,
                    Err(e) => {
                        diags.push(err(
                            "binary_content",
                            format!("`binaryContent` is not valid base64: {e}"),
                        ));
                        continue;
                    }
                }
            }
            FileContent::Source(source) => {
                let path = ctx.base_dir.join(source);
                // The project boundary: inside the Score file's directory, links resolved,
                // a regular file of bounded size.
                let raw = match score_core::boundary::read_inside(ctx.base_dir, source) {
                    Ok(b) => b,
                    Err(e) => {
                        diags.push(
                            err(
                                "file_source",
                                format!("cannot read source `{}`: {e}", path.display()),
                            )
                            .with_help("`source` is relative to the directory of the Score file"),
                        );
                        continue;
                    }
                };
                match String::from_utf8(raw) {
                    // Text sources are expanded like `content`; binary ones are copied as is.
                    Ok(text) if !file.no_expand => {
                        match ctx.resolver.file_text(&text, ctx.getenv, &mut unset) {
                            Ok(t) => t.into_bytes(),
                            Err(e) => {
                                diags.push(err("placeholder", format!("in `{source}`: {e}")));
                                continue;
                            }
                        }
                    }
                    Ok(text) => text.into_bytes(),
                    Err(e) => e.into_bytes(),
                }
            }
        };
        for key in &unset {
            let d = Diagnostic::warning(
                "score::compose::unset_environment",
                format!("{at}: environment variable `{key}` is not set; it is blank in the file, as compose does for unset variables"),
            )
            .with_help(format!("set `{key}` before running `score-rs generate`"));
            diags.push(Origin::locate(ctx.origin, d, &here));
        }
        let path = mounted_file(ctx.workload, cname, &rel);
        mounts.push(Volumes::Advanced(AdvancedVolumes {
            // Compose interpolates both: a `$` in a path is doubled.
            source: Some(escape::dollars(&format!(
                "{}/{}",
                ctx.mounts_ref,
                paths::slash_path(&path)
            ))),
            target: escape::dollars(target),
            _type: "bind".into(),
            read_only: true,
            bind: None,
            volume: None,
            tmpfs: None,
        }));
        out_files.push(GeneratedFile { path, bytes, mode });
    }
    mounts
}

#[cfg(test)]
mod tests {
    use super::*;
    use score_core::ir::File;
    use score_core::provision::{Resolved, ResolvedWorkload};
    use serde_json::json;

    fn resolved() -> Resolved {
        let workload = serde_json::from_value(json!({
            "apiVersion": "score.dev/v1b1",
            "metadata": {"name": "web"},
            "containers": {"main": {"image": "nginx"}}
        }))
        .unwrap();
        let mut r = Resolved::default();
        r.workloads.insert(
            "web".into(),
            ResolvedWorkload {
                workload,
                base_dir: ".".into(),
                resources: Default::default(),
                origin: None,
            },
        );
        r
    }

    fn container(files: &[(&str, File)]) -> Container {
        let mut c: Container = serde_json::from_value(json!({"image": "nginx"})).unwrap();
        c.files = files
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        c
    }

    fn file(content: FileContent, mode: Option<&str>, no_expand: bool) -> File {
        File {
            mode: mode.map(Into::into),
            content,
            no_expand,
        }
    }

    fn run(c: &Container, base: &Path) -> (Vec<Volumes>, Vec<GeneratedFile>, Vec<Diagnostic>) {
        let r = resolved();
        let resolver = Resolver::new(&r, "web");
        let getenv = |_: &str| None;
        let ctx = FileCtx {
            workload: "web",
            base_dir: base,
            mounts_ref: "./.score-rs/mounts",
            resolver: &resolver,
            getenv: &getenv,
            origin: None,
        };
        let (mut files, mut diags) = (Vec::new(), Vec::new());
        let mounts = lower(&ctx, "main", c, &mut files, &mut diags);
        (mounts, files, diags)
    }

    #[test]
    fn same_basename_in_two_directories_does_not_collide() {
        let c = container(&[
            (
                "/a/config",
                file(
                    FileContent::Content("A ${metadata.name}".into()),
                    Some("0600"),
                    false,
                ),
            ),
            (
                "/b/config",
                file(FileContent::Content("B $${x}".into()), None, true),
            ),
            (
                "/bin/tool",
                file(
                    FileContent::BinaryContent("aGVs\nbG8=".into()),
                    Some("0755"),
                    false,
                ),
            ),
        ]);
        let (mounts, files, diags) = run(&c, Path::new("."));
        assert!(diags.is_empty(), "{diags:?}");
        let paths: Vec<_> = files.iter().map(|f| paths::slash_path(&f.path)).collect();
        assert_eq!(
            paths,
            [
                "files/web.main.a_config",
                "files/web.main.b_config",
                "files/web.main.bin_tool"
            ]
        );
        assert_eq!(files[0].bytes, b"A web");
        assert_eq!(files[0].mode, Some(0o600));
        assert_eq!(files[1].bytes, b"B $${x}");
        assert_eq!(files[2].bytes, b"hello");
        assert_eq!(files[2].mode, Some(0o755));
        let Volumes::Advanced(m) = &mounts[0] else {
            panic!()
        };
        assert_eq!(
            m.source.as_deref(),
            Some("./.score-rs/mounts/files/web.main.a_config")
        );
        assert!(m.read_only);
        assert_eq!(m._type, "bind");
    }

    fn flat(workload: &str, container: &str, target: &str) -> String {
        let rel = paths::contained(target).unwrap();
        paths::slash_path(&mounted_file(workload, container, &rel))
    }

    #[test]
    fn mounted_file_names_are_flat_readable_and_collision_free() {
        assert_eq!(
            flat("web", "main", "/etc/nginx/nginx.conf"),
            "files/web.main.etc_nginx_nginx.conf"
        );
        assert_eq!(
            flat("web", "main", "/opt/my_app/a b%.txt"),
            "files/web.main.opt_my%5Fapp_a%20b%25.txt"
        );
        assert_eq!(flat("web", "main", "/über"), "files/web.main.%C3%BCber");
        // Names and paths that a plain `-` or `_` join would confuse stay apart.
        let names = [
            flat("a-b", "c", "/x"),
            flat("a", "b-c", "/x"),
            flat("a", "b", "/c_x"),
            flat("a", "b", "/c/x"),
            flat("a", "b", "/c.x"),
            flat("a.b", "c", "/x"),
            flat("a", "b.c", "/x"),
        ];
        let unique: std::collections::HashSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        assert!(
            names.iter().all(|n| n.matches('/').count() == 1),
            "{names:?}"
        );
    }

    #[test]
    fn a_name_too_long_for_the_file_system_ends_in_a_hash() {
        let deep = format!(
            "/{}",
            ["segment-of-forty-characters-0123456789ab"; 8].join("/")
        );
        let name = flat("web", "main", &deep);
        let file_name = name.strip_prefix("files/web.main.~").unwrap();
        assert_eq!(file_name.len(), 64);
        assert!(file_name.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(name, flat("web", "main", &format!("{deep}x")));
        // Just under the limit, the name is still the readable one.
        let fits = format!("/{}", "x".repeat(NAME_MAX - "web.main.".len()));
        assert_eq!(flat("web", "main", &fits).len(), "files/".len() + NAME_MAX);
    }

    #[test]
    fn sources_are_read_relative_to_the_score_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.txt"), "I am ${metadata.name}").unwrap();
        std::fs::write(dir.path().join("b.bin"), [0xff, 0x00]).unwrap();
        let c = container(&[
            (
                "/t.txt",
                file(FileContent::Source("t.txt".into()), None, false),
            ),
            (
                "/b.bin",
                file(FileContent::Source("b.bin".into()), None, false),
            ),
            (
                "/missing",
                file(FileContent::Source("missing.txt".into()), None, false),
            ),
        ]);
        let (_, files, diags) = run(&c, dir.path());
        assert_eq!(files.len(), 2);
        assert_eq!(
            files
                .iter()
                .find(|f| f.path == Path::new("files/web.main.t.txt"))
                .unwrap()
                .bytes,
            b"I am web"
        );
        assert_eq!(
            files
                .iter()
                .find(|f| f.path == Path::new("files/web.main.b.bin"))
                .unwrap()
                .bytes,
            [0xff, 0x00]
        );
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, "score::compose::file_source");
        assert!(diags[0].message.contains("missing.txt"));
    }

    #[test]
    fn bad_files_are_reported() {
        let c = container(&[
            ("/x", file(FileContent::Content("x".into()), None, false)),
            ("/x/y", file(FileContent::Content("y".into()), None, false)),
            (
                "/z",
                file(FileContent::BinaryContent("!!".into()), None, false),
            ),
            (
                "/m",
                file(FileContent::Content("m".into()), Some("1777"), false),
            ),
            (
                "/p",
                file(
                    FileContent::Content("${resources.nope.x}".into()),
                    None,
                    false,
                ),
            ),
        ]);
        let (_, files, diags) = run(&c, Path::new("."));
        assert_eq!(files.len(), 1);
        let codes: Vec<_> = diags.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "score::compose::file_mode",
                "score::compose::placeholder",
                "score::compose::file_target",
                "score::compose::binary_content"
            ]
        );
    }
}
