//! Source files and byte spans, shared by the loader and the diagnostics.

use std::ops::Range;
use std::sync::Arc;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// A byte range inside a [`SourceFile`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// A span covering `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }

    /// The span as a `Range`.
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl From<Span> for SourceSpan {
    fn from(s: Span) -> Self {
        SourceSpan::new(s.start.into(), s.end - s.start)
    }
}

/// A named text (a Score file, an override file, stdin) that spans point into.
///
/// Cheap to clone: the text is shared.
///
/// ```
/// use score_core::SourceFile;
/// let src = SourceFile::new("score.yaml", "a: 1\nb: 2\n");
/// assert_eq!(src.line_col(5), (2, 1));
/// ```
#[derive(Clone)]
pub struct SourceFile(Arc<Inner>);

struct Inner {
    name: String,
    text: String,
    /// Byte offset of each line's start, indexed on first use: only diagnostics need it, and
    /// indexing every file (the state among them) cost more than validating it.
    line_starts: std::sync::OnceLock<Vec<usize>>,
    /// `text` with control characters replaced byte for byte, for showing in a terminal.
    shown: std::sync::OnceLock<String>,
}

impl std::fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceFile")
            .field("name", &self.0.name)
            .finish_non_exhaustive()
    }
}

impl PartialEq for SourceFile {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || (self.0.name == other.0.name && self.0.text == other.0.text)
    }
}

impl SourceFile {
    /// Wrap `text`, shown to users as `name`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SourceFile(Arc::new(Inner {
            name: name.into(),
            text: text.into(),
            line_starts: std::sync::OnceLock::new(),
            shown: std::sync::OnceLock::new(),
        }))
    }

    /// The name shown in diagnostics (usually the path as given).
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The full text.
    pub fn text(&self) -> &str {
        &self.0.text
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.0.text.len());
        let line_starts = self.0.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.0.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let line = line_starts.partition_point(|&s| s <= offset) - 1;
        let start = line_starts[line];
        let col = self
            .0
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }
}

impl SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let shown = self.0.shown.get_or_init(|| printable(&self.0.text));
        let inner = shown.read_span(span, before, after)?;
        // miette counts the header's column in bytes; count characters like `line_col`.
        let column = if before == 0 {
            self.line_col(span.offset()).1 - 1
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.0.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            column,
            inner.line_count(),
        )))
    }
}

/// `text` with every control character but tab and line breaks replaced by as many `?` as it
/// has bytes, so byte offsets still match and nothing reaches the terminal as an escape.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let n = if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
                c.len_utf8()
            } else {
                0
            };
            (n == 0)
                .then_some(c)
                .into_iter()
                .chain(std::iter::repeat_n('?', n))
        })
        .collect()
}
