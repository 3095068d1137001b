//! Public list of places (Orte) with their accessibility, filterable by district.
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::{
    domain::DistrictKey,
    services::venues,
    web::{errors::WebError, handlers::district_choices, page::Page},
};

#[derive(Deserialize)]
pub struct Filter {
    #[serde(default)]
    kreis: String,
    #[serde(default)]
    stufenlos: String,
}

pub async fn list(page: Page, filter: web::Query<Filter>) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let districts = page.state().districts().await?;
    // An unknown district in a shared link shows all places and says so, rather than failing.
    let district = DistrictKey::parse(&filter.kreis)
        .ok()
        .filter(|k| districts.iter().any(|d| d.key == k.as_str()));
    let step_free = filter.stufenlos == "1";
    let list = venues::list(db, district.as_ref(), step_free, &districts).await?;
    let mut ctx = page.context();
    ctx.insert("venues", &list);
    ctx.insert("districts", &district_choices(&districts));
    ctx.insert(
        "selected_district",
        &district.as_ref().map(|k| k.as_str()).unwrap_or_default(),
    );
    ctx.insert(
        "unknown_district",
        &(!filter.kreis.is_empty() && district.is_none()),
    );
    ctx.insert("step_free", &step_free);
    page.render("venues/list.html", &ctx)
}

pub async fn show(page: Page, slug: web::Path<String>) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let districts = page.state().districts().await?;
    let venue = venues::by_slug(db, &slug, &districts)
        .await?
        .ok_or(WebError::NotFound)?;
    let mut ctx = page.context();
    ctx.insert("venue", &venue);
    page.render("venues/show.html", &ctx)
}
