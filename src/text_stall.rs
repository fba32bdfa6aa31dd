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

    proptest! {
        #[test]
        fn one_pass_finds_what_each_pattern_finds(parts in prop::collection::vec(pieces(), 0..24)) {
            let text = parts.concat();
            prop_assert_eq!(stall_parts(&text), reference(&text), "{:?}", text);
        }

        #[test]
        fn any_text_gives_the_parts_each_pattern_gives(text in "\\PC{0,40}") {
            prop_assert_eq!(stall_parts(&text), reference(&text), "{:?}", text);
        }
    }
}
