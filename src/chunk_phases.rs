//! The work of a chunk's two phases, the same in every approach: what a
//! barrier's chunk future and a gather's task await.

use crate::embedder::check_vector;
use crate::event::Phase;
use crate::outcome::Failure;
use crate::retrieval::index::ChunkFeatures;
use crate::run::Run;
use crate::runtime::sleep_ms;

impl Run<'_> {
    /// Phase 1 of `chunk`: its features, embedded by the model if there is
    /// one, else lexically after a simulated latency drawn from the chunk's
    /// own random stream (so every approach draws the same latencies).
    pub(crate) async fn embed_phase(&self, chunk: usize) -> Result<ChunkFeatures, Failure> {
        let text = self.chunks.text(chunk);
        match self.embedder {
            Some(embedder) => {
                let expected_len = Some(self.query.vector().len());
                let embed = || async move { check_vector(embedder.embed(text).await?, expected_len) };
                let vector = self.phase(chunk, Phase::Embed, None, embed).await;
                vector.map(|vector| ChunkFeatures::lexical(text).with_vector(vector))
            }
            None => {
                let (low, high) = self.config.embed_ms;
                let planned_ms = self.rng(chunk).uniform(low, high) * self.config.time_scale;
                let slept = self.phase(chunk, Phase::Embed, Some(planned_ms), || simulated(planned_ms)).await;
                slept.map(|()| ChunkFeatures::lexical(text))
            }
        }
    }

    /// Phase 2 of `chunk`: its simulated latency. The score itself is read
    /// from the approach's index once this returns.
    pub(crate) async fn score_phase(&self, chunk: usize) -> Result<(), Failure> {
        let planned_ms = self.config.score_ms * self.config.time_scale;
        self.phase(chunk, Phase::Score, Some(planned_ms), || simulated(planned_ms)).await
    }
}

/// A phase's simulated work: a sleep of `ms`, which cannot fail.
async fn simulated(ms: f64) -> Result<(), String> {
    sleep_ms(ms).await;
    Ok(())
}
