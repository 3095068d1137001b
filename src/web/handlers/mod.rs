pub mod account;
pub mod admin;
pub mod alerts;
pub mod auth;
pub mod barrier_report;
pub mod booking;
pub mod content_pages;
pub mod courses;
pub mod export;
pub mod feedback;
pub mod home;
pub mod impact;
pub mod kiosk;
pub mod offer_admin;
pub mod operations;
pub mod proposal_admin;
pub mod proposals;
pub mod terminals;
pub mod venues;
pub mod volunteering;

use actix_web::{HttpResponse, http::header};

use crate::{
    domain::offer::{TargetGroup, Topic},
    services::reference::District,
};

/// The answer after a successful POST: go to `location` with a GET (post/redirect/get).
pub fn see_other(location: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.into()))
        .finish()
}

/// The topic and target-group keys of offers, for the catalogue's filters and the offer forms.
pub fn offer_vocabulary(ctx: &mut tera::Context) {
    ctx.insert(
        "topics",
        &Topic::ALL.iter().map(|t| t.key()).collect::<Vec<_>>(),
    );
    ctx.insert(
        "target_groups",
        &TargetGroup::ALL.iter().map(|g| g.key()).collect::<Vec<_>>(),
    );
}

/// Options for a district select: (key, name), in the list's order (by name).
pub fn district_choices(districts: &[District]) -> Vec<(String, String)> {
    districts
        .iter()
        .map(|d| (d.key.clone(), d.name.clone()))
        .collect()
}

/// An instant as Thuringian local time in a `chrono` format, e.g. `%Y-%m-%d` for a form's date field.
pub fn local(at: chrono::DateTime<chrono::Utc>, pattern: &str) -> String {
    at.with_timezone(&chrono_tz::Europe::Berlin)
        .format(pattern)
        .to_string()
}
