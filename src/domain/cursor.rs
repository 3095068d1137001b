//! Where a list of dates left off: the start and id of the last date a client has. Pages counted
//! by number shift when dates begin or fill between two requests, so a client reading every page
//! would skip or repeat dates; the next page after a cursor holds exactly the dates after it.
use std::fmt;

use chrono::{DateTime, Utc};

/// The last date read, in the list's order (start, then id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateCursor {
    pub starts_at: DateTime<Utc>,
    pub id: i32,
}

impl DateCursor {
    /// Reads a cursor as [`fmt::Display`] writes it: `<start in Unix milliseconds>_<id>`.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        const INVALID: &str = "error-cursor-invalid";
        let (millis, id) = raw.trim().split_once('_').ok_or(INVALID)?;
        let millis: i64 = millis.parse().map_err(|_| INVALID)?;
        let id: i32 = id.parse().map_err(|_| INVALID)?;
        let starts_at = DateTime::from_timestamp_millis(millis).ok_or(INVALID)?;
        if id < 1 {
            return Err(INVALID);
        }
        Ok(Self { starts_at, id })
    }
}

impl fmt::Display for DateCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.starts_at.timestamp_millis(), self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_written() {
        let cursor = DateCursor {
            starts_at: DateTime::from_timestamp(1_798_000_000, 0).unwrap(),
            id: 42,
        };
        assert_eq!(DateCursor::parse(&cursor.to_string()), Ok(cursor));
    }

    #[test]
    fn anything_else_is_refused() {
        for raw in [
            "",
            "42",
            "abc_1",
            "1798000000000_",
            "1798000000000_x",
            "1_0",
            "1_-3",
        ] {
            assert_eq!(DateCursor::parse(raw), Err("error-cursor-invalid"), "{raw}");
        }
    }
}
