use actix_web::HttpResponse;

use super::district_choices;
use crate::web::{errors::WebError, page::Page};

pub async fn show(page: Page) -> Result<HttpResponse, WebError> {
    let mut ctx = page.context();
    let districts = page.state().districts().await?;
    ctx.insert("districts", &district_choices(&districts));
    page.render("home.html", &ctx)
}
