//! Values that may be `null`, where `null` means something of its own.

/// A value, or `null`. Kept apart from `Option` because in this protocol `null` and absent say
/// different things: in a Security update `"AskCount": null` clears the count, while leaving it
/// out leaves it unchanged. An optional nullable field is an `Option<Nullable<T>>`.
///
/// ```
/// use zenith_protocol::Nullable;
/// let cleared: Nullable<i64> = serde_json::from_str("null").unwrap();
/// assert_eq!(cleared, Nullable::Null);
/// assert_eq!(serde_json::to_string(&Nullable::Value(5)).unwrap(), "5");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Nullable<T> {
    Null,
    Value(T),
}

impl<T> Nullable<T> {
    /// The value, unless it is `null`.
    pub fn value(&self) -> Option<&T> {
        match self {
            Nullable::Null => None,
            Nullable::Value(value) => Some(value),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Nullable::Null)
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(value: T) -> Nullable<T> {
        Nullable::Value(value)
    }
}

impl<T: serde::Serialize> serde::Serialize for Nullable<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Nullable::Null => serializer.serialize_unit(),
            Nullable::Value(value) => value.serialize(serializer),
        }
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Nullable<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Nullable<T>, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            Some(value) => Nullable::Value(value),
            None => Nullable::Null,
        })
    }
}

#[cfg(feature = "schemars")]
impl<T: schemars::JsonSchema> schemars::JsonSchema for Nullable<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        <Option<T>>::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Option<T>>::json_schema(generator)
    }
}
