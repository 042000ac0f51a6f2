//! Objects whose keys are free (`additionalProperties`), kept in the order they came.

use std::fmt;

use indexmap::IndexMap;

/// An object whose keys are free, such as a symbol's alternate codes or a user's metadata: each
/// key's value, in the order they came, written back in that order.
///
/// `Debug` shows `<redacted>` for the value of a key named like a credential.
///
/// ```
/// use zenith_protocol::Map;
/// let codes: Map<String> = serde_json::from_str(r#"{"Ticker":"BHP","ISIN":"AU000000BHP4"}"#).unwrap();
/// assert_eq!(codes.get("ISIN").map(String::as_str), Some("AU000000BHP4"));
/// assert_eq!(codes.keys().collect::<Vec<_>>(), ["Ticker", "ISIN"]);
/// let metadata: Map<String> = [("Colour", "red"), ("Password", "Insect")].map(|(k, v)| (k, v.to_owned())).into_iter().collect();
/// assert_eq!(format!("{metadata:?}"), r#"{"Colour": "red", "Password": <redacted>}"#);
/// ```
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Map<V>(IndexMap<String, V>);

impl<V> Map<V> {
    /// An empty object.
    pub fn new() -> Self {
        Map(IndexMap::new())
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is no key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.0.get(key)
    }

    /// The value of `key`, to change it.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.0.get_mut(key)
    }

    /// True when `key` is there.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Sets `key` (last, when it is new), giving back the value it replaced.
    pub fn insert(&mut self, key: impl Into<String>, value: V) -> Option<V> {
        self.0.insert(key.into(), value)
    }

    /// Removes `key`, keeping the others in order, and gives back its value.
    pub fn remove(&mut self, key: &str) -> Option<V> {
        self.0.shift_remove(key)
    }

    /// Keeps only the keys and values `keep` says yes to, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut V) -> bool) {
        self.0.retain(|key, value| keep(key, value));
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// The keys and values, in order.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter(self.0.iter())
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// The values, in order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.values()
    }
}

impl<V> Default for Map<V> {
    fn default() -> Self {
        Map::new()
    }
}

impl<K: Into<String>, V> FromIterator<(K, V)> for Map<V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        Map(pairs.into_iter().map(|(key, value)| (key.into(), value)).collect())
    }
}

impl<V> IntoIterator for Map<V> {
    type Item = (String, V);
    type IntoIter = IntoIter<V>;

    fn into_iter(self) -> Self::IntoIter {
        IntoIter(self.0.into_iter())
    }
}

impl<'a, V> IntoIterator for &'a Map<V> {
    type Item = (&'a str, &'a V);
    type IntoIter = Iter<'a, V>;

    fn into_iter(self) -> Self::IntoIter {
        Iter(self.0.iter())
    }
}

/// A map's keys and values, in order, taken out of it.
pub struct IntoIter<V>(indexmap::map::IntoIter<String, V>);

impl<V> Iterator for IntoIter<V> {
    type Item = (String, V);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
}

/// A map's keys and values, in order.
pub struct Iter<'a, V>(indexmap::map::Iter<'a, String, V>);

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a str, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(key, value)| (key.as_str(), value))
    }
}

impl<V: fmt::Debug> fmt::Debug for Map<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// A credential's value, shown as redacted.
        struct Redacted;
        impl fmt::Debug for Redacted {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(super::REDACTED)
            }
        }
        let mut map = f.debug_map();
        for (key, value) in &self.0 {
            match super::is_secret_name(key) {
                true => map.entry(key, &Redacted),
                false => map.entry(key, value),
            };
        }
        map.finish()
    }
}

#[cfg(feature = "schemars")]
impl<V: schemars::JsonSchema> schemars::JsonSchema for Map<V> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Map_of_{}", V::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "object", "additionalProperties": generator.subschema_for::<V>() })
    }
}
