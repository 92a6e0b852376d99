//! A chunk's term counts, packed: BM25's `tf` for every term of one chunk.
//!
//! Phase 1 builds one per chunk and hands it, inside the chunk's features,
//! to the index, which turns it into vocabulary ids
//! ([`Vocabulary`](super::vocabulary::Vocabulary)) and drops it. It is built
//! 100 000 times in a big run, so it stays cheap to build: the distinct
//! terms live sorted in one string and the counts in one array, two
//! allocations per chunk, where a `HashMap<String, u32>` costs one
//! allocation per term plus its table.

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
        let mut sorted: Vec<&str> = terms.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        let runs = sorted.chunk_by(|a, b| a == b);
        let (distinct, bytes) = runs.clone().fold((0, 0), |(n, bytes), run| (n + 1, bytes + run[0].len()));
        let mut text = String::with_capacity(bytes);
        let mut entries = Vec::with_capacity(distinct);
        let fits = |n: usize| u32::try_from(n).expect("a chunk's terms fit in 4 GiB");
        for run in runs {
            text.push_str(run[0]);
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
