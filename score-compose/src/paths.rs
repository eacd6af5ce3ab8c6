//! Path arithmetic: where generated files live and how compose refers to them.
//!
//! Compose resolves relative bind-mount sources, `env_file`s and build contexts against the
//! directory of the compose file, so every host path we emit is made relative to
//! [`crate::Options::compose_dir`]. Everything here is lexical: the directories may not exist yet.

use std::path::{Component, Path, PathBuf};

/// `p` made absolute (against the current directory) with `.` and `..` resolved lexically.
pub(crate) fn absolute(p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(p)
    };
    normalize(&joined)
}

/// Resolve `.` and `..` without touching the file system (`..` at the root stays at the root).
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` relative to `base` (both absolute and normalised), using `..` where needed.
pub(crate) fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let p: Vec<Component> = path.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// How the compose file (in `compose_dir`) refers to `path`: `./a/b`, `../a/b` or `.`, always
/// with `/` separators.
pub(crate) fn for_compose(path: &Path, compose_dir: &Path) -> String {
    let rel = relative_to(&absolute(path), &absolute(compose_dir));
    let text = slash_path(&rel);
    if text.is_empty() {
        ".".to_string()
    } else if text.starts_with("../") || text == ".." {
        text
    } else {
        format!("./{text}")
    }
}

/// A relative path written with `/` separators, whatever the platform.
pub(crate) fn slash_path(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// A container target path (`/etc/app/config.yaml`) as a relative path that stays inside the
/// directory it is joined to: the root is dropped, `.` skipped and `..` resolved, never above
/// the start. `None` when nothing is left (e.g. `/` or `/..`).
pub(crate) fn contained(target: &str) -> Option<PathBuf> {
    let mut parts: Vec<&str> = Vec::new();
    for part in target.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.iter().collect())
    }
}

/// Whether a provisioner-supplied relative file path is acceptable: relative, no `..`.
pub(crate) fn is_safe_relative(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.starts_with('\\')
        && Path::new(p)
            .components()
            .all(|c| matches!(c, Component::Normal(_)) || c == Component::CurDir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_to(Path::new("/a/b/c"), Path::new("/a")),
            PathBuf::from("b/c")
        );
        assert_eq!(
            relative_to(Path::new("/a/x"), Path::new("/a/b")),
            PathBuf::from("../x")
        );
        assert_eq!(
            relative_to(Path::new("/a"), Path::new("/a")),
            PathBuf::new()
        );
        assert_eq!(
            for_compose(Path::new("/p/.score-rs/mounts"), Path::new("/p")),
            "./.score-rs/mounts"
        );
        assert_eq!(for_compose(Path::new("/p"), Path::new("/p")), ".");
        assert_eq!(
            for_compose(Path::new("/q/src"), Path::new("/p")),
            "../q/src"
        );
        assert_eq!(
            for_compose(Path::new("/p/./a/../b"), Path::new("/p/")),
            "./b"
        );
    }

    #[test]
    fn relative_inputs_are_resolved_against_the_current_directory() {
        assert_eq!(
            for_compose(Path::new(".score-rs/mounts"), Path::new(".")),
            "./.score-rs/mounts"
        );
        assert_eq!(
            for_compose(Path::new("out/mounts"), Path::new("out")),
            "./mounts"
        );
    }

    #[test]
    fn targets_stay_contained() {
        assert_eq!(
            contained("/etc/nginx/nginx.conf"),
            Some(PathBuf::from("etc/nginx/nginx.conf"))
        );
        assert_eq!(contained("/a/../../../b"), Some(PathBuf::from("b")));
        assert_eq!(contained("/./x//y"), Some(PathBuf::from("x/y")));
        assert_eq!(contained("/"), None);
        assert_eq!(contained("/.."), None);
    }

    #[test]
    fn provisioner_paths() {
        assert!(is_safe_relative("route/nginx.conf"));
        assert!(is_safe_relative("./a"));
        assert!(!is_safe_relative("/etc/passwd"));
        assert!(!is_safe_relative("../x"));
        assert!(!is_safe_relative("a/../../x"));
        assert!(!is_safe_relative(""));
    }
}
