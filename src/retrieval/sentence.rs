//! Where sentences end: shared by the chunker (which packs whole sentences)
//! and the answer (which quotes them).

/// Characters that end a sentence when whitespace (or the end) follows.
const TERMINALS: [char; 3] = ['.', '!', '?'];

/// Closing quotes and brackets that may sit between a terminal and the
/// whitespace after it, as in `He said "stop."`; they stay with the sentence.
const CLOSERS: [char; 6] = ['"', '\'', ')', ']', '\u{201D}', '\u{2019}'];

/// The sentences of `text`, trimmed, each keeping its end punctuation.
///
/// A sentence ends at `.`, `!` or `?` (plus any closing quotes or brackets)
/// followed by whitespace or the end of the text. Abbreviations such as
/// "e.g." therefore end a sentence too: a simple rule a reader can predict.
/// Text after the last terminal is a sentence of its own. Never yields an
/// empty sentence.
///
/// ```
/// use rag_phase_sync::retrieval::sentence::sentences;
/// let text = "BM25 needs statistics. Wait for all (really!) Then score 3.5 points";
/// let expected = ["BM25 needs statistics.", "Wait for all (really!)", "Then score 3.5 points"];
/// assert_eq!(sentences(text), expected);
/// ```
pub fn sentences(text: &str) -> Vec<&str> {
    let mut sentences = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if !TERMINALS.contains(&c) {
            continue;
        }
        while chars.next_if(|&(_, next)| CLOSERS.contains(&next)).is_some() {}
        let end = chars.peek().map_or(text.len(), |&(at, _)| at);
        if chars.peek().is_none_or(|&(_, next)| next.is_whitespace()) {
            push_trimmed(&mut sentences, &text[start..end]);
            start = end;
        }
    }
    push_trimmed(&mut sentences, &text[start..]);
    sentences
}

fn push_trimmed<'a>(sentences: &mut Vec<&'a str>, sentence: &'a str) {
    let sentence = sentence.trim();
    if !sentence.is_empty() {
        sentences.push(sentence);
    }
}
