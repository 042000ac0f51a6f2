//! Properties no schema documents, kept on every object type so that parsing loses nothing.

use std::fmt;

use serde_json::Value;

use super::Map;

/// The properties of an object that its schema does not document, kept as sent (in their order)
/// and written back after the documented ones, so that parsing and serializing a message gives the same JSON
/// value. Validation reports them; this only keeps them.
///
/// `Debug` lists their names only: an undocumented value may hold anything, credentials too.
///
/// ```
/// use zenith_protocol::market::QueryTradesRequestData;
///
/// let data: QueryTradesRequestData =
///     serde_json::from_str(r#"{"Code":"BHP","Market":"ASX","Prcie":42.05}"#).unwrap();
/// assert_eq!(data.undocumented.get("Prcie"), Some(&serde_json::json!(42.05)));
/// assert_eq!(serde_json::to_value(&data).unwrap()["Prcie"], 42.05);
/// assert_eq!(format!("{:?}", data.undocumented), r#"Undocumented {"Prcie"}"#);
/// ```
#[derive(Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Undocumented(Map<Value>);

impl Undocumented {
    /// True when the object had no undocumented property.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many undocumented properties there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The value of the undocumented property `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// Adds or replaces an undocumented property (last, when it is new), giving back the value
    /// it replaced. Give only names the type does not document: a documented name would be
    /// written twice, once from its field and once from here.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        self.0.insert(name.into(), value.into())
    }

    /// Removes an undocumented property, the others keeping their order, and gives back its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name)
    }

    /// The properties, as (name, value).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter()
    }
}

impl fmt::Debug for Undocumented {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Undocumented ")?;
        f.debug_set().entries(self.0.keys()).finish()
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Undocumented {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Undocumented".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "object" })
    }
}
