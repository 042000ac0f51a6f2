//! What a builder says when a required field was left unset.

/// A builder's `build()` found a required field unset.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} `{type_name}` needs `{missing}`: set it before `build()`", super::article(type_name))]
pub struct BuildError {
    /// The type being built.
    pub type_name: &'static str,
    /// The required property left unset, by its name on the wire.
    pub missing: &'static str,
}
