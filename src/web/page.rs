//! The request-side context every HTML page needs (language, current address, switch links),
//! and rendering a template into a response.
use std::future::{Ready, ready};

use actix_web::{
    FromRequest, HttpMessage, HttpRequest, HttpResponse, dev::Payload, http::header, web,
};
use serde::Serialize;

use super::{
    access_log,
    errors::WebError,
    notice::{self, Done},
    route_table,
    session::{self, SessionState},
    state::AppState,
};
use crate::{
    domain::{FieldErrors, Language, account::CurrentUser},
    policy::Permissions,
};

#[derive(Serialize)]
struct LanguageLink {
    code: &'static str,
    label: &'static str,
    href: String,
    current: bool,
}

pub struct Page {
    pub language: Language,
    state: web::Data<AppState>,
    session: std::rc::Rc<SessionState>,
    path: String,
    /// The query without our own `lang` and `erledigt` parameters.
    query: Vec<(String, String)>,
    /// What the back-office action that led here did, to confirm it once.
    done: Option<Done>,
    /// This page's address as a barrier report may store it: a secret link's token (in the path
    /// or the query) is left out, as in the access log.
    reportable_address: String,
}

impl Page {
    pub fn from_request(req: &HttpRequest) -> Result<Self, WebError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| WebError::Internal(anyhow::anyhow!("application state missing")))?;
        let language = req
            .extensions()
            .get::<Language>()
            .copied()
            .unwrap_or_default();
        let mut query = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .unwrap_or_default();
        let done = query
            .iter()
            .find(|(k, _)| k == notice::PARAM)
            .and_then(|(_, v)| Done::from_name(v));
        query.retain(|(k, _)| k != "lang" && k != notice::PARAM);
        let pattern = req.match_pattern();
        let secret = pattern.as_deref().and_then(route_table::secret_parameter);
        let reportable_query: Vec<(&str, &str)> = query
            .iter()
            .filter(|(k, _)| Some(k.as_str()) != secret)
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let reportable_address = with_query(
            &access_log::loggable_path(req.path(), pattern.as_deref()),
            &reportable_query,
        );
        Ok(Self {
            language,
            state,
            session: session::state_of(req),
            path: req.path().to_owned(),
            query,
            done,
            reportable_address,
        })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn session(&self) -> &SessionState {
        &self.session
    }

    /// The request's path, without the query.
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn user(&self) -> Option<&CurrentUser> {
        self.session.user.as_ref()
    }

    /// The signed-in user if the policy allows the action; otherwise login first, or 403.
    pub fn require(
        &self,
        allowed: fn(Option<&CurrentUser>) -> bool,
    ) -> Result<CurrentUser, WebError> {
        match self.user() {
            None => Err(WebError::LoginRequired(self.address_with(&[]))),
            Some(user) if allowed(Some(user)) => Ok(user.clone()),
            Some(_) => Err(WebError::Forbidden),
        }
    }

    /// The base context plus a CSRF token, for pages with a form.
    pub fn form_context(&self) -> tera::Context {
        let mut ctx = self.context();
        ctx.insert("csrf_token", &self.session.csrf_token());
        ctx
    }

    pub fn t(&self, key: &str) -> String {
        self.state.translations.text(self.language, key)
    }

    /// The options of a choice: each key with its text, the message `{prefix}-{key}`.
    pub fn choices<'k>(
        &self,
        prefix: &str,
        keys: impl IntoIterator<Item = &'k str>,
    ) -> Vec<(String, String)> {
        keys.into_iter()
            .map(|key| (key.to_owned(), self.t(&format!("{prefix}-{key}"))))
            .collect()
    }

    fn address_with(&self, extra: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        pairs.extend_from_slice(extra);
        with_query(&self.path, &pairs)
    }

    /// The base context shared by every page; handlers add their own values.
    pub fn context(&self) -> tera::Context {
        let mut ctx = tera::Context::new();
        ctx.insert("lang", self.language.code());
        if let Some(user) = self.user() {
            ctx.insert("user", user);
            // Signed-in pages show a logout button, which is a form.
            ctx.insert("csrf_token", &self.session.csrf_token());
        }
        ctx.insert("can", &Permissions::for_user(self.user()));
        ctx.insert("current_path", &self.path);
        ctx.insert("navigation", &crate::services::content::navigation());
        let links: Vec<LanguageLink> = Language::ALL
            .into_iter()
            .map(|l| LanguageLink {
                code: l.code(),
                label: match l {
                    Language::De => "Deutsch",
                    Language::En => "English",
                    Language::Ls => "Leichte Sprache",
                },
                href: self.address_with(&[("lang", l.code())]),
                current: l == self.language,
            })
            .collect();
        ctx.insert("language_links", &links);
        if let Some(done) = self.done {
            ctx.insert("done_text", &self.t(&format!("done-{}", done.name())));
            if done.can_be_undone() {
                ctx.insert("done_undo", &self.t(&format!("done-{}-undo", done.name())));
            }
        }
        ctx.insert(
            "report_barrier_href",
            &format!(
                "/barriere-melden?{}",
                serde_urlencoded::to_string([("seite", self.reportable_address.as_str())])
                    .unwrap_or_default()
            ),
        );
        ctx
    }

    /// Form errors as a list for the summary and by field for the inputs.
    fn insert_errors(ctx: &mut tera::Context, errors: &FieldErrors) {
        let by_field: std::collections::HashMap<&str, &str> =
            errors.iter().map(|e| (e.field, e.message)).collect();
        ctx.insert("errors", errors);
        ctx.insert("error_for", &by_field);
    }

    /// Renders a form page; with errors it answers 422, so the failed submission is visible in logs and tests.
    /// A page with a heading, a paragraph and a link: "mail sent", "address confirmed" and the like.
    pub fn message(
        &self,
        title_key: &str,
        text_key: &str,
        link_href: &str,
        link_key: &str,
    ) -> Result<HttpResponse, WebError> {
        let mut ctx = self.context();
        ctx.insert("title_key", title_key);
        ctx.insert("text_key", text_key);
        ctx.insert("link_href", link_href);
        ctx.insert("link_key", link_key);
        self.render("message.html", &ctx)
    }

    /// A form page that shows the form's values and its errors, and nothing else.
    pub fn render_form_values(
        &self,
        template: &str,
        form: &impl Serialize,
        errors: &FieldErrors,
    ) -> Result<HttpResponse, WebError> {
        let mut ctx = self.form_context();
        ctx.insert("form", form);
        self.render_form(template, ctx, errors)
    }

    pub fn render_form(
        &self,
        template: &str,
        mut ctx: tera::Context,
        errors: &FieldErrors,
    ) -> Result<HttpResponse, WebError> {
        Self::insert_errors(&mut ctx, errors);
        let mut response = self.render(template, &ctx)?;
        if !errors.is_empty() {
            *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
        }
        Ok(response)
    }

    pub fn render(&self, template: &str, ctx: &tera::Context) -> Result<HttpResponse, WebError> {
        let html = self.render_to_string(template, ctx)?;
        Ok(HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CONTENT_LANGUAGE, self.language.code()))
            .body(html))
    }

    pub fn render_to_string(
        &self,
        template: &str,
        ctx: &tera::Context,
    ) -> Result<String, WebError> {
        let templates = self.state.page_templates.for_language(self.language);
        templates.render(template, ctx).map_err(|e| {
            WebError::Internal(anyhow::Error::new(e).context(format!("rendering {template}")))
        })
    }
}

impl FromRequest for Page {
    type Error = WebError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Page::from_request(req))
    }
}

fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}
