//! The columns of each export file and the suppression rules of the files with counts about people.
use crate::export::{
    suppression::{Rules, Sum},
    writers::{Column, ColumnType as T, col},
};

pub(super) const COURSE_COLUMNS: &[Column] = &[
    col("course_id", T::Integer),
    col("title", T::Text),
    col("topic", T::Text),
    col("level", T::Text),
    col("target_group", T::Text),
    col("language", T::Text),
    col("organisation", T::Text),
    col("district_key", T::Text),
    col("town", T::Text),
    col("online", T::Boolean),
    col("price_cents", T::Integer),
    col("status", T::Text),
    col("dates_in_period", T::Integer),
];

pub(super) const DIALOGUE_COLUMNS: &[Column] = &[
    col("event_id", T::Integer),
    col("title", T::Text),
    col("topic", T::Text),
    col("organisation", T::Text),
    col("district_key", T::Text),
    col("town", T::Text),
    col("online", T::Boolean),
    col("registration_required", T::Boolean),
    col("audience", T::Text),
    col("support_offered", T::Text),
    col("agenda", T::Text),
    col("status", T::Text),
    col("dates_in_period", T::Integer),
];

pub(super) const DATE_COLUMNS: &[Column] = &[
    col("date_id", T::Integer),
    col("offer_id", T::Integer),
    col("offer_kind", T::Text),
    col("topic", T::Text),
    col("district_key", T::Text),
    col("starts_at", T::DateTime),
    col("ends_at", T::DateTime),
    col("status", T::Text),
    col("capacity", T::Integer),
    col("booked_places", T::Integer),
    col("bookings", T::Integer),
    col("participants_present", T::Integer),
    col("no_shows", T::Integer),
    col("feedback_forms", T::Integer),
];

/// Booked places are people too; and since a booking holds only a few places, booked places and
/// bookings give each other away: they are hidden together.
pub(super) const DATE_SUPPRESSION: Rules = Rules {
    counts: &[
        "booked_places",
        "bookings",
        "participants_present",
        "no_shows",
        "feedback_forms",
    ],
    // Places nobody marked present or absent are in the total only.
    sums: &[Sum {
        total: "booked_places",
        parts: &["participants_present", "no_shows"],
    }],
    together: &[&["bookings", "booked_places"]],
};

pub(super) const FEEDBACK_COLUMNS: &[Column] = &[
    col("feedback_id", T::Integer),
    col("date_id", T::Integer),
    col("offer_id", T::Integer),
    col("offer_kind", T::Text),
    col("district_key", T::Text),
    col("channel", T::Text),
    col("rating", T::Integer),
    col("helped", T::Text),
    col("missing", T::Text),
    col("topics_wanted", T::Text),
    col("free_text", T::Text),
    col("before_information", T::Integer),
    col("before_communication", T::Integer),
    col("before_content", T::Integer),
    col("before_safety", T::Integer),
    col("before_problem_solving", T::Integer),
    col("after_information", T::Integer),
    col("after_communication", T::Integer),
    col("after_content", T::Integer),
    col("after_safety", T::Integer),
    col("after_problem_solving", T::Integer),
    col("submitted_on", T::Date),
];

pub(super) const PROPOSAL_COLUMNS: &[Column] = &[
    col("proposal_id", T::Integer),
    col("title", T::Text),
    col("text", T::Text),
    col("category", T::Text),
    col("district_key", T::Text),
    col("status", T::Text),
    col("official_answer", T::Text),
    col("answered_at", T::DateTime),
    col("supports", T::Integer),
    col("created_on", T::Date),
    col("channel", T::Text),
];

pub(super) const STATISTICS_COLUMNS: &[Column] = &[
    col("district_key", T::Text),
    col("district_name", T::Text),
    col("month", T::Text),
    col("dates_held", T::Integer),
    col("course_dates", T::Integer),
    col("dialogue_dates", T::Integer),
    col("bookings_total", T::Integer),
    col("bookings_online", T::Integer),
    col("bookings_staff", T::Integer),
    col("bookings_kiosk", T::Integer),
    col("bookings_api", T::Integer),
    col("participants_present", T::Integer),
    col("no_shows", T::Integer),
    col("proposals_total", T::Integer),
    col("proposals_online", T::Integer),
    col("proposals_kiosk", T::Integer),
    col("proposals_assisted", T::Integer),
    col("proposals_import", T::Integer),
    col("feedback_total", T::Integer),
    col("feedback_online", T::Integer),
    col("feedback_qr", T::Integer),
    col("feedback_kiosk", T::Integer),
    col("feedback_paper", T::Integer),
    col("average_rating", T::Decimal(1)),
    col("average_confidence_change", T::Decimal(2)),
    col("kiosk_views", T::Integer),
    col("kiosk_bookings", T::Integer),
    col("kiosk_feedback", T::Integer),
    col("kiosk_proposals", T::Integer),
    col("volunteer_sessions", T::Integer),
    col("volunteer_people_reached", T::Integer),
    col("volunteer_hours", T::Decimal(1)),
];

pub(super) const STATISTICS_SUPPRESSION: Rules = Rules {
    counts: &[
        "bookings_total",
        "bookings_online",
        "bookings_staff",
        "bookings_kiosk",
        "bookings_api",
        "participants_present",
        "no_shows",
        "proposals_total",
        "proposals_online",
        "proposals_kiosk",
        "proposals_assisted",
        "proposals_import",
        "feedback_total",
        "feedback_online",
        "feedback_qr",
        "feedback_kiosk",
        "feedback_paper",
        "kiosk_bookings",
        "kiosk_feedback",
        "kiosk_proposals",
        "volunteer_people_reached",
    ],
    sums: &[
        Sum {
            total: "bookings_total",
            parts: &[
                "bookings_online",
                "bookings_staff",
                "bookings_kiosk",
                "bookings_api",
            ],
        },
        Sum {
            total: "proposals_total",
            parts: &[
                "proposals_online",
                "proposals_kiosk",
                "proposals_assisted",
                "proposals_import",
            ],
        },
        Sum {
            total: "feedback_total",
            parts: &[
                "feedback_online",
                "feedback_qr",
                "feedback_kiosk",
                "feedback_paper",
            ],
        },
    ],
    // A terminal counts the bookings, forms and proposals made at it, which are the kiosk channel's
    // bookings, forms and proposals again (all but the same number, give or take a month's edge or
    // a form not yet public): one shown beside the other hidden would give the hidden one away.
    together: &[
        &["bookings_kiosk", "kiosk_bookings"],
        &["feedback_kiosk", "kiosk_feedback"],
        &["proposals_kiosk", "kiosk_proposals"],
    ],
};

pub(super) const VOLUNTEER_SESSION_COLUMNS: &[Column] = &[
    col("session_id", T::Integer),
    col("kind", T::Text),
    col("organisation", T::Text),
    col("district_key", T::Text),
    col("held_on", T::Date),
    col("date_id", T::Integer),
    col("status", T::Text),
    col("helpers_needed", T::Integer),
    col("helpers_signed_up", T::Integer),
    col("people_reached", T::Integer),
    col("walk_ins", T::Integer),
    col("topics", T::Text),
    col("approved_hours", T::Decimal(1)),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppression_rules_name_real_columns() {
        // `resolve` panics on a name that is no column.
        DATE_SUPPRESSION.resolve(DATE_COLUMNS);
        STATISTICS_SUPPRESSION.resolve(STATISTICS_COLUMNS);
    }
}
