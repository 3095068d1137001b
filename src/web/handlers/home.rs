use actix_web::HttpResponse;

use crate::web::{errors::WebError, page::Page};

pub async fn show(page: Page) -> Result<HttpResponse, WebError> {
    let districts = page.state().districts().await?;
    let mut ctx = page.context();
    ctx.insert(
        "districts",
        &districts
            .iter()
            .map(|d| (&d.key, &d.name))
            .collect::<Vec<_>>(),
    );
    page.render("home.html", &ctx)
}
