//! Diagnostics: every error and warning score-rs reports, with a stable code and a source location.

use std::fmt;

use miette::{LabeledSpan, SourceCode};
use serde::Serialize;

use crate::source::{SourceFile, Span};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational; never fails a run.
    Warning,
    /// Fails the run.
    Error,
}

/// A highlighted region of the source with a short message.
#[derive(Debug, Clone)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say under the caret.
    pub message: String,
}

/// One problem found in user input.
///
/// ```
/// use score_core::{Diagnostic, SourceFile, Span};
/// let src = SourceFile::new("score.yaml", "apiVersion: v2\n");
/// let d = Diagnostic::error("score::schema::pattern", "wrong apiVersion")
///     .with_label(&src, Span::new(12, 14), "expected score.dev/v1b1");
/// assert_eq!(d.location(), Some((1, 13)));
/// ```
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Stable machine-readable code, e.g. `score::schema::required`.
    pub code: String,
    /// Error or warning.
    pub severity: Severity,
    /// One-line description.
    pub message: String,
    /// The file the labels point into.
    pub source: Option<SourceFile>,
    /// Highlighted regions; the first is the primary location.
    pub labels: Vec<Label>,
    /// A suggested fix.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new error without location.
    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    /// A new warning without location.
    pub fn warning(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    fn new(severity: Severity, code: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            code: code.into(),
            severity,
            message: message.into(),
            source: None,
            labels: Vec::new(),
            help: None,
        }
    }

    /// Add a label pointing into `source` (which becomes the diagnostic's file).
    pub fn with_label(
        mut self,
        source: &SourceFile,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        self.source = Some(source.clone());
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Attach a file without pointing at a region of it.
    pub fn with_source(mut self, source: &SourceFile) -> Self {
        self.source = Some(source.clone());
        self
    }

    /// Add a `help:` line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// 1-based line and column of the primary label.
    pub fn location(&self) -> Option<(usize, usize)> {
        let src = self.source.as_ref()?;
        self.labels.first().map(|l| src.line_col(l.span.start))
    }

    /// The machine-readable form printed by `--format json`.
    pub fn to_json(&self) -> serde_json::Value {
        let (line, column) = self.location().unzip();
        serde_json::json!({
            "file": self.source.as_ref().map(|s| s.name()),
            "line": line,
            "column": column,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "help": self.help,
        })
    }
}

/// `file:line:col: message`, like a compiler's one-line form, so that a library user sees where
/// a problem is without a miette handler; `file: message` without a label and only the message
/// without a file. The snippet, labels and help need [`crate::render::render`].
///
/// ```
/// use score_core::{Diagnostic, SourceFile, Span};
/// let src = SourceFile::new("score.yaml", "apiVersion: v2\n");
/// let d = Diagnostic::error("score::schema::pattern", "wrong apiVersion")
///     .with_label(&src, Span::new(12, 14), "expected score.dev/v1b1");
/// assert_eq!(d.to_string(), "score.yaml:1:13: wrong apiVersion");
/// ```
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(src) = &self.source {
            write!(f, "{}", escape_controls(src.name()))?;
            if let Some((line, column)) = self.location() {
                write!(f, ":{line}:{column}")?;
            }
            f.write_str(": ")?;
        }
        self.headline().fmt(f)
    }
}

impl Diagnostic {
    /// The message alone, control characters escaped: the headline of a rendered report
    /// (which shows the location itself).
    pub fn headline(&self) -> impl fmt::Display + '_ {
        escape_controls(&self.message)
    }
}

/// Control characters (from user input quoted in messages) shown as escapes, never raw.
fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\n') {
        return s.into();
    }
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(escape_controls(h)) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() || self.source.is_none() {
            return None;
        }
        Some(Box::new(self.labels.iter().enumerate().map(|(i, l)| {
            let text = (!l.message.is_empty()).then(|| escape_controls(&l.message).into_owned());
            if i == 0 {
                LabeledSpan::new_primary_with_span(text, l.span)
            } else {
                LabeledSpan::new_with_span(text, l.span)
            }
        })))
    }
}

/// A list of diagnostics, with helpers to ask whether any is an error.
pub trait DiagnosticsExt {
    /// Whether any diagnostic is an error.
    fn has_errors(&self) -> bool;
}

impl DiagnosticsExt for [Diagnostic] {
    fn has_errors(&self) -> bool {
        self.iter().any(Diagnostic::is_error)
    }
}
