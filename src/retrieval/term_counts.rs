//! A chunk's term counts, packed: BM25's `tf` for every term of one chunk.
//!
//! A chunk's features build one when asked
//! ([`ChunkFeatures::counts`](super::index::ChunkFeatures::counts)); the
//! pipeline never asks, since the index numbers the terms as they come
//! (see [`CorpusIndex::publish`](super::index::CorpusIndex::publish)). It
//! stays cheap all the same: the distinct terms live sorted in one string
//! and the counts in one array, two allocations, where a
//! `HashMap<String, u32>` costs one allocation per term plus its table.

/// Distinct terms with how often each occurs, sorted for binary search.
///
/// ```
/// use rag_phase_sync::retrieval::term_counts::TermCounts;
/// let words = ["wait", "barrier", "wait"].map(String::from);
/// let counts = TermCounts::new(&words);
/// assert_eq!(counts.count("wait"), 2);
/// assert_eq!(counts.count("loop"), 0);
/// assert_eq!(counts.iter().collect::<Vec<_>>(), [("barrier", 1), ("wait", 2)]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TermCounts {
    /// The distinct terms, sorted, concatenated without separators.
    text: String,
    /// Per distinct term: where it ends in `text`, and its count.
    entries: Vec<(u32, u32)>,
}

impl TermCounts {
    /// Counts `terms`.
    ///
    /// # Panics
    ///
    /// If the distinct terms take more than 4 GiB, which no chunk does.
    pub fn new(terms: &[String]) -> TermCounts {
        TermCounts::tally(terms.iter().map(|term| (prefix(term), term.as_str())).collect())
    }

    /// Counts the terms written back to back in `all`, the `i`th ending at
    /// `ends[i]`, as Phase 1 gathers a chunk's terms.
    pub(crate) fn from_concatenated(all: &str, ends: &[usize]) -> TermCounts {
        let mut keyed = Vec::with_capacity(ends.len());
        let mut start = 0;
        for &end in ends {
            let term = &all[start..end];
            keyed.push((prefix(term), term));
            start = end;
        }
        TermCounts::tally(keyed)
    }

    /// Counts the terms of `keyed`, each given with its [`prefix`].
    fn tally(mut keyed: Vec<(u64, &str)>) -> TermCounts {
        // Sorted by (prefix, term): the prefix orders as the term's first
        // eight bytes do, so this is the terms' own byte order, but one
        // integer comparison settles most pairs, where comparing strings
        // calls memcmp.
        keyed.sort_unstable();
        let runs = keyed.chunk_by(|a, b| a.1 == b.1);
        let (distinct, bytes) = runs.clone().fold((0, 0), |(n, bytes), run| (n + 1, bytes + run[0].1.len()));
        let mut text = String::with_capacity(bytes);
        let mut entries = Vec::with_capacity(distinct);
        let fits = |n: usize| u32::try_from(n).expect("a chunk's terms fit in 4 GiB");
        for run in runs {
            text.push_str(run[0].1);
            entries.push((fits(text.len()), fits(run.len())));
        }
        TermCounts { text, entries }
    }

    /// The `i`th distinct term.
    fn term(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.entries[i - 1].0 as usize };
        &self.text[start..self.entries[i].0 as usize]
    }

    /// How often `term` occurs (0 if it does not).
    pub fn count(&self, term: &str) -> u32 {
        let mut range = 0..self.entries.len();
        // A binary search over the implicit sorted list of terms.
        while range.start < range.end {
            let middle = range.start + (range.end - range.start) / 2;
            match self.term(middle).cmp(term) {
                std::cmp::Ordering::Less => range.start = middle + 1,
                std::cmp::Ordering::Greater => range.end = middle,
                std::cmp::Ordering::Equal => return self.entries[middle].1,
            }
        }
        0
    }

    /// Every distinct term with its count, in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32)> + '_ {
        (0..self.entries.len()).map(|i| (self.term(i), self.entries[i].1))
    }

    /// How many distinct terms there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no terms at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// `term`'s first eight bytes as a big-endian integer, zero-padded: if two
/// terms' prefixes differ, they order as the terms do (a shorter term pads
/// with zeros, the smallest byte, as a prefix orders before its extensions).
fn prefix(term: &str) -> u64 {
    let head = &term.as_bytes()[..term.len().min(8)];
    // Shifted in byte by byte, then to the top (no shift at all for an
    // empty term, whose prefix is 0): copying into a zeroed array would
    // call memcpy for every term.
    let key = head.iter().fold(0, |key: u64, &byte| key << 8 | u64::from(byte));
    key.checked_shl(8 * (8 - head.len() as u32)).unwrap_or(0)
}
