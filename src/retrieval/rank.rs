//! Phase 3's ranking: which chunks are the top k.

/// The indices of the `k` highest `scores`, best first.
///
/// Ties go to the lower index, and NaN (which the scorer never produces)
/// ranks last, so the order is total and the same on every run.
///
/// ```
/// use rag_phase_sync::retrieval::rank::top_k;
/// assert_eq!(top_k(&[0.2, 0.9, 0.5, 0.9], 3), [1, 3, 2]);
/// assert_eq!(top_k(&[0.2], 3), [0]);
/// ```
pub fn top_k(scores: &[f64], k: usize) -> Vec<usize> {
    let key = |score: f64| if score.is_nan() { f64::NEG_INFINITY } else { score };
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| key(scores[b]).total_cmp(&key(scores[a])).then(a.cmp(&b)));
    order.truncate(k);
    order
}
