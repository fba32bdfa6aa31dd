//! The stall-pattern score: an apology, "still working on it", a nuisance
//! named; each pattern a set of phrases between word boundaries.
//!
//! Every assistant message is scored, so the three patterns are matched in
//! one pass over the text instead of three: one automaton holding all
//! three, asked which of them match anywhere. Word boundaries are Unicode's
//! (a letter of any script is part of a word), which the fast automaton can
//! only follow on ASCII text; on other text it would hand over to a search
//! some forty times slower. So a text that is not ASCII is first read with
//! the patterns *without* their boundaries: every match with boundaries is
//! one without them, so a pattern that does not match loosely does not
//! match, and only a loose match (rare: a phrase inside a longer word, or
//! the phrase itself) is checked again with the exact pattern.
//!
//! Most messages match none of the patterns, and most hold none of their
//! words either. Every phrase of a pattern holds one of a few words, its
//! cues ([`cue`]); the tokenizer reads every word of a message already, so
//! it notes the cues it meets, and an ASCII message is searched only for
//! the patterns whose cues it holds, each with its own automaton: a
//! message without cues is not searched at all ([`stall_parts_cued`]).

use std::sync::LazyLock;

use regex_automata::meta::Regex;
use regex_automata::{Input, MatchKind, PatternID, PatternSet};

// Apostrophes: the ASCII one and the typographic one (U+2019).
const APOS: &str = "['\u{2019}]";

const ING: &str = "looking|working|checking|searching|researching|investigating";

/// The phrases of each pattern, in score order: apology, still working,
/// nuisance.
fn phrases() -> [String; 3] {
    [
        format!(r"i\s+apologize|i{APOS}m\s+sorry|im\s+sorry|apologies|sorry\s+for"),
        format!(
            r"still\s+(?:{ING})|let\s+me\s+(?:check|look|try|search|investigate)|i{APOS}?m\s+(?:{ING})|looking\s+into\s+(?:this|it|that)|bear\s+with\s+me|one\s+moment|please\s+wait|thank\s+you\s+for\s+(?:your\s+)?patience"
        ),
        "inconvenience|delay|trouble|difficulty|issue|problem".to_string(),
    ]
}

/// The exact pattern of a set of phrases: case-insensitive, whole words.
fn exact(phrases: &str) -> String {
    format!(r"(?i)\b(?:{phrases})\b")
}

/// The same without its word boundaries (matches wherever `exact` does).
fn loose(phrases: &str) -> String {
    format!(r"(?i)(?:{phrases})")
}

struct Patterns {
    /// The three exact patterns in one automaton.
    exact: Regex,
    /// The three loose patterns in one automaton.
    loose: Regex,
    /// Each exact pattern alone, to confirm a loose match.
    each: [Regex; 3],
}

static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| {
    let p = phrases();
    // Every pattern that matches is wanted, not the leftmost one only.
    // No prefilter: with a hundred case-insensitive literals it can only
    // be the slow kind, and the automaton alone reads a message faster.
    let all = Regex::config().match_kind(MatchKind::All).auto_prefilter(false);
    let build_many = |f: fn(&str) -> String| {
        let patterns: Vec<String> = p.iter().map(|s| f(s)).collect();
        Regex::builder().configure(all.clone()).build_many(&patterns).expect("valid patterns")
    };
    Patterns {
        exact: build_many(exact),
        loose: build_many(loose),
        each: p.each_ref().map(|s| Regex::new(&exact(s)).expect("valid pattern")),
    }
});

/// The patterns whose phrases `word` is a cue of: bit 0 apology, bit 1
/// still working, bit 2 nuisance. `word` is a token as the tokenizer gives
/// it on ASCII text: a maximal run of ASCII letters and digits, lower-cased.
///
/// Each phrase of [`phrases`] holds one of its pattern's cues as a whole
/// word: "sorry", "apologize" or "apologies"; "still", "let", an -ing word
/// of [`ING`], "bear", "moment", "wait" or "patience"; each nuisance word
/// itself. In ASCII text an exact match is bounded by characters that are
/// neither letters, digits nor `_`, and its words are separated by
/// whitespace or an apostrophe, so each of its words (in lower case: the
/// case-insensitive letters of ASCII text are ASCII) is a token of the text.
pub fn cue(word: &str) -> u8 {
    // By length, then by first byte: most words are settled by one or two
    // reads of a table, and a candidate is compared without a call.
    let w = word.as_bytes();
    let Some(candidates) = CUES.get(w.len()) else {
        return 0;
    };
    for (cue, bit) in *candidates {
        if cue[0] == w[0] && crate::short_eq::same(cue, w) {
            return *bit;
        }
    }
    0
}

const APOLOGY: u8 = 1;
const STILL: u8 = 2;
const NUISANCE: u8 = 4;

/// The cues by their length, each with its pattern's bit.
static CUES: [&[(&[u8], u8)]; 14] = [
    &[],
    &[],
    &[],
    &[(b"let", STILL)],
    &[(b"bear", STILL), (b"wait", STILL)],
    &[(b"sorry", APOLOGY), (b"still", STILL), (b"delay", NUISANCE), (b"issue", NUISANCE)],
    &[(b"moment", STILL)],
    &[(b"looking", STILL), (b"working", STILL), (b"trouble", NUISANCE), (b"problem", NUISANCE)],
    &[(b"checking", STILL), (b"patience", STILL)],
    &[(b"apologize", APOLOGY), (b"apologies", APOLOGY), (b"searching", STILL)],
    &[(b"difficulty", NUISANCE)],
    &[(b"researching", STILL)],
    &[],
    &[(b"investigating", STILL), (b"inconvenience", NUISANCE)],
];

/// [`stall_parts`] of an ASCII `text` whose tokens' [`cue`]s, or-ed, are
/// `cues`: a pattern none of whose cues the text holds does not match, and
/// is not searched for; the others are searched for one by one. Any other
/// text is searched as [`stall_parts`] does.
pub fn stall_parts_cued(text: &str, cues: u8) -> [bool; 3] {
    if !text.is_ascii() {
        return stall_parts(text);
    }
    // Each cued pattern alone: its automaton is smaller than the three's,
    // and a leftmost search may stop at the first match.
    let p = &*PATTERNS;
    [0, 1, 2].map(|i| cues & 1 << i != 0 && p.each[i].is_match(text))
}

/// Which of the three patterns (apology, still working, nuisance) match
/// somewhere in `text`.
pub fn stall_parts(text: &str) -> [bool; 3] {
    let p = &*PATTERNS;
    let mut set = PatternSet::new(3);
    let input = Input::new(text);
    if text.is_ascii() {
        p.exact.which_overlapping_matches(&input, &mut set);
        return [0usize, 1, 2].map(|i| set.contains(PatternID::must(i)));
    }
    p.loose.which_overlapping_matches(&input, &mut set);
    [0usize, 1, 2].map(|i| set.contains(PatternID::must(i)) && p.each[i].is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition: each exact pattern searched on its own.
    fn reference(text: &str) -> [bool; 3] {
        phrases().map(|p| regex::Regex::new(&exact(&p)).unwrap().is_match(text))
    }

    #[test]
    fn phrases_next_to_letters_of_other_scripts_are_not_whole_words() {
        for (text, want) in [
            ("I'm sorry about the delay", [true, false, true]),
            ("I\u{2019}m sorry — the delay…", [true, false, true]),
            ("éI'm sorryé", [false, false, false]),
            ("délay, problème, trouble", [false, false, true]),
            ("please wait: 返金", [false, true, false]),
            ("please wait返金", [false, false, false]),
            ("reissued invoices", [false, false, false]),
            ("Thanks — still checking. Bear with me", [false, true, false]),
            ("ſorry for the inconvenience", [true, false, true]),
            ("ÅPOLOGIES", [false, false, false]),
            ("", [false, false, false]),
        ] {
            assert_eq!(stall_parts(text), reference(text), "{text}");
            assert_eq!(stall_parts(text), want, "{text}");
        }
    }

    fn pieces() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "i",
            "I",
            "'",
            "\u{2019}",
            "m",
            "im",
            " ",
            "  ",
            "\n",
            "sorry",
            "SORRY",
            "for",
            "apologize",
            "apologies",
            "still",
            "checking",
            "let",
            "me",
            "check",
            "looking",
            "into",
            "it",
            "bear",
            "with",
            "one",
            "moment",
            "please",
            "wait",
            "thank",
            "you",
            "your",
            "patience",
            "delay",
            "issue",
            "problem",
            "trouble",
            "é",
            "ß",
            "返金",
            "—",
            "ſ",
            "\u{212a}",
            "k",
            "s",
            "x",
            ".",
            ",",
            "_",
            "0",
        ])
        .prop_map(str::to_string)
    }

    /// The cues of a text's tokens, or-ed.
    fn cues_of(text: &str) -> u8 {
        crate::text::tokens(text).iter().fold(0, |c, t| c | cue(t))
    }

    #[test]
    fn each_cue_is_filed_under_its_length() {
        for (len, cues) in CUES.iter().enumerate() {
            for (word, _) in *cues {
                assert_eq!(word.len(), len, "{}", String::from_utf8_lossy(word));
            }
        }
    }

    #[test]
    fn every_cue_is_a_word_of_its_pattern() {
        let p = phrases();
        let words = |i: usize| -> Vec<String> {
            p[i].split(|c: char| !c.is_ascii_alphabetic()).filter(|w| w.len() > 1).map(str::to_string).collect()
        };
        for (i, bit) in [(0, 1), (1, 2), (2, 4)] {
            let w = words(i);
            for cued in w.iter().filter(|x| cue(x) != 0) {
                assert_eq!(cue(cued), bit, "{cued}");
            }
            assert!(w.iter().any(|x| cue(x) == bit), "pattern {i} has cues");
        }
        for (word, want) in [("sorry", 1), ("investigating", 2), ("inconvenience", 4), ("let", 2), ("lets", 0), ("", 0)]
        {
            assert_eq!(cue(word), want, "{word}");
        }
    }

    /// Every text a phrase pattern stands for, written plainly: `\s+` as
    /// one space, a character class as its first character, each
    /// alternative of a group, an optional part with and without it.
    fn instances(pattern: &str) -> Vec<String> {
        fn alternatives(p: &[char], mut i: usize) -> (Vec<String>, usize) {
            let mut all = Vec::new();
            let mut seq = vec![String::new()];
            while i < p.len() && p[i] != ')' {
                let (mut part, next) = match p[i] {
                    '|' => {
                        all.append(&mut seq);
                        seq = vec![String::new()];
                        i += 1;
                        continue;
                    }
                    '(' => {
                        let (inner, end) = alternatives(p, i + 3); // after "(?:"
                        (inner, end + 1)
                    }
                    '\\' => (vec![" ".to_string()], i + 3), // \s+
                    '[' => {
                        let end = i + p[i..].iter().position(|c| *c == ']').unwrap();
                        (vec![p[i + 1].to_string()], end + 1)
                    }
                    c => (vec![c.to_string()], i + 1),
                };
                i = next;
                if p.get(i) == Some(&'?') {
                    part.push(String::new());
                    i += 1;
                }
                seq = seq.iter().flat_map(|a| part.iter().map(move |b| format!("{a}{b}"))).collect();
            }
            all.append(&mut seq);
            (all, i)
        }
        let chars: Vec<char> = pattern.chars().collect();
        alternatives(&chars, 0).0
    }

    #[test]
    fn every_phrase_holds_a_cue_of_its_pattern() {
        for (i, p) in phrases().iter().enumerate() {
            let all = instances(p);
            assert!(all.len() >= 5, "{all:?}");
            for text in all {
                let want = reference(&text);
                assert!(want[i], "{text:?} is a phrase of pattern {i}");
                assert_ne!(cues_of(&text) & 1 << i, 0, "{text:?} holds no cue of pattern {i}");
                assert_eq!(stall_parts_cued(&text, cues_of(&text)), want, "{text:?}");
            }
        }
    }

    #[test]
    fn a_message_without_cues_is_not_searched_and_one_with_them_is() {
        let calm = "Your order left the warehouse on Monday and arrives on Thursday.";
        assert_eq!(cues_of(calm), 0);
        assert_eq!(stall_parts_cued(calm, 0), [false; 3]);
        let stalling = "Sorry for the delay, I'm still checking on it.";
        assert_eq!(cues_of(stalling), 7);
        assert_eq!(stall_parts_cued(stalling, cues_of(stalling)), [true, true, true]);
        // A cue is not a match: "let us" is no phrase.
        assert_eq!(stall_parts_cued("let us see", cues_of("let us see")), [false; 3]);
        // Text that is not ASCII is searched whatever the cues say.
        assert_eq!(stall_parts_cued("I’m sorry", 0), [true, false, false]);
    }

    /// The words of every phrase, words near them, and what may join them
    /// (ASCII only: the cues are used on ASCII text).
    fn phrase_pieces() -> impl Strategy<Value = String> {
        let words = phrases()
            .iter()
            .flat_map(|p| {
                p.split(|c: char| !c.is_ascii_alphabetic())
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .chain(
                ["Sorry", "STILL", "sorrys", "lets", "waiting", "_delay", "delay_", "x1", "m", "i"].map(str::to_string),
            )
            .collect::<Vec<_>>();
        let joins = vec![" ", "  ", "\t", "\n", "'", "-", "_", ".", ",", "", "0"]
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>();
        (prop::sample::select(words), prop::sample::select(joins)).prop_map(|(w, j)| format!("{w}{j}"))
    }

    proptest! {
        #[test]
        fn one_pass_finds_what_each_pattern_finds(parts in prop::collection::vec(pieces(), 0..24)) {
            let text = parts.concat();
            prop_assert_eq!(stall_parts(&text), reference(&text), "{:?}", text);
            prop_assert_eq!(stall_parts_cued(&text, cues_of(&text)), reference(&text), "{:?}", text);
        }

        // Every phrase, however its words are written and joined: a text
        // made of them (and of words close to them) is scored alike with
        // and without the cues.
        #[test]
        fn cues_never_hide_a_match(parts in prop::collection::vec(phrase_pieces(), 0..16)) {
            let text = parts.concat();
            prop_assert_eq!(stall_parts_cued(&text, cues_of(&text)), reference(&text), "{:?}", text);
        }

        #[test]
        fn any_text_gives_the_parts_each_pattern_gives(text in "\\PC{0,40}") {
            prop_assert_eq!(stall_parts(&text), reference(&text), "{:?}", text);
        }
    }
}
