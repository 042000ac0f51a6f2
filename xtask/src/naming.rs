//! The one place where wire names become Rust names.

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// Types and enum variants: `UpperCamelCase`.
    Type,
    /// Struct fields: `snake_case`.
    Field,
    /// Statics: `SCREAMING_SNAKE_CASE`.
    Static,
}

/// Turns a schema title, property name or enum value into a valid Rust identifier.
pub fn rust_name(raw: &str, case: Case) -> String {
    // Separators the wire uses (`Zenith/Market`, `Paritech.Zenith`, `a-b`) become word breaks.
    let words: String = raw.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' }).collect();
    let mut name = match case {
        Case::Type => words.to_upper_camel_case(),
        Case::Field => words.to_snake_case(),
        Case::Static => words.to_shouty_snake_case(),
    };
    if name.is_empty() {
        name = match case {
            Case::Type => "Empty".to_owned(),
            Case::Field => "empty".to_owned(),
            Case::Static => "EMPTY".to_owned(),
        };
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, if case == Case::Field { 'v' } else { 'V' });
    }
    if is_keyword(&name) {
        name.push('_');
    }
    name
}

fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "as" | "async"
            | "await"
            | "break"
            | "const"
            | "continue"
            | "crate"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "gen"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "Self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "yield"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "try"
            | "typeof"
            | "unsized"
            | "virtual"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let table = [
            ("UserName", Case::Field, "user_name"),
            ("ClientID", Case::Field, "client_id"),
            ("UserID", Case::Field, "user_id"),
            ("TransactionID", Case::Field, "transaction_id"),
            ("AccessToken", Case::Field, "access_token"),
            ("Type", Case::Field, "type_"),
            ("Self", Case::Type, "Self_"),
            ("AuthOwnerRequest", Case::Type, "AuthOwnerRequest"),
            ("TransactionID", Case::Type, "TransactionId"),
            ("FeedProxy", Case::Type, "FeedProxy"),
            ("Zenith/Market", Case::Type, "ZenithMarket"),
            ("Paritech.Zenith", Case::Type, "ParitechZenith"),
            ("Operation.NoResult", Case::Type, "OperationNoResult"),
            ("1Day", Case::Type, "V1day"),
            ("52WeekHigh", Case::Field, "v52week_high"),
            ("", Case::Type, "Empty"),
            ("!!", Case::Field, "empty"),
            ("AuthOwnerRequest", Case::Static, "AUTH_OWNER_REQUEST"),
            ("TransactionID", Case::Static, "TRANSACTION_ID"),
            ("1Day", Case::Static, "V1DAY"),
        ];
        for (raw, case, expected) in table {
            assert_eq!(rust_name(raw, case), expected, "rust_name({raw:?}, {case:?})");
        }
    }
}
