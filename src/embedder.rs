//! The seam for a real embedding model: anything that turns text into a
//! vector, asynchronously. In the browser it is the `embed` option, a JS
//! function; without one, Phase 1 uses the lexical hashed embedding.

use futures::future::LocalBoxFuture;

/// Turns text into an embedding vector, asynchronously.
///
/// ```
/// use futures::future::{FutureExt, LocalBoxFuture};
/// use rag_phase_sync::Embedder;
/// /// A toy model: the text's length and its count of 'e'.
/// struct Toy;
/// impl Embedder for Toy {
///     fn embed<'a>(&'a self, text: &'a str) -> LocalBoxFuture<'a, Result<Vec<f32>, String>> {
///         let vector = vec![text.len() as f32, text.matches('e').count() as f32];
///         async move { Ok(vector) }.boxed_local()
///     }
/// }
/// ```
pub trait Embedder {
    /// `text`'s vector, or why there is none.
    fn embed<'a>(&'a self, text: &'a str) -> LocalBoxFuture<'a, Result<Vec<f32>, String>>;
}

/// Accepts a vector an embedder returned if it is usable: not empty, every
/// value finite, and (when `expected_len` is given: the query's length) the
/// same length as the others, since cosine compares them component by component.
///
/// ```
/// use rag_phase_sync::check_vector;
/// assert!(check_vector(vec![0.5, 1.0], Some(2)).is_ok());
/// assert_eq!(
///     check_vector(vec![0.5], Some(2)).unwrap_err(),
///     "embed returned 1 number, but the query's vector has 2"
/// );
/// ```
pub fn check_vector(vector: Vec<f32>, expected_len: Option<usize>) -> Result<Vec<f32>, String> {
    if vector.is_empty() {
        return Err("embed returned an empty vector".into());
    }
    if let Some(expected) = expected_len.filter(|&expected| expected != vector.len()) {
        let numbers = if vector.len() == 1 { "number" } else { "numbers" };
        return Err(format!(
            "embed returned {} {numbers}, but the query's vector has {expected}",
            vector.len()
        ));
    }
    if let Some(index) = vector.iter().position(|value| !value.is_finite()) {
        return Err(format!("embed returned {} at index {index}; every value must be finite", vector[index]));
    }
    Ok(vector)
}
