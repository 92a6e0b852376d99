//! Phase 3's ranking: which chunks are the top k.

use std::cmp::Ordering;

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
    let order = best_first(scores);
    // One pass keeping the best k so far, sorted, instead of sorting all the
    // scores (100,000 of them in a big run) to keep 3. The order is total,
    // so the result is the same k in the same order a full sort would give.
    let mut best: Vec<usize> = Vec::with_capacity(k.min(scores.len()) + 1);
    for chunk in 0..scores.len() {
        if best.len() == k && best.last().is_none_or(|&worst| order(chunk, worst) != Ordering::Less) {
            continue;
        }
        let at = best.partition_point(|&kept| order(kept, chunk) == Ordering::Less);
        best.insert(at, chunk);
        best.truncate(k);
    }
    best
}

/// The ranking order: the higher score first, then the lower index; NaN last.
fn best_first(scores: &[f64]) -> impl Fn(usize, usize) -> Ordering + '_ {
    let key = |score: f64| if score.is_nan() { f64::NEG_INFINITY } else { score };
    move |a: usize, b: usize| key(scores[b]).total_cmp(&key(scores[a])).then(a.cmp(&b))
}

/// [`top_k`], each `key` once: a chunk whose key (its text) equals a
/// better-ranked pick's is passed over. Chunks without a score (NaN) are
/// never picked. Returns the picks, best first, and how many were passed over.
///
/// ```
/// use rag_phase_sync::retrieval::rank::top_k_distinct;
/// let texts = ["a", "b", "a", "c", "b"];
/// let (top, duplicates) = top_k_distinct(&[0.9, 0.8, 0.85, 0.1, 0.7], 3, |chunk| texts[chunk]);
/// assert_eq!((top, duplicates), (vec![0, 1, 3], 2));
/// ```
pub fn top_k_distinct<K: PartialEq>(
    scores: &[f64],
    k: usize,
    key: impl Fn(usize) -> K,
) -> (Vec<usize>, usize) {
    // Usually the top k are distinct already: one pass finds them.
    let quick: Vec<usize> = top_k(scores, k).into_iter().filter(|&chunk| !scores[chunk].is_nan()).collect();
    let distinct = quick.iter().enumerate().all(|(i, &a)| quick[..i].iter().all(|&b| key(a) != key(b)));
    if distinct {
        return (quick, 0);
    }
    let mut picks: Vec<usize> = Vec::with_capacity(k);
    let mut duplicates = 0;
    // How deep the duplicates go is unknown (a repeated corpus repeats the
    // best text thousands of times), so this sorts every score: O(n log n),
    // where top_k's one pass would be O(n * depth).
    let order = best_first(scores);
    let mut ranked: Vec<usize> = (0..scores.len()).filter(|&chunk| !scores[chunk].is_nan()).collect();
    ranked.sort_unstable_by(|&a, &b| order(a, b));
    for chunk in ranked {
        if picks.len() == k {
            break;
        }
        if picks.iter().any(|&pick| key(pick) == key(chunk)) {
            duplicates += 1;
        } else {
            picks.push(chunk);
        }
    }
    (picks, duplicates)
}
