//! Field-level validation results for forms. Messages are translation keys, never final text,
//! so the same rule reads right in German and English.
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    /// Fluent message id, e.g. `error-email-invalid`.
    pub message: &'static str,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn single(field: &'static str, message: &'static str) -> Self {
        Self(vec![FieldError { field, message }])
    }
    pub fn add(&mut self, field: &'static str, message: &'static str) {
        self.0.push(FieldError { field, message });
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }
    pub fn for_field(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message)
    }
    /// Collects the outcome of one field's parse, keeping the value when it is fine.
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, &'static str>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }
}

/// The stamp of the stored record an edit form was filled from (a short hash of the values the form
/// shows, joined). The form sends it back as `seen`; a service compares it with the record under
/// its lock, so a form opened before someone else's change cannot silently undo that change.
pub fn stamp(values: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(values.as_bytes())[..8])
}

/// The first value of `name` in a posted form read as name/value pairs (checkbox groups repeat a
/// name).
pub fn first_value<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// An optional field: empty means `None`, anything else must parse.
pub fn optional<T>(
    raw: &str,
    parse: impl Fn(&str) -> Result<T, &'static str>,
) -> Result<Option<T>, &'static str> {
    match raw.trim() {
        "" => Ok(None),
        value => parse(value).map(Some),
    }
}
