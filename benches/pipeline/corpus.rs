//! The benchmark's documents: a seeded synthetic corpus of distinct ~14-word
//! chunks, the same for the same seed on every machine.
//!
//! Real text matters here because retrieval is most of the work: about two
//! words in five are stop words (the tokenizer's own list), content
//! words come from a fixed vocabulary of a few thousand English-like words
//! with a Zipf-like skew, some in the plural (for the stemmer), and every
//! document carries one token no other has, so no two chunks are the same
//! text. A few dozen real words of the demo's subject sit among the
//! invented ones, the default question's among them, so a few percent of
//! the chunks share a word with the question and score above zero, as in
//! a real corpus. Each document is drawn from its own random stream, so the
//! first 1,000 documents of the 100,000-document corpus are the
//! 1,000-document corpus.

use std::collections::HashSet;

use rag_phase_sync::retrieval::tokenizer::STOP_WORDS;
use rag_phase_sync::Rng;

/// How many distinct content words the vocabulary has.
const VOCABULARY: usize = 3_000;

/// Words per document: 12 to 16, 14 on average, the unique token included.
const WORDS: (u64, u64) = (12, 16);

/// Share of words that are stop words: about English's.
const STOP_SHARE: f64 = 0.4;

/// Share of content words written in the plural.
const PLURAL_SHARE: f64 = 0.15;

/// Real words, one every [`REAL_EVERY`] places of the vocabulary's
/// frequency ranking: from fairly common to rare.
#[rustfmt::skip] // a word list reads best packed
const REAL: &[&str] = &[
    "retrieval", "generation", "augmented", "embedding", "vector", "barrier", "chunk", "query", "index",
    "token", "model", "answer", "document", "score", "phase", "future", "event", "loop", "task", "search",
    "cosine", "similarity", "database", "language", "prompt", "context", "memory", "latency", "ranking",
    "passage", "corpus", "sentence", "citation", "evidence", "neighbour", "graph", "cluster", "centroid",
    "hashing", "bucket", "statistics", "frequency", "semaphore", "scheduler", "executor", "thread",
    "callback", "promise", "deadline", "timeout",
];

/// Places between two real words in the vocabulary.
const REAL_EVERY: usize = 55;

/// `n` documents of one sentence each, from `seed`.
pub fn documents(seed: u64, n: usize) -> Vec<String> {
    let vocabulary = vocabulary(seed);
    (0..n).map(|i| document(seed, i, &vocabulary)).collect()
}

/// [`VOCABULARY`] distinct words, most of them invented (pronounceable, two
/// or three syllables, none a stop word or a real word, and none starting
/// with `q`, which is kept for the unique tokens), with the [`REAL`] words
/// among them.
fn vocabulary(seed: u64) -> Vec<String> {
    const CONSONANTS: &[u8] = b"bcdfghklmnprstvwz";
    const VOWELS: &[u8] = b"aeiou";
    let mut rng = Rng::stream(seed, u64::MAX);
    let mut pick = |letters: &[u8]| letters[(rng.next_u64() % letters.len() as u64) as usize] as char;
    let mut seen = HashSet::new();
    let mut words = Vec::with_capacity(VOCABULARY);
    while words.len() < VOCABULARY {
        let syllables = 2 + words.len() % 2;
        let mut word: String = (0..syllables).flat_map(|_| [pick(CONSONANTS), pick(VOWELS)]).collect();
        if words.len() % 3 == 0 {
            // A closing consonant now and then: "tamen", not only "tame".
            word.push(pick(b"lmnrt"));
        }
        let taken = STOP_WORDS.contains(&word.as_str()) || REAL.contains(&word.as_str());
        if !taken && seen.insert(word.clone()) {
            words.push(word);
        }
    }
    for (i, real) in REAL.iter().enumerate() {
        words[(i + 1) * REAL_EVERY] = real.to_string();
    }
    words
}

/// Document `i`: one capitalised sentence with a full stop, holding the
/// unique token at a random position.
fn document(seed: u64, i: usize, vocabulary: &[String]) -> String {
    let mut rng = Rng::stream(seed, i as u64);
    let words = WORDS.0 + rng.next_u64() % (WORDS.1 - WORDS.0 + 1);
    let unique_at = rng.next_u64() % words;
    let mut text = String::with_capacity(100);
    for position in 0..words {
        if position > 0 {
            text.push(' ');
        }
        if position == unique_at {
            text.push_str(&unique_token(i));
        } else if rng.next_f64() < STOP_SHARE {
            text.push_str(STOP_WORDS[skewed(&mut rng, STOP_WORDS.len())]);
        } else {
            text.push_str(&vocabulary[skewed(&mut rng, vocabulary.len())]);
            if rng.next_f64() < PLURAL_SHARE {
                text.push('s');
            }
        }
    }
    text[..1].make_ascii_uppercase();
    text.push('.');
    text
}

/// An index below `len`, low ones far likelier (density falling as
/// 1/sqrt(rank)): common words are common.
fn skewed(rng: &mut Rng, len: usize) -> usize {
    let u = rng.next_f64();
    ((u * u * len as f64) as usize).min(len - 1)
}

/// `q` and document `i` in five base-26 letters: a word-like token that
/// only document `i` has (the vocabulary never starts with `q`).
fn unique_token(mut i: usize) -> String {
    let mut letters = [b'a'; 5];
    for letter in letters.iter_mut().rev() {
        *letter = b'a' + (i % 26) as u8;
        i /= 26;
    }
    format!("q{}", std::str::from_utf8(&letters).expect("ASCII letters"))
}
