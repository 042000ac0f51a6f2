//! The protocol's shared words (`zenith-vocab`) written as tokens into generated code.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote};
use zenith_vocab::{Direction, Format, JsonTypes, Operation, Role};

/// A word as generated code names it: bare (`Direction::Send`), where the code has its type in
/// scope, or under a module path (`crate::runtime::Operation::Add`).
#[derive(Clone, Copy)]
pub struct Word<'a, T> {
    path: Option<&'a TokenStream>,
    word: T,
}

/// `word` named by its type alone.
pub fn bare<T>(word: T) -> Word<'static, T> {
    Word { path: None, word }
}

/// `word` named under the module `path`.
pub fn under<T>(path: &TokenStream, word: T) -> Word<'_, T> {
    Word { path: Some(path), word }
}

/// A word that is one variant of a fieldless enum: its type's and its variant's Rust names.
pub trait Variant: Copy {
    const TYPE: &'static str;
    fn variant(self) -> &'static str;
}

impl Variant for Direction {
    const TYPE: &'static str = "Direction";
    fn variant(self) -> &'static str {
        match self {
            Direction::Send => "Send",
            Direction::Receive => "Receive",
        }
    }
}

impl Variant for Role {
    const TYPE: &'static str = "Role";
    fn variant(self) -> &'static str {
        match self {
            Role::Request => "Request",
            Role::Answer => "Answer",
            Role::Subscribe => "Subscribe",
            Role::Confirm => "Confirm",
            Role::Unsubscribe => "Unsubscribe",
            Role::Unsubscribed => "Unsubscribed",
            Role::Error => "Error",
            Role::Cancel => "Cancel",
        }
    }
}

impl Variant for Operation {
    const TYPE: &'static str = "Operation";
    fn variant(self) -> &'static str {
        match self {
            Operation::Add => "Add",
            Operation::Update => "Update",
            Operation::Remove => "Remove",
            Operation::Clear => "Clear",
            Operation::Set => "Set",
            Operation::Insert => "Insert",
            Operation::Replace => "Replace",
        }
    }
}

impl Variant for Format {
    const TYPE: &'static str = "Format";
    fn variant(self) -> &'static str {
        match self {
            Format::DateTime => "DateTime",
            Format::Time => "Time",
            Format::Date => "Date",
            Format::DateOrDateTime => "DateOrDateTime",
        }
    }
}

impl<T: Variant> ToTokens for Word<'_, T> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let (ty, variant) = (format_ident!("{}", T::TYPE), format_ident!("{}", self.word.variant()));
        match self.path {
            Some(path) => tokens.extend(quote! { #path::#ty::#variant }),
            None => tokens.extend(quote! { #ty::#variant }),
        }
    }
}

/// A set of JSON types as its constructor: `JsonTypes(5u8)`.
impl ToTokens for Word<'_, JsonTypes> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let bits = self.word.0;
        match self.path {
            Some(path) => tokens.extend(quote! { #path::JsonTypes(#bits) }),
            None => tokens.extend(quote! { JsonTypes(#bits) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zenith_vocab::JsonType;

    fn text(tokens: impl ToTokens) -> String {
        tokens.into_token_stream().to_string()
    }

    #[test]
    fn words_are_named_bare_or_under_a_path() {
        assert_eq!(text(bare(Direction::Receive)), "Direction :: Receive");
        assert_eq!(text(bare(Role::Unsubscribed)), "Role :: Unsubscribed");
        assert_eq!(text(bare(Format::DateOrDateTime)), "Format :: DateOrDateTime");
        let runtime = quote! { crate::runtime };
        assert_eq!(text(under(&runtime, Operation::Replace)), "crate :: runtime :: Operation :: Replace");
    }

    #[test]
    fn json_type_sets_are_written_as_their_bits() {
        let types = JsonTypes::of(&[JsonType::String, JsonType::Null]);
        assert_eq!(text(bare(types)), "JsonTypes (65u8)");
    }

    /// A fieldless enum's `Debug` is its variant's name, so each spelling can be checked.
    fn spelled_as_rust_names_them<T: Variant + std::fmt::Debug>(all: &[T]) {
        for word in all {
            assert_eq!(word.variant(), format!("{word:?}"));
        }
    }

    #[test]
    fn every_variant_is_spelled_as_its_rust_name() {
        spelled_as_rust_names_them(Direction::ALL);
        spelled_as_rust_names_them(Role::ALL);
        spelled_as_rust_names_them(Operation::ALL);
        spelled_as_rust_names_them(Format::ALL);
    }
}
