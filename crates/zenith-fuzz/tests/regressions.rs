//! Every input in the fuzz corpus (`fuzz/corpus/<target>/`), including each one that once
//! broke a property, keeps its properties.

use std::path::Path;

use zenith_capture::Format;

fn each_input(target: &str, check: impl Fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no corpus in {}", dir.display());
    for input in inputs {
        let data = std::fs::read(&input).unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&data)));
        assert!(outcome.is_ok(), "{} breaks a property", input.display());
    }
}

#[test]
fn har_reader() {
    each_input("har_reader", |data| zenith_fuzz::reader(Format::Har, data));
}

#[test]
fn jsonl_reader() {
    each_input("jsonl_reader", |data| zenith_fuzz::reader(Format::Jsonl, data));
}

#[test]
fn one_pass() {
    each_input("one_pass", zenith_fuzz::one_pass);
}

#[test]
fn redact() {
    each_input("redact", zenith_fuzz::redact);
}

#[test]
fn pcap_reader() {
    each_input("pcap_reader", |data| zenith_fuzz::reader(Format::Pcap, data));
}
