//! Searching a text for any of many long secret values at once.
//!
//! Every object a provisioner renders is checked for leaked passwords: hundreds of random
//! values, searched in kilobytes of text per resource. An Aho-Corasick automaton over that many
//! random strings looks at every byte (about 18 instructions each, here). This is Wu and
//! Manber's multi-pattern search over each value's first [`HEAD`] bytes: a hash of the three
//! bytes that end the current window tells how far it may move on, usually several bytes, and
//! only when they may end some value's head is the window compared. (Two bytes were too few:
//! pairs of letters recur in any text, and with a thousand passwords most windows stopped.)

use std::collections::HashMap;

/// Bytes of each value that index it; values must be at least this long.
pub const HEAD: usize = 8;

/// Bytes read to choose a shift.
const BLOCK: usize = 3;

/// Bits of the shift table's index.
const TABLE_BITS: u32 = 16;

/// The shift when the window's last [`BLOCK`] bytes appear in no value's head.
const MAX_SHIFT: u8 = (HEAD - BLOCK + 1) as u8;

/// A set of values of at least [`HEAD`] bytes, searchable in one pass.
///
/// ```
/// use score_k8s::needles::Needles;
/// let n = Needles::new(["s3cr3t-password".to_string()]).unwrap();
/// assert!(n.is_match(r#"{"env":"s3cr3t-password"}"#));
/// assert!(!n.is_match("s3cr3t-passwor"));
/// ```
pub struct Needles {
    values: Vec<String>,
    /// Values by their first [`HEAD`] bytes.
    heads: HashMap<u64, Vec<usize>>,
    /// By a hash of the [`BLOCK`] bytes ending a window: how far no head can start (0: compare
    /// here, which a hash collision may also ask for).
    shift: Vec<u8>,
}

impl Needles {
    /// Index `values`; `None` when one is shorter than [`HEAD`] bytes or there are none.
    pub fn new(values: impl IntoIterator<Item = String>) -> Option<Self> {
        let values: Vec<String> = values.into_iter().collect();
        if values.is_empty() || values.iter().any(|v| v.len() < HEAD) {
            return None;
        }
        let mut heads: HashMap<u64, Vec<usize>> = HashMap::new();
        let mut shift = vec![MAX_SHIFT; 1 << TABLE_BITS];
        for (i, v) in values.iter().enumerate() {
            let b = v.as_bytes();
            heads.entry(head(b)).or_default().push(i);
            for end in BLOCK..=HEAD {
                let s = &mut shift[block(b, end)];
                *s = (*s).min((HEAD - end) as u8);
            }
        }
        Some(Needles {
            values,
            heads,
            shift,
        })
    }

    /// Whether any value occurs in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        let b = text.as_bytes();
        let mut start = 0;
        while start + HEAD <= b.len() {
            let s = self.shift[block(b, start + HEAD)];
            if s > 0 {
                start += usize::from(s);
                continue;
            }
            let found = self.heads.get(&head(&b[start..])).is_some_and(|vs| {
                vs.iter()
                    .any(|&v| b[start..].starts_with(self.values[v].as_bytes()))
            });
            if found {
                return true;
            }
            start += 1;
        }
        false
    }
}

/// The first [`HEAD`] bytes as a number.
fn head(b: &[u8]) -> u64 {
    let mut word = [0u8; HEAD];
    word.copy_from_slice(&b[..HEAD]);
    u64::from_le_bytes(word)
}

/// A hash of the [`BLOCK`] bytes ending at `end`: the shift table's index.
fn block(b: &[u8], end: usize) -> usize {
    let word = u32::from(b[end - 3]) << 16 | u32::from(b[end - 2]) << 8 | u32::from(b[end - 1]);
    (word.wrapping_mul(0x9E37_79B1) >> (32 - TABLE_BITS)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seeded generator over a three-letter alphabet: near misses (shared heads, prefixes)
    /// are common.
    struct Words(u64);

    impl Words {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }

        fn word(&mut self, len: u64) -> String {
            (0..len)
                .map(|_| (b'a' + self.below(3) as u8) as char)
                .collect()
        }
    }

    #[test]
    fn finds_exactly_what_contains_finds() {
        let mut w = Words(7);
        for _ in 0..2_000 {
            let count = 1 + w.below(6);
            let values: Vec<String> = (0..count)
                .map(|_| {
                    let len = 8 + w.below(6);
                    w.word(len)
                })
                .collect();
            let len = w.below(60);
            let text = w.word(len);
            let needles = Needles::new(values.clone()).unwrap();
            let naive = values.iter().any(|v| text.contains(v.as_str()));
            assert_eq!(needles.is_match(&text), naive, "{values:?} in {text:?}");
        }
    }

    #[test]
    fn short_values_are_refused() {
        assert!(Needles::new(["short".to_string()]).is_none());
        assert!(Needles::new(Vec::new()).is_none());
    }
}
