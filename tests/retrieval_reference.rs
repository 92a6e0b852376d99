//! The fast paths of retrieval against the plain code they replaced.
//!
//! Phase 1 tokenizes, counts and hashes 100,000 chunks in a big run, so the
//! tokenizer has an ASCII path, stop words sit in a compile-time hash table,
//! terms are never allocated one by one, the embedding sorts a few dozen
//! buckets instead of scanning 256, the chunker skips sentence splitting for
//! a paragraph that fits in one chunk, and the ranking keeps the top k in
//! one pass. Each must give exactly what the straightforward version gave.
//! The reference versions below are that code, as it was (commit 19f7d0f),
//! run here on seeded random text made to be hostile: Unicode letters whose
//! lowercase grows, Unicode and ASCII-only whitespace, `\r\n`, NUL, stop
//! words, plural endings, sentence ends with closing quotes.
#![cfg(not(target_arch = "wasm32"))]

use std::borrow::Cow;

use rag_phase_sync::retrieval::chunker::{chunk_documents_within, Budget, Chunking};
use rag_phase_sync::retrieval::corpus::DEMO_CORPUS;
use rag_phase_sync::retrieval::embedding::{hashed_embedding, DIMENSION};
use rag_phase_sync::retrieval::index::{ChunkFeatures, ChunkVector};
use rag_phase_sync::retrieval::rank::top_k;
use rag_phase_sync::retrieval::stem::singular;
use rag_phase_sync::retrieval::tokenizer::{is_stop_word, terms, tokens, STOP_WORDS};
use rag_phase_sync::Rng;

/// The reference implementations, as they were.
mod reference {
    use super::*;

    pub fn tokens(text: &str) -> Vec<String> {
        words(text).map(|word| word.chars().flat_map(char::to_lowercase).collect()).collect()
    }

    fn words(text: &str) -> impl Iterator<Item = &str> {
        text.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty())
    }

    pub fn is_stop_word(word: &str) -> bool {
        STOP_WORDS.binary_search(&word).is_ok()
    }

    pub fn singular(term: &str) -> Cow<'_, str> {
        if term.chars().count() <= 3 {
            return Cow::Borrowed(term);
        }
        if let Some(stem) = term.strip_suffix("ies") {
            if !stem.ends_with(['e', 'a']) {
                return Cow::Owned(format!("{stem}y"));
            }
            return Cow::Borrowed(term);
        }
        if let Some(stem) = term.strip_suffix("es") {
            if !stem.ends_with(['a', 'e', 'o']) {
                return Cow::Borrowed(&term[..term.len() - 1]);
            }
            return Cow::Borrowed(term);
        }
        match term.strip_suffix('s') {
            Some(stem) if !stem.ends_with(['u', 's']) => Cow::Borrowed(stem),
            _ => Cow::Borrowed(term),
        }
    }

    pub fn terms(text: &str) -> Vec<String> {
        let mut terms = Vec::new();
        for token in tokens(text) {
            if is_stop_word(&token) {
                continue;
            }
            let term = singular(&token);
            if !is_stop_word(&term) {
                terms.push(term.into_owned());
            }
        }
        terms
    }

    /// Distinct terms, sorted, with their counts.
    pub fn counts(terms: &[String]) -> Vec<(String, u32)> {
        let mut sorted: Vec<&str> = terms.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        sorted.chunk_by(|a, b| a == b).map(|run| (run[0].to_string(), run.len() as u32)).collect()
    }

    fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
        bytes.iter().fold(hash, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
    }

    fn feature_hash(first: &str, second: Option<&str>) -> u64 {
        let hash = fnv1a(0xcbf2_9ce4_8422_2325, first.as_bytes());
        match second {
            Some(second) => fnv1a(fnv1a(hash, b" "), second.as_bytes()),
            None => hash,
        }
    }

    fn mix(mut hash: u64) -> u64 {
        hash ^= hash >> 33;
        hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
        hash ^= hash >> 33;
        hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        hash ^ (hash >> 33)
    }

    pub fn hashed_components(terms: &[String]) -> [f32; DIMENSION] {
        let unigrams = terms.iter().map(|term| feature_hash(term, None));
        let bigrams = terms.windows(2).map(|pair| feature_hash(&pair[0], Some(&pair[1])));
        let mut hashes: Vec<u64> = unigrams.chain(bigrams).collect();
        hashes.sort_unstable();
        let mut vector = [0.0_f64; DIMENSION];
        for run in hashes.chunk_by(|a, b| a == b) {
            let hash = mix(run[0]);
            let index = (hash % DIMENSION as u64) as usize;
            let sign = if hash >> 63 == 0 { 1.0 } else { -1.0 };
            vector[index] += sign * (1.0 + (run.len() as f64).ln());
        }
        let norm = vector.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            return [0.0; DIMENSION];
        }
        vector.map(|x| (x / norm) as f32)
    }

    pub fn chunk_documents_within(
        documents: &[String],
        chunking: &Chunking,
        budget: Budget,
    ) -> Result<Vec<String>, (Vec<String>, bool)> {
        let max_words = chunking.max_words.max(1);
        let overlap = chunking.overlap_words.min(max_words - 1);
        let mut chunks = Chunked { chunks: Vec::new(), words: 0, budget };
        for document in documents {
            for paragraph in paragraphs(document) {
                if let Err(words) = chunk_paragraph(&paragraph, max_words, overlap, &mut chunks) {
                    return Err((chunks.chunks, words));
                }
            }
        }
        Ok(chunks.chunks)
    }

    struct Chunked {
        chunks: Vec<String>,
        words: usize,
        budget: Budget,
    }

    impl Chunked {
        fn push(&mut self, words: &[&str]) -> Result<(), bool> {
            if self.chunks.len() >= self.budget.chunks {
                return Err(false);
            }
            if self.words + words.len() > self.budget.words {
                return Err(true);
            }
            self.words += words.len();
            self.chunks.push(words.join(" "));
            Ok(())
        }
    }

    fn paragraphs(document: &str) -> Vec<String> {
        let mut paragraphs = Vec::new();
        let mut current: Vec<&str> = Vec::new();
        for line in document.lines() {
            if line.trim().is_empty() {
                if !current.is_empty() {
                    paragraphs.push(current.join("\n"));
                    current.clear();
                }
            } else {
                current.push(line);
            }
        }
        if !current.is_empty() {
            paragraphs.push(current.join("\n"));
        }
        paragraphs
    }

    fn chunk_paragraph(
        paragraph: &str,
        max_words: usize,
        overlap: usize,
        chunks: &mut Chunked,
    ) -> Result<(), bool> {
        let mut current: Vec<&str> = Vec::new();
        let mut fresh = 0;
        for sentence in rag_phase_sync::retrieval::sentence::sentences(paragraph) {
            let words: Vec<&str> = sentence.split_whitespace().collect();
            let mut rest = words.as_slice();
            while !rest.is_empty() {
                let room = max_words - current.len();
                if rest.len() <= room {
                    current.extend_from_slice(rest);
                    fresh += rest.len();
                    break;
                }
                if fresh == 0 {
                    let (head, tail) = rest.split_at(room);
                    current.extend_from_slice(head);
                    rest = tail;
                }
                chunks.push(&current)?;
                let keep = overlap.min(current.len());
                current.drain(..current.len() - keep);
                fresh = 0;
            }
        }
        if fresh > 0 {
            chunks.push(&current)?;
        }
        Ok(())
    }

    pub fn top_k(scores: &[f64], k: usize) -> Vec<usize> {
        let key = |score: f64| if score.is_nan() { f64::NEG_INFINITY } else { score };
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| key(scores[b]).total_cmp(&key(scores[a])).then(a.cmp(&b)));
        order.truncate(k);
        order
    }
}

/// Pieces hostile text is made of: words a reader would write, words the
/// stemmer and stop list care about, and characters that test every
/// boundary rule.
const PIECES: &[&str] = &[
    "the",
    "The",
    "THE",
    "a",
    "others",
    "its",
    "don't",
    "we'll",
    "yourselves",
    "ourselvesx",
    "queries",
    "series",
    "databases",
    "corpus",
    "process",
    "gas",
    "ids",
    "boxes",
    "shoes",
    "bees",
    "embeddings",
    "BM25",
    "k1=1.2",
    "Café",
    "naïve",
    "İstanbul",
    "STRASSE",
    "Straße",
    "ΣΊΣΥΦΟΣ",
    "ﬁne",
    "x²",
    "٣",
    "日本語",
    "e.g.",
    "Stop.",
    "Really?!",
    "(really!)",
    "\"stop.\"",
    "it\u{2019}s.\u{201D}",
    "end.)",
    " ",
    " ",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\n\n",
    "\r\n\r\n",
    " \n \n",
    "\u{0B}",
    "\u{0C}",
    "\r",
    "\u{A0}",
    "\u{2003}",
    "\u{85}",
    "\u{3000}",
    "\0",
    "-",
    ",",
    "...",
    "!",
    "?",
];

/// `words` random pieces: demo corpus words most of the time, so the text
/// reads like text, with [`PIECES`] mixed in.
fn hostile_text(rng: &mut Rng, words: usize) -> String {
    let demo: Vec<&str> = DEMO_CORPUS.iter().flat_map(|passage| passage.split(' ')).collect();
    let mut text = String::new();
    for _ in 0..words {
        let pick = |rng: &mut Rng, from: &[&'static str]| from[(rng.next_u64() % from.len() as u64) as usize];
        let piece = if rng.next_f64() < 0.6 {
            demo[(rng.next_u64() % demo.len() as u64) as usize]
        } else {
            pick(rng, PIECES)
        };
        text.push_str(piece);
        if rng.next_f64() < 0.7 {
            text.push(' ');
        }
    }
    text
}

/// Random texts, plain ASCII ones among them (the fast path).
fn texts() -> Vec<String> {
    let mut rng = Rng::stream(0x7e57, 0);
    let mut texts: Vec<String> = (0..600).map(|i| hostile_text(&mut rng, 1 + i % 60)).collect();
    texts.extend(texts.clone().iter().map(|text| text.chars().filter(char::is_ascii).collect::<String>()));
    texts.extend(DEMO_CORPUS.iter().map(|passage| passage.to_string()));
    texts.extend(["", " ", "\n\n", "\r\n", "a", "A.", "the others", "\u{0B}x\u{0B}y"].map(String::from));
    texts
}

#[test]
fn tokens_terms_and_stop_words_are_as_before() {
    for text in texts() {
        let expected_tokens = reference::tokens(&text);
        assert_eq!(tokens(&text), expected_tokens, "{text:?}");
        for token in &expected_tokens {
            assert_eq!(is_stop_word(token), reference::is_stop_word(token), "{token:?}");
            assert_eq!(singular(token), reference::singular(token), "{token:?}");
        }
        assert_eq!(terms(&text), reference::terms(&text), "{text:?}");
    }
}

#[test]
fn chunk_features_are_as_before_to_the_bit() {
    for text in texts() {
        let expected_terms = reference::terms(&text);
        let features = ChunkFeatures::lexical(&text);
        assert_eq!(features.length(), expected_terms.len(), "{text:?}");
        let counts: Vec<(String, u32)> =
            features.counts().iter().map(|(term, count)| (term.to_string(), count)).collect();
        assert_eq!(counts, reference::counts(&expected_terms), "{text:?}");
        let expected = reference::hashed_components(&expected_terms);
        let bits = |vector: &[f32]| vector.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&hashed_embedding(&expected_terms)), bits(&expected), "{text:?}");
        let ChunkVector::Hashed(sparse) = features.vector() else { panic!("a lexical chunk is hashed") };
        assert_eq!(bits(&sparse.to_dense()), bits(&expected), "{text:?}");
        assert_eq!(sparse.len(), expected.iter().filter(|&&x| x != 0.0).count());
    }
}

#[test]
fn chunks_are_as_before_for_every_chunking_and_budget() {
    let mut rng = Rng::stream(0x7e57, 1);
    let texts = texts();
    let chunkings = [(100, 0), (12, 0), (10, 3), (5, 4), (1, 0), (3, 2), (60, 59)];
    for (i, documents) in texts.chunks(7).enumerate() {
        let documents = documents.to_vec();
        for &(max_words, overlap_words) in &chunkings {
            let chunking = Chunking { max_words, overlap_words };
            let budgets = [
                Budget { chunks: usize::MAX, words: usize::MAX },
                Budget { chunks: 1 + (rng.next_u64() % 8) as usize, words: usize::MAX },
                Budget { chunks: usize::MAX, words: 1 + (rng.next_u64() % 200) as usize },
            ];
            for budget in budgets {
                let got = chunk_documents_within(&documents, &chunking, budget)
                    .map_err(|stopped| (stopped.chunks, stopped.words));
                let expected = reference::chunk_documents_within(&documents, &chunking, budget);
                assert_eq!(got, expected, "documents {i}, {chunking:?}, {budget:?}: {documents:?}");
            }
        }
    }
}

#[test]
fn top_k_is_as_a_full_sort() {
    let mut rng = Rng::stream(0x7e57, 2);
    // Few distinct values, so ties are everywhere; NaN and both zeros too.
    let values = [0.5, 0.25, 0.0, -0.0, 1.0, f64::NAN, f64::NEG_INFINITY, 0.75];
    for case in 0..2_000 {
        let n = case % 40;
        let scores: Vec<f64> =
            (0..n).map(|_| values[(rng.next_u64() % values.len() as u64) as usize]).collect();
        for k in 0..6 {
            assert_eq!(top_k(&scores, k), reference::top_k(&scores, k), "{scores:?}, k = {k}");
        }
    }
}
