//! Text helpers for messages about values: near misses and suggestions, excerpts, lengths.

use serde_json::Value;
use zenith_vocab::JsonType;

/// The listed value a wrong one most likely meant: a near miss, or a listed value it spells out
/// in full (`Subscribe` for `Sub`, `Unsubscribe` for `Unsub`).
pub fn suggestion<'a>(value: &str, known: &[&'a str]) -> Option<&'a str> {
    near_miss(value, known).or_else(|| {
        let lower = value.to_ascii_lowercase();
        known
            .iter()
            .filter(|k| k.len() >= 3 && lower.starts_with(&k.to_ascii_lowercase()))
            .max_by_key(|k| k.len())
            .copied()
    })
}

/// The listed code an unlisted one most likely meant: a near miss, or, in a table whose codes
/// all share one prefix, the one code that is `value` with that prefix (`Flag.PDS` for `PDS`).
pub fn code_suggestion<'a>(value: &str, known: &[&'a str]) -> Option<&'a str> {
    near_miss(value, known).or_else(|| {
        let prefix = known.first()?.split_once('.')?.0;
        let unprefixed = |code: &'a str| code.strip_prefix(prefix).and_then(|rest| rest.strip_prefix('.'));
        if !known.iter().all(|code| unprefixed(code).is_some()) {
            return None;
        }
        let mut matching = known.iter().filter(|code| unprefixed(code).is_some_and(|n| n.eq_ignore_ascii_case(value)));
        match (matching.next(), matching.next()) {
            (Some(code), None) => Some(code),
            _ => None,
        }
    })
}

/// At most 40 characters of `text`, marked when cut.
pub fn excerpt(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The documented name `word` is a near miss of: equal ignoring case, or one or two edits
/// (insertions, deletions, substitutions, swaps of neighbours) away, ignoring case.
pub fn near_miss<'a>(word: &str, documented: &[&'a str]) -> Option<&'a str> {
    if let Some(exact) = documented.iter().find(|d| d.eq_ignore_ascii_case(word)) {
        return Some(exact);
    }
    // Very short names are too easy to confuse by accident.
    let length = word.chars().count();
    if length < 4 {
        return None;
    }
    // A name more than two bytes longer or shorter than every documented one is no near miss;
    // leaving it out early also keeps the letter counts below small.
    if documented.iter().all(|d| d.len().abs_diff(word.len()) > 2) {
        return None;
    }
    let counts = letter_counts(word);
    documented
        .iter()
        .filter(|d| d.len().abs_diff(word.len()) <= 2 && letters_close(&counts, d))
        .map(|d| (edit_distance(word, d), *d))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, d)| d)
}

/// Letter counts (folded into 32 buckets), for a cheap necessary condition on edit distance:
/// each edit changes the counts by at most two, so two edits by at most four in all.
fn letter_counts(text: &str) -> [i16; 32] {
    let mut counts = [0i16; 32];
    for byte in text.bytes() {
        counts[usize::from(byte.to_ascii_lowercase() % 32)] += 1;
    }
    counts
}

fn letters_close(word: &[i16; 32], other: &str) -> bool {
    let mut counts = *word;
    for byte in other.bytes() {
        counts[usize::from(byte.to_ascii_lowercase() % 32)] -= 1;
    }
    counts.iter().map(|c| c.unsigned_abs()).sum::<u16>() <= 4
}

/// Optimal string alignment distance, ignoring case.
fn edit_distance(a: &str, b: &str) -> usize {
    if a.is_ascii() && b.is_ascii() && a.len() < 32 && b.len() < 32 {
        return ascii_edit_distance(a.as_bytes(), b.as_bytes());
    }
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let width = b.len() + 1;
    // Rows i-2, i-1 and i of the table, one after another.
    let mut rows = vec![0usize; 3 * width];
    for (j, cell) in rows[width..2 * width].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows.copy_within(width.., 0);
        let (older, current) = rows.split_at_mut(2 * width);
        let (before, previous) = older.split_at(width);
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1).min(current[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
    }
    rows[3 * width - 1]
}

/// [`edit_distance`] for short ASCII names (property names), on the stack. Gives up (returning
/// 3) as soon as every alignment is more than two edits away.
fn ascii_edit_distance(a: &[u8], b: &[u8]) -> usize {
    const W: usize = 32;
    let mut x = [0u8; W];
    let mut y = [0u8; W];
    for (to, from) in x.iter_mut().zip(a) {
        *to = from.to_ascii_lowercase();
    }
    for (to, from) in y.iter_mut().zip(b) {
        *to = from.to_ascii_lowercase();
    }
    let (n, m) = (a.len(), b.len());
    // Rows i-2, i-1 and i live at (i % 3) * W.
    let mut rows = [0u8; 3 * W];
    for (j, cell) in rows.iter_mut().take(m + 1).enumerate() {
        *cell = j as u8;
    }
    for i in 1..=n {
        let (cur, prev, before) = ((i % 3) * W, ((i - 1) % 3) * W, ((i + 1) % 3) * W);
        rows[cur] = i as u8;
        let mut row_min = rows[cur];
        for j in 1..=m {
            let cost = u8::from(x[i - 1] != y[j - 1]);
            let mut best = (rows[prev + j] + 1).min(rows[cur + j - 1] + 1).min(rows[prev + j - 1] + cost);
            if i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] {
                best = best.min(rows[before + j - 2] + 1);
            }
            rows[cur + j] = best;
            row_min = row_min.min(best);
        }
        if row_min > 2 {
            return 3;
        }
    }
    usize::from(rows[(n % 3) * W + m])
}

/// True for a JSON number with no fractional part, which JSON Schema counts as an integer.
pub fn is_integer(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => false,
    }
}

/// Length in Unicode code points, as JSON Schema counts it.
pub fn length(text: &str) -> u64 {
    text.chars().count() as u64
}

/// "an object", "a string", ... for messages about JSON values.
pub fn json_kind(value: &Value) -> &'static str {
    let kind = match value {
        Value::Null => JsonType::Null,
        Value::Bool(_) => JsonType::Boolean,
        Value::Number(_) => JsonType::Number,
        Value::String(_) => JsonType::String,
        Value::Array(_) => JsonType::Array,
        Value::Object(_) => JsonType::Object,
    };
    kind.described()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_without_their_prefix() {
        assert_eq!(code_suggestion("PDS", &["Flag.PDS"]), Some("Flag.PDS"));
        assert_eq!(code_suggestion("pds", &["Flag.PDS", "Flag.X"]), Some("Flag.PDS"));
        // Dots that mark sub-codes, not one table's prefix: no guess.
        assert_eq!(code_suggestion("Maximum", &["LimitPrice.Maximum", "TotalValue.Maximum"]), None);
        assert_eq!(code_suggestion("Symbol", &["Validity.Symbol", "Route"]), None);
        assert_eq!(code_suggestion("Other", &["Flag.PDS"]), None);
    }

    #[test]
    fn near_misses() {
        let documented = ["UserName", "Password", "ClientID", "Scope"];
        assert_eq!(near_miss("Usrname", &documented), Some("UserName"));
        assert_eq!(near_miss("username", &documented), Some("UserName"));
        assert_eq!(near_miss("ClientId", &documented), Some("ClientID"));
        assert_eq!(near_miss("Pasword", &documented), Some("Password"));
        assert_eq!(near_miss("scope", &documented), Some("Scope"));
        assert_eq!(near_miss("Vendor", &documented), None);
        assert_eq!(near_miss("Sco", &documented), None);
    }

    #[test]
    fn excerpts_are_cut_on_character_boundaries() {
        assert_eq!(excerpt("short"), "short");
        let long = "é".repeat(50);
        assert_eq!(excerpt(&long).chars().count(), 41);
    }
}
