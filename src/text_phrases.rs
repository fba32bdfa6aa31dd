//! Stall phrases beyond English: the built-in ones of nine languages (used
//! with `multilingual_text`) and the ones an operator adds (`stall_phrases`).
//! They feed the same three parts of the stall score as the English
//! patterns: an apology, "still working on it", a nuisance named.

use std::sync::LazyLock;

use regex::Regex;

/// The three parts of the stall score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhraseKind {
    Apology,
    StillWorking,
    Nuisance,
}

impl PhraseKind {
    pub fn from_name(name: &str) -> Option<PhraseKind> {
        match name {
            "apology" => Some(PhraseKind::Apology),
            "still_working" => Some(PhraseKind::StillWorking),
            "nuisance" => Some(PhraseKind::Nuisance),
            _ => None,
        }
    }
}

// Spanish, German, French, Portuguese, Italian, Dutch, Japanese, Chinese
// (simplified and traditional) and Korean, written lower-case and in NFC as
// the text they are matched against is.
const APOLOGY: &[&str] = &[
    "lo siento",
    "disculpe",
    "disculpa",
    "perdón por",
    "lamento la",
    "lamento el",
    "mis disculpas",
    "es tut mir leid",
    "entschuldigung",
    "entschuldigen sie",
    "ich entschuldige mich",
    "je suis désolé",
    "je suis désolée",
    "toutes mes excuses",
    "je m'excuse",
    "je m’excuse",
    "desculpe",
    "sinto muito",
    "peço desculpas",
    "lamento pelo",
    "lamento pela",
    "mi dispiace",
    "mi scusi",
    "chiedo scusa",
    "ci scusiamo",
    "het spijt me",
    "sorry voor",
    "mijn excuses",
    "excuses voor",
    "申し訳",
    "すみません",
    "ごめんなさい",
    "抱歉",
    "对不起",
    "對不起",
    "不好意思",
    "죄송합니다",
    "죄송해요",
    "미안합니다",
];

const STILL_WORKING: &[&str] = &[
    "sigo buscando",
    "sigo revisando",
    "sigo verificando",
    "todavía estoy",
    "déjame revisar",
    "déjeme revisar",
    "déjeme verificar",
    "un momento",
    "por favor espere",
    "gracias por su paciencia",
    "gracias por tu paciencia",
    "ich prüfe noch",
    "ich suche noch",
    "ich schaue noch",
    "einen moment",
    "bitte warten sie",
    "danke für ihre geduld",
    "lassen sie mich",
    "je vérifie encore",
    "je continue de chercher",
    "je cherche encore",
    "un instant",
    "veuillez patienter",
    "merci de votre patience",
    "laissez-moi vérifier",
    "ainda estou verificando",
    "ainda estou procurando",
    "deixe-me verificar",
    "um momento",
    "por favor aguarde",
    "obrigado pela paciência",
    "sto ancora controllando",
    "sto ancora cercando",
    "lasciami controllare",
    "un attimo",
    "attenda",
    "grazie per la pazienza",
    "ik ben nog aan het zoeken",
    "ik kijk nog",
    "even geduld",
    "een moment",
    "laat me even kijken",
    "bedankt voor uw geduld",
    "確認中",
    "少々お待ち",
    "お待ちください",
    "調べています",
    "正在查询",
    "正在檢查",
    "正在检查",
    "请稍等",
    "請稍等",
    "感谢您的耐心",
    "확인 중",
    "잠시만 기다려",
    "기다려 주셔서 감사",
];

const NUISANCE: &[&str] = &[
    "inconveniente",
    "inconvenientes",
    "retraso",
    "molestia",
    "molestias",
    "problema",
    "problemas",
    "unannehmlichkeiten",
    "verzögerung",
    "problem",
    "désagrément",
    "retard",
    "problème",
    "atraso",
    "transtorno",
    "ritardo",
    "disagio",
    "ongemak",
    "vertraging",
    "probleem",
    "ご迷惑",
    "遅延",
    "不便",
    "延迟",
    "延誤",
    "불편",
    "지연",
];

/// Whether a phrase's edge character needs a word boundary: letters and
/// digits of the scripts written with spaces between words, up to Armenian.
/// Others (Japanese, Chinese, Korean endings) join the next word directly.
fn bounded(c: char) -> bool {
    c.is_alphanumeric() && (c as u32) < 0x0590
}

/// One regex matching any of `phrases` (already lower-case), whitespace
/// inside a phrase matching any run of whitespace.
fn compile(phrases: &[String]) -> Result<Option<Regex>, String> {
    if phrases.is_empty() {
        return Ok(None);
    }
    let mut alternatives = Vec::with_capacity(phrases.len());
    for p in phrases {
        let words: Vec<String> = p.split_whitespace().map(regex::escape).collect();
        let mut alt = words.join(r"\s+");
        if p.trim().chars().next().is_some_and(bounded) {
            alt.insert_str(0, r"\b");
        }
        if p.trim().chars().last().is_some_and(bounded) {
            alt.push_str(r"\b");
        }
        alternatives.push(alt);
    }
    Regex::new(&format!("(?:{})", alternatives.join("|"))).map(Some).map_err(|e| e.to_string())
}

/// Compiled phrases of the three kinds (each absent when it has none).
#[derive(Debug, Clone, Default)]
pub struct StallPhrases {
    apology: Option<Regex>,
    still_working: Option<Regex>,
    nuisance: Option<Regex>,
}

/// Phrases are matched against NFC, lower-case text: write them the same way.
fn normalized(p: &str) -> String {
    crate::text_multilingual::normalize(p)
}

impl StallPhrases {
    pub fn new(lists: &[(PhraseKind, Vec<String>)]) -> Result<StallPhrases, String> {
        let of = |kind: PhraseKind| -> Vec<String> {
            lists.iter().filter(|(k, _)| *k == kind).flat_map(|(_, l)| l.iter().map(|p| normalized(p))).collect()
        };
        Ok(StallPhrases {
            apology: compile(&of(PhraseKind::Apology))?,
            still_working: compile(&of(PhraseKind::StillWorking))?,
            nuisance: compile(&of(PhraseKind::Nuisance))?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.apology.is_none() && self.still_working.is_none() && self.nuisance.is_none()
    }

    /// Whether `text` (normalized, lower-case) holds a phrase of `kind`.
    pub fn matches(&self, kind: PhraseKind, text: &str) -> bool {
        let re = match kind {
            PhraseKind::Apology => &self.apology,
            PhraseKind::StillWorking => &self.still_working,
            PhraseKind::Nuisance => &self.nuisance,
        };
        re.as_ref().is_some_and(|re| re.is_match(text))
    }
}

/// The built-in phrases of the nine languages.
pub static BUILT_IN: LazyLock<StallPhrases> = LazyLock::new(|| {
    let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    StallPhrases::new(&[
        (PhraseKind::Apology, own(APOLOGY)),
        (PhraseKind::StillWorking, own(STILL_WORKING)),
        (PhraseKind::Nuisance, own(NUISANCE)),
    ])
    .expect("the built-in phrases compile")
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_match_whole_words_in_spaced_scripts_and_anywhere_in_cjk() {
        let p = &*BUILT_IN;
        assert!(p.matches(PhraseKind::Apology, "lo siento mucho"));
        assert!(!p.matches(PhraseKind::Apology, "alo sientos"), "whole words only");
        assert!(p.matches(PhraseKind::StillWorking, "un\tmomento, por favor"));
        assert!(p.matches(PhraseKind::Apology, "申し訳ございません"));
        assert!(p.matches(PhraseKind::StillWorking, "現在確認中です"));
        assert!(p.matches(PhraseKind::Nuisance, "ご迷惑をおかけして"));
        assert!(p.matches(PhraseKind::Apology, "죄송합니다"));
        assert!(p.matches(PhraseKind::StillWorking, "확인 중입니다"), "Korean endings attach to the phrase");
        assert!(!p.matches(PhraseKind::Apology, "su pedido ha sido enviado"));
    }

    #[test]
    fn each_language_names_an_apology_a_wait_and_a_nuisance_and_plain_replies_match_none() {
        use PhraseKind::*;
        // (language, apology, still working, nuisance, a plain answer)
        let cases = [
            ("es", "lo siento", "un momento, por favor", "disculpe el retraso", "su pedido llega el martes"),
            ("de", "es tut mir leid", "einen moment bitte", "die verzögerung", "ihre bestellung kommt am dienstag"),
            ("fr", "je suis désolé", "veuillez patienter", "ce retard", "votre commande arrive mardi"),
            ("pt", "sinto muito", "por favor aguarde", "o atraso", "seu pedido chega na terça"),
            ("it", "mi dispiace", "un attimo", "il ritardo", "il suo ordine arriva martedì"),
            ("nl", "het spijt me", "even geduld", "de vertraging", "uw bestelling komt dinsdag"),
            ("ja", "申し訳ありません", "少々お待ちください", "遅延", "ご注文は火曜日に届きます"),
            ("zh", "抱歉", "请稍等", "延迟", "您的订单周二到达"),
            ("ko", "죄송합니다", "잠시만 기다려 주세요", "불편을", "주문은 화요일에 도착합니다"),
        ];
        let p = &*BUILT_IN;
        for (lang, apology, waiting, nuisance, plain) in cases {
            let norm = normalized;
            assert!(p.matches(Apology, &norm(apology)), "{lang}: apology {apology:?}");
            assert!(p.matches(StillWorking, &norm(waiting)), "{lang}: still working {waiting:?}");
            assert!(p.matches(Nuisance, &norm(nuisance)), "{lang}: nuisance {nuisance:?}");
            for kind in [Apology, StillWorking, Nuisance] {
                assert!(!p.matches(kind, &norm(plain)), "{lang}: {plain:?} is no {kind:?}");
            }
        }
        // Capitals and decomposed accents match once the text is normalized.
        assert!(p.matches(Apology, &normalized("JE SUIS DE\u{301}SOLE\u{301}")));
    }

    #[test]
    fn operator_phrases_are_normalized_like_the_text() {
        let p =
            StallPhrases::new(&[(PhraseKind::Apology, vec!["Mea  Culpa".into(), "Cafe\u{301} oops".into()])]).unwrap();
        assert!(p.matches(PhraseKind::Apology, "well, mea culpa."));
        assert!(p.matches(PhraseKind::Apology, "caf\u{e9} oops"), "NFC on both sides");
        assert!(!p.matches(PhraseKind::StillWorking, "mea culpa"));
        assert!(
            StallPhrases::new(&[(PhraseKind::Nuisance, vec!["a.b*(".into()])])
                .unwrap()
                .matches(PhraseKind::Nuisance, "x a.b*( y"),
            "phrases are literal text, not patterns"
        );
    }
}
