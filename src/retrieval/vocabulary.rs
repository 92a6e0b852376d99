//! The terms of the published chunks, numbered once, with how many chunks
//! contain each.
//!
//! The index keeps every chunk's terms until Phase 2 is done, for up to
//! 100 000 chunks. As strings, each chunk would carry its own copy of words
//! that thousands of chunks share; as numbers into this vocabulary, each
//! occurrence is four bytes and each word's text is stored once.

use super::fx_hash::fx_hash;

/// Numbers for terms, and each term's document frequency.
///
/// Ids are handed out in the order terms are first seen, so they depend on
/// the order chunks were published in; nothing computed from them does
/// (scores read counts and frequencies, never the ids themselves).
///
/// ```
/// use rag_phase_sync::retrieval::vocabulary::Vocabulary;
/// let mut vocabulary = Vocabulary::default();
/// let barrier = vocabulary.add_document("barrier");
/// assert_eq!(vocabulary.add_document("barrier"), barrier);
/// assert_eq!(vocabulary.id("barrier"), Some(barrier));
/// assert_eq!(vocabulary.document_frequency(barrier), 2);
/// vocabulary.remove_document(barrier);
/// assert_eq!(vocabulary.document_frequency(barrier), 1);
/// assert_eq!(vocabulary.id("loop"), None);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    /// Every term's text, back to back, in id order. Terms seen first (the
    /// common ones) sit together at the front, so looking them up stays
    /// within a few cache lines; a map of boxed strings scatters every key
    /// over the heap, and each lookup paid a cache miss or two for it.
    text: String,
    /// Indexed by id: where the term's text ends in `text`.
    ends: Vec<u32>,
    /// Indexed by id: how many published chunks contain the term (0 once
    /// every chunk that had it was replaced; the id stays valid).
    document_frequency: Vec<u32>,
    /// The hash table: open addressing with linear probing over
    /// [`fx_hash`]es, each slot an id + 1, or 0 when empty. Its length is a
    /// power of two (or 0), and it is kept at most half full.
    slots: Vec<u32>,
}

impl Vocabulary {
    /// `term`'s id, if any published chunk ever contained it.
    pub fn id(&self, term: &str) -> Option<u32> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut slot = fx_hash(term.as_bytes()) as usize & mask;
        loop {
            // An empty slot ends the probe: the term was never added.
            let id = self.slots[slot].checked_sub(1)?;
            if self.term(id) == term.as_bytes() {
                return Some(id);
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Counts one more chunk containing `term`, numbering the term if it is
    /// new, and returns its id.
    ///
    /// # Panics
    ///
    /// If there are 2^32 - 1 distinct terms or 4 GiB of them, which 10 MB
    /// of text never has.
    pub fn add_document(&mut self, term: &str) -> u32 {
        let id = self.number(term);
        self.count_document(id);
        id
    }

    /// `term`'s id, numbering it (with no documents yet) if it is new.
    ///
    /// # Panics
    ///
    /// As [`add_document`](Vocabulary::add_document).
    pub(crate) fn number(&mut self, term: &str) -> u32 {
        match self.id(term) {
            Some(id) => id,
            None => self.insert(term),
        }
    }

    /// Counts one more chunk containing the term numbered `id`.
    pub(crate) fn count_document(&mut self, id: u32) {
        self.document_frequency[id as usize] += 1;
    }

    /// Counts one chunk fewer containing the term numbered `id`: a chunk
    /// that had it was replaced.
    ///
    /// # Panics
    ///
    /// If `id` was not handed out by [`add_document`](Vocabulary::add_document).
    pub fn remove_document(&mut self, id: u32) {
        self.document_frequency[id as usize] -= 1;
    }

    /// How many published chunks contain the term numbered `id` (0 for an
    /// id never handed out).
    pub fn document_frequency(&self, id: u32) -> u32 {
        self.document_frequency.get(id as usize).copied().unwrap_or(0)
    }

    /// The text of the term numbered `id`, as bytes: slicing a `str`
    /// would check that both ends fall on character boundaries, every time.
    fn term(&self, id: u32) -> &[u8] {
        let start = match id {
            0 => 0,
            _ => self.ends[id as usize - 1] as usize,
        };
        &self.text.as_bytes()[start..self.ends[id as usize] as usize]
    }

    /// Numbers `term`, which is not in the vocabulary yet, with no documents.
    fn insert(&mut self, term: &str) -> u32 {
        let fits = |n: usize| u32::try_from(n).expect("fewer than 2^32 - 1 terms, in under 4 GiB");
        let id = fits(self.ends.len());
        // The slot stores id + 1, which must fit too.
        fits(self.ends.len() + 1);
        self.text.push_str(term);
        self.ends.push(fits(self.text.len()));
        self.document_frequency.push(0);
        if 2 * self.ends.len() > self.slots.len() {
            // Twice the slots, and every term placed again.
            self.slots = vec![0; (2 * self.slots.len()).max(16)];
            (0..=id).for_each(|id| self.place(id));
        } else {
            self.place(id);
        }
        id
    }

    /// Puts id `id` in the first empty slot of its term's probe sequence.
    fn place(&mut self, id: u32) {
        let mask = self.slots.len() - 1;
        let mut slot = fx_hash(self.term(id)) as usize & mask;
        while self.slots[slot] != 0 {
            slot = (slot + 1) & mask;
        }
        self.slots[slot] = id + 1;
    }
}
