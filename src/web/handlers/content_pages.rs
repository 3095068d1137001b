use actix_web::{HttpRequest, HttpResponse};

use crate::{
    services::content::ContentPages,
    web::{errors::WebError, page::Page},
};

pub async fn show(req: HttpRequest, page: Page) -> Result<HttpResponse, WebError> {
    let slug = req.path().trim_start_matches('/');
    if !ContentPages::exists(slug) {
        return Err(WebError::NotFound);
    }
    let rendered = page
        .state()
        .content
        .render(slug, page.language)
        .map_err(|e| WebError::Internal(e.into()))?;
    let mut ctx = page.context();
    ctx.insert("page", &rendered);
    ctx.insert("content_lang", rendered.language.code());
    ctx.insert("slug", slug);
    page.render("content_page.html", &ctx)
}
