//! Text primitives: tokens, overlap similarity, the stall-pattern score and
//! error classes. Pure functions, no state.

use crate::signature::Signer;
use crate::text_stall::{stall_parts, stall_parts_cued};
use crate::token_memo::TokenMemo;
use crate::token_set::TokenSet;

/// Lower-cased maximal runs of letters and digits, of every script.
///
/// On ASCII text this is exactly `[a-z0-9]+` over the lower-cased text.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_token(text, &mut String::new(), |t| out.push(t.to_string()));
    out
}

/// [`ASCII_CLASS`] of a lower-case letter or a digit.
const WORD: u8 = 1;
/// [`ASCII_CLASS`] of an upper-case letter.
const UPPER: u8 = 2;

/// What each byte of ASCII text is to the tokenizer: 0 between words,
/// [`WORD`] or [`UPPER`] in one.
static ASCII_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = if c.is_ascii_uppercase() {
            UPPER
        } else if c.is_ascii_alphanumeric() {
            WORD
        } else {
            0
        };
        b += 1;
    }
    table
};

/// Call `f` with each token of `text`, lower-cased in `buf` (no allocation
/// once `buf` has grown).
pub fn for_each_token(text: &str, buf: &mut String, mut f: impl FnMut(&str)) {
    if text.is_ascii() {
        // Most messages: bytes are characters, so words are found a byte at
        // a time, each byte classed by one table read, and a word already in
        // lower case is handed over as it is.
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if ASCII_CLASS[usize::from(bytes[i])] == 0 {
                i += 1;
                continue;
            }
            let start = i;
            let mut classes = 0;
            while i < bytes.len() {
                let class = ASCII_CLASS[usize::from(bytes[i])];
                if class == 0 {
                    break;
                }
                classes |= class;
                i += 1;
            }
            // SAFETY: the text is ASCII throughout, so any byte offset is a
            // character boundary.
            let word = unsafe { text.get_unchecked(start..i) };
            if classes & UPPER != 0 {
                buf.clear();
                buf.push_str(word);
                buf.make_ascii_lowercase();
                f(buf);
            } else {
                f(word);
            }
        }
        return;
    }
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()) {
        buf.clear();
        if word.is_ascii() {
            buf.push_str(word);
            buf.make_ascii_lowercase();
        } else {
            buf.extend(word.chars().flat_map(char::to_lowercase));
        }
        f(buf);
    }
}

/// Turns text into sets of token signatures (`HMAC(key, "tok:" + token)`,
/// truncated to 128 bits).
///
/// Signatures of recently seen tokens are remembered ([`TokenMemo`]), so a
/// word the model repeats costs a table lookup instead of an HMAC.
pub struct TokenSigner {
    signer: Signer,
    memo: TokenMemo,
    buf: String,
    /// The signatures of the text being read, before they become a set.
    sigs: Vec<u128>,
    /// Tokens of `text_multilingual` instead of words (`multilingual_text`).
    multilingual: bool,
}

impl TokenSigner {
    pub fn new(signer: Signer) -> TokenSigner {
        TokenSigner { signer, memo: TokenMemo::default(), buf: String::new(), sigs: Vec::new(), multilingual: false }
    }

    /// Take tokens as `multilingual_text` says.
    pub fn multilingual(mut self, on: bool) -> TokenSigner {
        self.multilingual = on;
        self
    }

    /// The set of token signatures of `text`.
    pub fn token_set(&mut self, text: &str) -> TokenSet {
        self.read(text, |_| {})
    }

    /// The set of token signatures of an assistant message, and the
    /// stall patterns' cues among its words ([`crate::text_stall::cue`]),
    /// or-ed: `None` with `multilingual_text`, whose tokens are not words.
    pub fn message_set(&mut self, text: &str) -> (TokenSet, Option<u8>) {
        if self.multilingual {
            return (self.token_set(text), None);
        }
        let mut cues = 0;
        let set = self.read(text, |tok| cues |= crate::text_stall::cue(tok));
        (set, Some(cues))
    }

    /// The set of token signatures of `text`, each token shown to `each` too.
    fn read(&mut self, text: &str, mut each: impl FnMut(&str)) -> TokenSet {
        let TokenSigner { signer, memo, buf, sigs, multilingual } = self;
        sigs.clear();
        let mut sign = |tok: &str| {
            each(tok);
            sigs.push(memo.get_or_sign(tok, |t| signer.token_sig(t)));
        };
        if *multilingual {
            crate::text_multilingual::for_each_token(text, buf, &mut sign);
        } else {
            for_each_token(text, buf, &mut sign);
        }
        let set = TokenSet::from_buffer(sigs);
        // A very long text leaves a large buffer: give it back.
        if sigs.capacity() > 4096 {
            *sigs = Vec::new();
        }
        set
    }
}

/// How much a text reads like a stall: +0.4 for an apology, +0.4 for "still
/// working on it", +0.2 for naming a nuisance; at most 1.0.
pub fn stall_score(text: &str) -> f64 {
    let [apology, still_working, nuisance] = stall_parts(text);
    score_of(apology, still_working, nuisance)
}

/// [`stall_score`] with the phrases of other languages (`multilingual_text`)
/// and the operator's (`stall_phrases`) counted too; each part still counts
/// once. `cues` are those of the text's words when the guard has them
/// ([`TokenSigner::message_set`]): patterns without one are not searched.
pub fn stall_score_with(
    text: &str,
    multilingual: bool,
    extra: &crate::text_phrases::StallPhrases,
    cues: Option<u8>,
) -> f64 {
    let [apology, still_working, nuisance] = match cues {
        Some(cues) => stall_parts_cued(text, cues),
        None => stall_parts(text),
    };
    if !multilingual && extra.is_empty() {
        return score_of(apology, still_working, nuisance);
    }
    use crate::text_phrases::PhraseKind::{Apology, Nuisance, StillWorking};
    let norm = crate::text_multilingual::normalize(text);
    let has = |kind| crate::text_multilingual::has_phrase(kind, &norm, multilingual, extra);
    score_of(apology || has(Apology), still_working || has(StillWorking), nuisance || has(Nuisance))
}

/// +0.4, +0.4 and +0.2 for the parts found, at most 1.0.
fn score_of(apology: bool, still_working: bool, nuisance: bool) -> f64 {
    let mut score: f64 = 0.0;
    if apology {
        score += 0.4;
    }
    if still_working {
        score += 0.4;
    }
    if nuisance {
        score += 0.2;
    }
    score.min(1.0)
}

/// The coarse error class of an `error_code` (see the specification).
pub fn error_class(code: Option<&str>) -> String {
    let Some(code) = code else {
        return "unknown".to_string();
    };
    let c = code.trim().to_lowercase();
    if c.is_empty() {
        return "unknown".to_string();
    }
    match c.as_str() {
        "timeout" | "timed_out" | "read_timeout" | "write_timeout" => return "timeout".to_string(),
        "conn" | "connection" | "connection_error" | "network_error" => return "connection_error".to_string(),
        _ => {}
    }
    if c.bytes().all(|b| b.is_ascii_digit()) {
        return if c.starts_with('5') { "5xx".to_string() } else { c };
    }
    if c.contains("timeout") {
        return "timeout".to_string();
    }
    if c.contains("rate") || c.contains("429") {
        return "429".to_string();
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        tokens(s)
    }

    #[test]
    fn token_sets_agree_with_the_token_definition_and_the_memo() {
        let key = b"k";
        let mut ts = TokenSigner::new(Signer::new(key));
        let plain = Signer::new(key);
        let expected: TokenSet = ["refund", "policy", "eu", "straße"].iter().map(|t| plain.token_sig(t)).collect();
        for _ in 0..2 {
            assert_eq!(ts.token_set("Refund POLICY, eu! Straße refund"), expected);
        }
        let mut seen = Vec::new();
        for_each_token("A bB ÉTÉ", &mut String::new(), |t| seen.push(t.to_string()));
        assert_eq!(seen, ["a", "bb", "été"]);
    }

    proptest::proptest! {
        // The byte scanner of ASCII text finds the words the definition
        // gives: maximal runs of ASCII letters and digits, lower-cased.
        #[test]
        fn ascii_tokens_match_their_definition(text in "[ -~\t\n]{0,80}") {
            let expected: Vec<String> = text
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|t| !t.is_empty())
                .map(str::to_ascii_lowercase)
                .collect();
            proptest::prop_assert_eq!(toks(&text), expected);
        }
    }

    #[test]
    fn ascii_tokens_are_lowercased_alphanumeric_runs() {
        assert_eq!(toks("Refund policy, EU-Germany 2024!"), ["refund", "policy", "eu", "germany", "2024"]);
        assert_eq!(toks("  __a_b__ "), ["a", "b"]);
        assert!(toks("!!! ...").is_empty());
    }

    #[test]
    fn tokens_of_every_script_count() {
        assert_eq!(toks("Straße café Ünïcode"), ["straße", "café", "ünïcode"]);
        assert_eq!(toks("返金 ポリシー"), ["返金", "ポリシー"]);
        assert_eq!(toks("Привет, мир"), ["привет", "мир"]);
    }

    #[test]
    fn overlap_of_texts_is_over_their_tokens() {
        let mut ts = TokenSigner::new(Signer::new(b"k"));
        let mut o = |a: &str, b: &str| ts.token_set(a).overlap(&ts.token_set(b));
        assert_eq!(o("refund policy", "Refund policy EU Germany"), 1.0);
        assert_eq!(o("a b c d", "a b x y"), 0.5);
        assert_eq!(o("", "a"), 0.0);
        assert_eq!(o("a", "b"), 0.0);
    }

    #[test]
    fn stall_score_components() {
        assert_eq!(stall_score("I apologize for that."), 0.4 + 0.0);
        assert!((stall_score("I'm sorry, still checking on the delay") - 1.0).abs() < 1e-12);
        assert_eq!(stall_score("Please wait."), 0.4);
        assert_eq!(stall_score("There is a problem."), 0.2);
        assert_eq!(stall_score("There were delays."), 0.0, "whole words only");
        assert_eq!(stall_score("Your order has shipped."), 0.0);
        assert!((stall_score("Im   sorry,\nlet me\tcheck") - 0.8).abs() < 1e-12, "any whitespace");
        assert!((stall_score("THANK YOU FOR YOUR PATIENCE, apologies") - 0.8).abs() < 1e-12);
        assert_eq!(stall_score("thank you for patience"), 0.4);
        assert_eq!(stall_score("Looking into it now"), 0.4);
        assert_eq!(stall_score("bear with me"), 0.4);
        assert_eq!(stall_score("one moment"), 0.4);
        assert_eq!(stall_score("sorry"), 0.0, "a bare sorry is not an apology phrase");
        assert_eq!(stall_score("stillchecking"), 0.0);
    }

    #[test]
    fn typographic_apostrophe_counts() {
        assert!((stall_score("I\u{2019}m sorry") - 0.4).abs() < 1e-12);
        assert!((stall_score("I\u{2019}m checking") - 0.4).abs() < 1e-12);
    }

    #[test]
    fn error_classes() {
        assert_eq!(error_class(None), "unknown");
        assert_eq!(error_class(Some("")), "unknown");
        for t in ["timeout", " Timed_Out ", "READ_TIMEOUT", "write_timeout", "gateway_timeout"] {
            assert_eq!(error_class(Some(t)), "timeout", "{t}");
        }
        for c in ["conn", "Connection", "connection_error", "network_error"] {
            assert_eq!(error_class(Some(c)), "connection_error", "{c}");
        }
        assert_eq!(error_class(Some("503")), "5xx");
        assert_eq!(error_class(Some("500")), "5xx");
        assert_eq!(error_class(Some("404")), "404");
        assert_eq!(error_class(Some("429")), "429");
        assert_eq!(error_class(Some("rate_limited")), "429");
        assert_eq!(error_class(Some("HTTP429")), "429");
        assert_eq!(error_class(Some("ValueError")), "valueerror");
    }
}
