//! The texts a run's chunks stand for: the documents, cut into chunks.

use crate::config::{ConfigError, RunConfig, CHUNKS};
use crate::retrieval::chunker::{chunk_documents_within, Budget, Chunking};
use crate::retrieval::corpus::DEMO_CORPUS;

/// The most words all of a run's chunks may hold together (overlap words count
/// each time they are repeated): about 30 MB of chunk text, three times the
/// 10 MB of documents a run accepts.
pub const MAX_CHUNKED_WORDS: usize = 5_000_000;

/// The run's chunks: chunk `i` is the text [`Chunks::text`] returns for it.
///
/// ```
/// use rag_phase_sync::Chunks;
/// use rag_phase_sync::RunConfig;
/// let config = RunConfig { documents: Some(vec!["One. Two.".into()]), chunks: Some(3), ..RunConfig::default() };
/// let chunks = Chunks::new(&config).unwrap();
/// assert_eq!((chunks.len(), chunks.text(2)), (3, "One. Two."));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Chunks {
    texts: Vec<String>,
    count: usize,
}

impl Chunks {
    /// Cuts the config's documents (or the demo corpus) into chunks and
    /// checks the limits that depend on them: at most 100,000 chunks and
    /// [`MAX_CHUNKED_WORDS`] words, counted *while* cutting so an overlap
    /// blow-up stops early, and `faults` that name existing chunks.
    /// Expects a validated config.
    pub fn new(config: &RunConfig) -> Result<Chunks, ConfigError> {
        let max_chunks = CHUNKS.max as usize;
        // `chunks: n` uses only the first n chunks: build no more than that.
        let budget = Budget { chunks: config.chunks.unwrap_or(max_chunks), words: MAX_CHUNKED_WORDS };
        let built = match &config.documents {
            Some(documents) => chunk_documents_within(documents, &config.chunking, budget),
            None => chunk_documents_within(DEMO_CORPUS, &config.chunking, budget),
        };
        let texts = match built {
            Ok(texts) => texts,
            Err(stopped) if !stopped.words && config.chunks.is_some() => stopped.chunks,
            Err(stopped) => return Err(too_many(config, stopped.words)),
        };
        let count = config.chunks.unwrap_or(texts.len());
        if let Some(fault) = config.faults.iter().find(|fault| fault.chunk >= count) {
            let expected = format!("must each name a chunk index from 0 to {}", count - 1);
            return Err(ConfigError::new("faults", expected, fault.to_string()));
        }
        // Non-blank documents always make at least one chunk; validate() saw to that.
        debug_assert!(!texts.is_empty());
        Ok(Chunks { texts, count })
    }

    /// How many chunks the run has.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the run has no chunks (never, once built).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Chunk `chunk`'s text; past the documents' own chunks, they repeat.
    pub fn text(&self, chunk: usize) -> &str {
        &self.texts[chunk % self.texts.len()]
    }
}

/// The error for documents that cut into too many chunks or words.
fn too_many(config: &RunConfig, words: bool) -> ConfigError {
    let Chunking { max_words, overlap_words } = config.chunking;
    let at = format!("at chunkWords {max_words} and overlapWords {overlap_words}");
    if words && overlap_words > 0 {
        let expected = format!(
            "must let the documents make at most {MAX_CHUNKED_WORDS} words in all chunks together {at} \
             (each overlap word is repeated in the next chunk); lower overlapWords, raise chunkWords or pass less text"
        );
        return ConfigError::new("overlapWords", expected, overlap_words.to_string());
    }
    let (limit, got) = match words {
        true => (
            format!("{MAX_CHUNKED_WORDS} words in all chunks"),
            format!("more than {MAX_CHUNKED_WORDS} words"),
        ),
        false => (format!("{} chunks", CHUNKS.max), format!("more than {} chunks", CHUNKS.max)),
    };
    let expected = format!("must make at most {limit} {at}; raise chunkWords or pass less text");
    ConfigError::new("documents", expected, got)
}
