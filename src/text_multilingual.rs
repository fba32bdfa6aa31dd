//! Tokens and stall scores for text in every language (`multilingual_text`).
//!
//! The text is normalized to NFC and lower-cased before it is split, so the
//! same word typed with a precomposed or a combining accent, or in another
//! case, gives the same token. A token is a maximal run of letters, digits
//! and combining marks (a mark stays inside its word). Scripts written
//! without spaces between words (Han, Hiragana, Katakana, Thai, Lao, Khmer,
//! Myanmar) give overlapping character bigrams instead, so two rewordings
//! of a Chinese query share tokens as two English ones share words. ASCII
//! text gives exactly the tokens of [`crate::text::tokens`].

use std::borrow::Cow;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use crate::text_phrases::{PhraseKind, StallPhrases, BUILT_IN};

/// Whether `c` belongs to a script written without spaces between words.
pub fn is_unspaced(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF      // Thai, Lao
        | 0x1000..=0x109F    // Myanmar
        | 0x1780..=0x17FF    // Khmer
        | 0x3040..=0x30FF    // Hiragana, Katakana
        | 0x31F0..=0x31FF    // Katakana phonetic extensions
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0xFF66..=0xFF9F    // half-width Katakana
        | 0x20000..=0x3FFFF // CJK extensions B and later
    )
}

/// NFC, then lower case (and NFC again when lower-casing broke it).
pub fn normalize(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let nfc: Cow<str> = match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => Cow::Borrowed(text),
        _ => Cow::Owned(text.nfc().collect()),
    };
    let lower = nfc.to_lowercase();
    match is_nfc_quick(lower.chars()) {
        IsNormalized::Yes => lower,
        _ => lower.nfc().collect(),
    }
}

fn in_word(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Call `f` with each token of `text` (see the module documentation).
pub fn for_each_token(text: &str, buf: &mut String, mut f: impl FnMut(&str)) {
    let text = normalize(text);
    for word in text.split(|c: char| !in_word(c)).filter(|w| !w.is_empty()) {
        if word.is_ascii() || !word.chars().any(is_unspaced) {
            f(word);
            continue;
        }
        each_segment(word, buf, &mut f);
    }
}

/// A word that holds unspaced script: its spaced parts as words, its
/// unspaced parts as bigrams of characters (a character with the marks that
/// follow it); an unspaced part of one character is a token by itself.
fn each_segment(word: &str, buf: &mut String, f: &mut impl FnMut(&str)) {
    // Characters, each with its trailing combining marks, and whether unspaced.
    let mut units: Vec<(&str, bool)> = Vec::new();
    let mut start = 0;
    let mut unspaced = false;
    for (i, c) in word.char_indices() {
        if i > 0 && !is_combining_mark(c) {
            units.push((&word[start..i], unspaced));
            start = i;
        }
        if !is_combining_mark(c) {
            unspaced = is_unspaced(c);
        }
    }
    units.push((&word[start..], unspaced));
    let mut i = 0;
    while i < units.len() {
        let kind = units[i].1;
        let mut j = i;
        while j < units.len() && units[j].1 == kind {
            j += 1;
        }
        let run = &units[i..j];
        if !kind {
            buf.clear();
            run.iter().for_each(|(u, _)| buf.push_str(u));
            f(buf);
        } else if run.len() == 1 {
            f(run[0].0);
        } else {
            for pair in run.windows(2) {
                buf.clear();
                buf.push_str(pair[0].0);
                buf.push_str(pair[1].0);
                f(buf);
            }
        }
        i = j;
    }
}

/// The tokens of `text`, as a list (for tests and tools).
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_token(text, &mut String::new(), |t| out.push(t.to_string()));
    out
}

/// Whether `text` holds a stall phrase of `kind` in any of the built-in
/// languages (only with `multilingual_text`) or among the operator's.
pub fn has_phrase(kind: PhraseKind, normalized: &str, multilingual: bool, extra: &StallPhrases) -> bool {
    (multilingual && BUILT_IN.matches(kind, normalized)) || extra.matches(kind, normalized)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unspaced_scripts_give_bigrams() {
        assert_eq!(tokens("退款政策"), ["退款", "款政", "政策"]);
        assert_eq!(tokens("返金 ポリシー"), ["返金", "ポリ", "リシ", "シー"]);
        assert_eq!(tokens("นโยบายคืนเงิน").len(), "นโยบายคืนเงิน".chars().filter(|c| !is_combining_mark(*c)).count() - 1);
        assert_eq!(tokens("字"), ["字"], "one character is its own token");
        assert_eq!(tokens("iPhone15の返品"), ["iphone15", "の返", "返品"], "mixed words split by script");
    }

    #[test]
    fn combining_marks_stay_in_words_and_nfc_makes_forms_equal() {
        // "café" with a combining acute, and precomposed.
        assert_eq!(tokens("Cafe\u{301} noir"), ["caf\u{e9}", "noir"]);
        assert_eq!(tokens("CAFÉ"), tokens("cafe\u{301}"));
        // Devanagari vowel signs are marks: the word is not cut at them.
        assert_eq!(tokens("नमस्ते दुनिया"), ["नमस्ते", "दुनिया"]);
        // Under the word tokenizer the mark cuts the word.
        assert_ne!(crate::text::tokens("नमस्ते"), ["नमस्ते"]);
    }

    #[test]
    fn lower_case_comes_before_splitting() {
        assert_eq!(tokens("ÉTÉ Straße ΣΟΦΊΑ"), ["été", "straße", "σοφία"]);
    }

    #[test]
    fn thai_marks_join_their_character_in_a_bigram() {
        // กิ = ก + sara i (a combining mark): one unit.
        assert_eq!(tokens("กิน"), ["กิน"]);
    }

    proptest! {
        #[test]
        fn ascii_text_gives_exactly_the_word_tokens(s in "[ -~\\t\\n]{0,80}") {
            prop_assert_eq!(tokens(&s), crate::text::tokens(&s));
        }

        #[test]
        fn ascii_bytes_of_any_kind_give_the_word_tokens(bytes in proptest::collection::vec(0u8..128, 0..120)) {
            let s = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(tokens(&s), crate::text::tokens(&s));
        }
    }
}
