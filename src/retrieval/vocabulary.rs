//! The terms of the published chunks, numbered once, with how many chunks
//! contain each.
//!
//! The index keeps every chunk's terms until Phase 2 is done, for up to
//! 100 000 chunks. As strings, each chunk would carry its own copy of words
//! that thousands of chunks share; as numbers into this vocabulary, each
//! occurrence is four bytes and each word's text is stored once.

use std::collections::HashMap;

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
    /// Each term's id. A boxed `str` key: no capacity slack, one word less.
    ids: HashMap<Box<str>, u32>,
    /// Indexed by id: how many published chunks contain the term (0 once
    /// every chunk that had it was replaced; the id stays valid).
    document_frequency: Vec<u32>,
}

impl Vocabulary {
    /// `term`'s id, if any published chunk ever contained it.
    pub fn id(&self, term: &str) -> Option<u32> {
        self.ids.get(term).copied()
    }

    /// Counts one more chunk containing `term`, numbering the term if it is
    /// new, and returns its id.
    ///
    /// # Panics
    ///
    /// If there are more than 2^32 distinct terms, which 10 MB of text never has.
    pub fn add_document(&mut self, term: &str) -> u32 {
        // Look up before inserting: allocate a key only for a new term.
        let id = match self.ids.get(term) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.document_frequency.len()).expect("fewer than 2^32 terms");
                self.ids.insert(term.into(), id);
                self.document_frequency.push(0);
                id
            }
        };
        self.document_frequency[id as usize] += 1;
        id
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
}
