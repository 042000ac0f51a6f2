//! The two-tier validation interface every generated type implements.

use serde_json::Value;

use super::diagnostics::{Report, Verdict, Walker};
use super::schema::{self, Node};
use super::stream;

/// Checks JSON against a type's schema: a fast boolean pass first, and the full pass that
/// collects every problem only when the fast pass finds something.
///
/// ```
/// use zenith_protocol::{AuthOwnerRequest, Validate};
/// let message = serde_json::json!({"Controller": "Auth", "Topic": "AuthOwner", "Data": {"Provider": "P", "ClientId": "C"}});
/// let report = AuthOwnerRequest::validate(&message);
/// let problem = report.errors().next().unwrap();
/// assert_eq!(problem.instance_path, "/Data");
/// assert_eq!(problem.message, "required property `ClientID` is missing; `ClientId` is there: did you mean `ClientID`?");
/// ```
pub trait Validate {
    /// The type's schema, as the generated tables hold it.
    const SCHEMA: &'static Node;

    /// The fast pass: whether the value is clean, has only warnings, or has an error.
    fn verdict(value: &Value) -> Verdict {
        stream::verdict(Self::SCHEMA, value)
    }

    /// True when there is nothing to say of the value: no problem, not even a warning or an
    /// informational finding.
    fn is_clean(value: &Value) -> bool {
        Self::verdict(value) == Verdict::Clean
    }

    /// The full pass: reports every problem below the walker's current path.
    fn walk(value: &Value, walker: &mut Walker) {
        schema::walk(Self::SCHEMA, value, walker, false);
    }

    /// Every problem of `value`, located by JSON Pointer from its root.
    fn validate(value: &Value) -> Report {
        if Self::is_clean(value) {
            return Report::default();
        }
        let mut walker = Walker::new("");
        Self::walk(value, &mut walker);
        walker.finish()
    }

    /// True when `value` has no error (warnings allowed).
    fn is_valid(value: &Value) -> bool {
        Self::verdict(value) != Verdict::Invalid
    }

    /// Every problem of this typed value, as it would be sent: a message built in code checked
    /// before it goes (`request.check()?`, a [`Report`] being an error).
    fn check(&self) -> Result<(), Report>
    where
        Self: serde::Serialize,
    {
        let value = serde_json::to_value(self).unwrap_or(Value::Null);
        let report = Self::validate(&value);
        if report.is_valid() { Ok(()) } else { Err(report) }
    }
}
