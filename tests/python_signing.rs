//! Differential test of the signing rules against the reference: Python's
//! `json` and `hmac` modules compute `args_sig` for the same argument texts,
//! and both of the guard's paths (the text scanner behind the C API and
//! every wrapper, and the parsed-value path of the Rust API) must agree
//! with it, byte for byte.

use std::io::Write;
use std::process::{Command, Stdio};

use auraguard::json_scan::Scanner;
use auraguard::signature::{hex, Signer};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

const KEY: &str = "differential-key";

/// The reference rule, in Python: canonical JSON as `json.dumps` writes it
/// after `json.loads`, HMAC-SHA256 under the key.
const PYTHON: &str = r#"
import hmac, hashlib, json, sys
key = sys.argv[1].encode()
for line in sys.stdin:
    canon = json.dumps(json.loads(line), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    sig = hmac.new(key, ("args:" + canon).encode(), hashlib.sha256).hexdigest()
    print(sig + " " + canon)
"#;

fn python_sigs(lines: &[String]) -> Vec<(String, String)> {
    let mut child = Command::new("python3")
        .args(["-c", PYTHON, KEY])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs (make deps installs it)");
    // Written from another thread: Python answers while it reads, and a
    // full pipe either way would stop both.
    let mut stdin = child.stdin.take().unwrap();
    let input: Vec<String> = lines.to_vec();
    let writer = std::thread::spawn(move || {
        for l in input {
            writeln!(stdin, "{l}").unwrap();
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "python3 failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (sig, canon) = l.split_once(' ').unwrap();
            (sig.to_string(), canon.to_string())
        })
        .collect()
}

fn ours_by_text(text: &str) -> (String, String) {
    let signer = Signer::new(KEY.as_bytes());
    let mut out = String::from("args:");
    Scanner::new().canonical_args(text, None, &mut out).expect("valid arguments");
    (hex(&signer.sign(&[out.as_bytes()])), out["args:".len()..].to_string())
}

fn ours_by_value(text: &str) -> String {
    let signer = Signer::new(KEY.as_bytes());
    let v: Value = serde_json::from_str(text).unwrap();
    hex(&signer.args_sig(v.as_object().unwrap(), None, &mut String::new()))
}

fn assert_agree(lines: &[String]) {
    let theirs = python_sigs(lines);
    assert_eq!(theirs.len(), lines.len());
    for (line, (sig, canon)) in lines.iter().zip(theirs) {
        let (our_sig, our_canon) = ours_by_text(line);
        assert_eq!(our_canon, canon, "canonical form of {line}");
        assert_eq!(our_sig, sig, "args_sig by text of {line}");
        if !canon.contains("Infinity") {
            assert_eq!(ours_by_value(line), sig, "args_sig by value of {line}");
        }
    }
}

#[test]
fn numbers_sign_as_the_reference_signs_them() {
    let numbers = [
        "0",
        "-0",
        "7",
        "-7",
        "9007199254740993",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775809",
        "123456789012345678901",
        "123456789012345678902",
        "1.0",
        "1.00",
        "10e-1",
        "-0.0",
        "0.0",
        "1e2",
        "1E+2",
        "1e-2",
        "0.0001",
        "0.00001",
        "1.5e-7",
        "1e15",
        "1e16",
        "1e22",
        "1e23",
        "123456789012345678.0",
        "0.1",
        "0.30000000000000004",
        "2.5e-310",
        "5e-324",
        "1e-400",
        "1.7976931348623157e308",
        "1e400",
        "-1e400",
        "3.141592653589793238462643383279",
        // Floats already written as repr writes them, which the scanner
        // copies as they are, and their neighbours just past its limits.
        "10.99",
        "-3.25",
        "12.0",
        "1000000000000000.0",
        "123456789012345.0",
        "12345678901234.5",
        "0.000123456789012345",
        "0.123456789012345",
        "8.005002000000201",
        "9007199254740993.0",
        "10.50",
    ];
    let lines: Vec<String> = numbers.iter().map(|n| format!("{{\"n\":{n},\"list\":[{n},{{\"x\":{n}}}]}}")).collect();
    assert_agree(&lines);
}

#[test]
fn two_order_numbers_beyond_64_bits_sign_differently() {
    let a = ours_by_text(r#"{"order": 123456789012345678901}"#).0;
    let b = ours_by_text(r#"{"order": 123456789012345678902}"#).0;
    assert_ne!(a, b);
    assert_eq!(ours_by_value(r#"{"order": 123456789012345678901}"#), a);
}

#[test]
fn random_arguments_sign_as_the_reference_signs_them() {
    let number = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        "-?[1-9][0-9]{18,40}",
        any::<u64>().prop_map(f64::from_bits).prop_filter("finite", |f| f.is_finite()).prop_map(|f| format!("{f:e}")),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| format!("{f:?}")),
        "-?(0|[1-9][0-9]{0,3})\\.[0-9]{1,20}([eE][+-]?[0-9]{1,3})?",
        // Around the 15 significant digits a float may have to be copied as it is.
        "-?(0|[1-9][0-9]{0,16})\\.0{0,4}[0-9]{0,16}[1-9]",
    ];
    let key = "[a-zé\\u{1F600}\"\\\\\\n]{0,4}";
    let leaf = prop_oneof![
        number,
        Just("null".to_string()),
        Just("true".to_string()),
        key.prop_map(|s| serde_json::to_string(&s).unwrap()),
    ];
    let value = leaf.prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec((key.prop_map(|k| serde_json::to_string(&k).unwrap()), inner), 0..4).prop_map(
                |m| format!("{{{}}}", m.into_iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", "))
            ),
        ]
    });
    let args = prop::collection::vec(("[a-z]{1,3}", value), 0..5).prop_map(|m| {
        format!("{{{}}}", m.into_iter().map(|(k, v)| format!("\"{k}\": {v}")).collect::<Vec<_>>().join(", "))
    });
    // One Python process for the whole batch.
    let mut runner = TestRunner::new(Config { failure_persistence: None, ..Config::default() });
    let lines: Vec<String> = (0..20_000).map(|_| args.new_tree(&mut runner).unwrap().current()).collect();
    // Duplicate keys: Python keeps the last, as the guard does.
    let mut lines = lines;
    lines.push(r#"{"a": 1, "a": 123456789012345678901}"#.to_string());
    assert_agree(&lines);
}
