//! The texts a run's chunks stand for: the documents, cut into chunks.

use crate::config::{ConfigError, RunConfig, CHUNKS, FAIL_CHUNK};
use crate::retrieval::chunker::chunk_documents;
use crate::retrieval::corpus::DEMO_CORPUS;

/// The run's chunks: chunk `i` is the text [`Chunks::text`] returns for it.
///
/// ```
/// use rag_phase_sync::chunks::Chunks;
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
    /// checks the limits that depend on them: at most 100,000 chunks, and a
    /// `failChunk` that names one of them. Expects a validated config.
    pub fn new(config: &RunConfig) -> Result<Chunks, ConfigError> {
        let texts = match &config.documents {
            Some(documents) => chunk_documents(documents, &config.chunking),
            None => chunk_documents(DEMO_CORPUS, &config.chunking),
        };
        let count = config.chunks.unwrap_or(texts.len());
        if count > CHUNKS.max as usize {
            let expected = format!(
                "must make at most {} chunks at chunkWords {}; raise chunkWords or pass less text",
                CHUNKS.max, config.chunking.max_words
            );
            return Err(ConfigError::new("documents", expected, format!("{count} chunks")));
        }
        if let Some(chunk) = config.fail_chunk.filter(|&chunk| chunk >= count) {
            let expected = format!("must be a chunk index from 0 to {}", count - 1);
            return Err(ConfigError::new(FAIL_CHUNK.field, expected, chunk.to_string()));
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
