//! The impact dashboard ("Wirkung"): charts drawn on the server as SVG, each with a text
//! alternative and the same figures as a table. Admins see all districts, municipality editors the
//! districts of their organisations.
use actix_web::{HttpResponse, web};
use chrono::{Datelike, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    domain::{FieldErrors, Role},
    policy::can_view_impact,
    services::{
        impact::{self, ImpactFilter},
        reference,
    },
    web::{errors::WebError, page::Page},
};

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct ImpactQuery {
    kreis: String,
    /// First month, `2026-01`.
    von: String,
    /// Last month, `2026-11`.
    bis: String,
}

/// One bar of a chart, with its geometry computed here so the template only draws.
#[derive(Serialize)]
struct Bar {
    label: String,
    value: String,
    x: u32,
    y: u32,
    width: u32,
    height: u32,
}

#[derive(Serialize)]
struct Chart {
    width: u32,
    height: u32,
    bars: Vec<Bar>,
    baseline: u32,
}

const CHART_HEIGHT: u32 = 220;
const LABEL_SPACE: u32 = 40;

fn chart(points: &[(String, f64, String)]) -> Chart {
    let max = points.iter().map(|(_, v, _)| *v).fold(0.0, f64::max);
    let step = 56;
    let plot = CHART_HEIGHT - LABEL_SPACE - 20;
    let bars = points
        .iter()
        .enumerate()
        .map(|(i, (label, value, shown))| {
            let height = if max > 0.0 {
                ((value / max) * f64::from(plot)).round() as u32
            } else {
                0
            };
            Bar {
                label: label.clone(),
                value: shown.clone(),
                x: 10 + i as u32 * step,
                y: CHART_HEIGHT - LABEL_SPACE - height,
                width: step - 16,
                height,
            }
        })
        .collect::<Vec<_>>();
    Chart {
        width: 20 + points.len() as u32 * step,
        height: CHART_HEIGHT,
        baseline: CHART_HEIGHT - LABEL_SPACE,
        bars,
    }
}

fn month(raw: &str) -> Result<Option<NaiveDate>, &'static str> {
    match raw.trim() {
        "" => Ok(None),
        value => NaiveDate::parse_from_str(&format!("{value}-01"), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| "error-month-invalid"),
    }
}

/// Districts this person may look at: `None` for all (admins).
async fn allowed_districts(page: &Page) -> Result<Option<Vec<String>>, WebError> {
    let user = page.require(can_view_impact)?;
    if user.has_role(Role::Admin) {
        return Ok(None);
    }
    let organisations: Vec<i32> = user
        .grants
        .iter()
        .filter(|g| g.role == Role::MunicipalityEditor)
        .filter_map(|g| g.organisation_id)
        .collect();
    Ok(Some(
        impact::districts_of(&page.state().db, organisations).await?,
    ))
}

pub async fn show(page: Page, query: web::Query<ImpactQuery>) -> Result<HttpResponse, WebError> {
    let allowed = allowed_districts(&page).await?;
    let query = query.into_inner();
    let db = &page.state().db;
    let districts: Vec<(String, String)> = reference::all_districts(db)
        .await?
        .into_iter()
        .filter(|d| allowed.as_ref().is_none_or(|keys| keys.contains(&d.key)))
        .map(|d| (d.key, d.name))
        .collect();
    let mut ctx = page.context();
    ctx.insert("query", &query);
    ctx.insert("districts", &districts);
    ctx.insert(
        "district_empty",
        if allowed.is_none() {
            "impact-all-districts"
        } else {
            "impact-all-my-districts"
        },
    );

    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let this_month = today.with_day(1).unwrap_or(today);
    let mut errors = FieldErrors::default();
    let from = errors.check("von", month(&query.von)).flatten();
    let to = errors.check("bis", month(&query.bis)).flatten();
    let to = to.unwrap_or(this_month);
    let from = from.unwrap_or_else(|| to.checked_sub_months(Months::new(11)).unwrap_or(to));
    if errors.is_empty()
        && (from > to
            || to
                .checked_sub_months(Months::new(119))
                .is_some_and(|limit| from < limit))
    {
        errors.add("von", "error-month-range");
    }
    let selected = match query.kreis.trim() {
        "" => None,
        key if districts.iter().any(|(k, _)| k == key) => Some(key.to_owned()),
        _ => {
            errors.add("kreis", "error-district-invalid");
            None
        }
    };
    ctx.insert("from", &from.format("%Y-%m").to_string());
    ctx.insert("to", &to.format("%Y-%m").to_string());
    if !errors.is_empty() {
        return page.render_form("impact/show.html", ctx, &errors);
    }
    let filter = ImpactFilter {
        from,
        to,
        districts: match (selected, allowed) {
            (Some(key), _) => Some(vec![key]),
            (None, allowed) => allowed,
        },
    };
    let figures = impact::figures(db, &filter, Utc::now()).await?;
    let names: std::collections::HashMap<&str, &str> = districts
        .iter()
        .map(|(k, n)| (k.as_str(), n.as_str()))
        .collect();
    // Figures about fewer than five people, and those that would give one away, are left out as in
    // the export: the page says so.
    let hidden = page.t("impact-hidden");
    let participants: Vec<(String, f64, String)> = figures
        .months
        .iter()
        .map(|r| match r.shown.participants {
            Some(n) => (month_label(&r.key), n as f64, n.to_string()),
            None => (month_label(&r.key), 0.0, hidden.clone()),
        })
        .collect();
    let statuses: Vec<(String, f64, String)> = figures
        .proposals
        .by_status
        .iter()
        .map(|(status, n)| {
            (
                page.t(&format!("proposal-status-{status}")),
                *n as f64,
                n.to_string(),
            )
        })
        .collect();
    ctx.insert("participants_chart", &chart(&participants));
    ctx.insert("proposals_chart", &chart(&statuses));
    ctx.insert(
        "district_rows",
        &figures
            .districts
            .iter()
            .map(|r| (names.get(r.key.as_str()).copied().unwrap_or("–"), r))
            .collect::<Vec<_>>(),
    );
    ctx.insert("figures", &figures);
    page.render_form("impact/show.html", ctx, &FieldErrors::default())
}

/// `2026-11` → `11/2026`, short enough for a bar label.
fn month_label(key: &str) -> String {
    key.split_once('-')
        .map_or(key.to_owned(), |(y, m)| format!("{m}/{y}"))
}
