//! Sign in and out, registration with address confirmation, forgotten password.
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::see_other;
use crate::web::notice::{Done, see_other_done};
use crate::{
    domain::{Email, FieldErrors, PersonName, password::NewPassword},
    mail::compose::Composer,
    services::{
        accounts::{self, AccountError, PURPOSE_RESET, PURPOSE_VERIFY, Registration},
        audit,
    },
    web::{
        errors::WebError,
        page::Page,
        spam,
        throttling::{self, Refused, Subject},
    },
};

/// Only local paths are followed after login, never another site: a path of printable ASCII that
/// starts with a single `/` and, resolved against this site, stays on it. Browsers drop tabs and line
/// breaks and read `\\` as `/`, so `/\t/evil.example` would lead away; control characters would not
/// even fit in a header.
fn safe_return(path: &str) -> &str {
    let base = url::Url::parse("http://teilhabe.invalid/").expect("fixed URL");
    let local = path.starts_with('/')
        && !path.starts_with("//")
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
        && base
            .join(path)
            .is_ok_and(|url| url.origin() == base.origin());
    if local { path } else { "/konto" }
}

pub fn composer(page: &Page) -> Composer {
    page.state().composer()
}

// ---------- sign in ----------

#[derive(Deserialize, Serialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing)]
    password: String,
    #[serde(default)]
    weiter: String,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    weiter: String,
    #[serde(default)]
    hinweis: String,
}

fn login_page(
    page: &Page,
    form: &LoginForm,
    errors: &FieldErrors,
    notice: Option<String>,
) -> Result<HttpResponse, WebError> {
    let mut ctx = page.form_context();
    ctx.insert("form", form);
    ctx.insert("notice", &notice);
    page.render_form("auth/login.html", ctx, errors)
}

pub async fn login_form(
    page: Page,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, WebError> {
    if page.user().is_some() {
        return Ok(see_other("/konto"));
    }
    let notice = match query.hinweis.as_str() {
        "passwort" => Some(page.t("login-notice-password-changed")),
        _ => None,
    };
    let form = LoginForm {
        weiter: query.into_inner().weiter,
        ..LoginForm::default()
    };
    login_page(&page, &form, &FieldErrors::default(), notice)
}

pub async fn login(
    req: HttpRequest,
    page: Page,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    let db = &page.state().db;
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(&form.email));
    if form.password.is_empty() {
        errors.add("password", "error-password-missing");
    }
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return login_page(&page, &form, &errors, None);
    };

    // Every attempt counts before the password is checked, so parallel guesses are counted too;
    // a successful one is taken back below.
    let counted = match throttling::take(&req, &page, Subject::email(email.as_str())).await? {
        Ok(counted) => counted,
        Err(refused) => {
            accounts::tell_of_blocked_sign_in(
                db,
                &composer(&page),
                &page.state().pseudonyms,
                &email,
            )
            .await
            .map_err(WebError::Internal)?;
            let notice = page.state().translations.text_with(
                page.language,
                "throttled-wait",
                &[("minutes".into(), refused.minutes.into())]
                    .into_iter()
                    .collect(),
            );
            return Refused::answer(login_page(&page, &form, &refused.errors, Some(notice)));
        }
    };

    let mut checked = accounts::authenticate(db, &email, &form.password).await;
    // A password reset committed while the password was being checked: the one typed is no longer
    // the account's. (Should the reset come later still, the session is not opened either.)
    if let Ok(verified) = &checked
        && !verified.still_current(db).await?
    {
        checked = Err(AccountError::InvalidCredentials);
    }
    match checked {
        Ok(verified) => {
            let user_id = verified.user_id;
            counted.sign_in_succeeded(db).await?;
            audit::record(
                db,
                Some(user_id),
                "login.success",
                &format!("user:{user_id}"),
                "",
            )
            .await?;
            page.session().log_in(verified);
            Ok(see_other(safe_return(&form.weiter)))
        }
        Err(e @ (AccountError::InvalidCredentials | AccountError::NotVerified)) => {
            audit::record(
                db,
                None,
                "login.failure",
                &format!("domain:{}", email.domain()),
                "",
            )
            .await?;
            let key = if matches!(e, AccountError::NotVerified) {
                "error-login-unconfirmed"
            } else {
                "error-login-failed"
            };
            errors.add("email", key);
            login_page(&page, &form, &errors, None)
        }
        Err(e) => Err(WebError::Internal(anyhow::Error::new(e))),
    }
}

pub async fn logout(page: Page) -> HttpResponse {
    if let Some(user) = page.user() {
        let _ = audit::record(
            &page.state().db,
            Some(user.id),
            "logout",
            &format!("user:{}", user.id),
            "",
        )
        .await;
    }
    page.session().log_out();
    see_other("/")
}

// ---------- registration ----------

#[derive(Deserialize, Serialize, Default)]
pub struct RegisterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing)]
    password: String,
    /// Honeypot: hidden from people, filled in by bots.
    #[serde(default, skip_serializing)]
    website: String,
}

const REGISTER_PAGE: &str = "auth/register.html";

pub async fn register_form(page: Page) -> Result<HttpResponse, WebError> {
    page.render_form_values(
        REGISTER_PAGE,
        &RegisterForm::default(),
        &FieldErrors::default(),
    )
}

pub async fn register(
    req: HttpRequest,
    page: Page,
    form: web::Form<RegisterForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    if spam::caught_in_honeypot(&form.website, "registration") {
        return Ok(see_other("/registrieren/gesendet"));
    }
    let mut errors = FieldErrors::default();
    let name = errors.check("name", PersonName::parse(&form.name));
    let email = errors.check("email", Email::parse(&form.email));
    let password = errors.check(
        "password",
        NewPassword::parse(&form.password, Some(form.email.trim())),
    );
    let (Some(name), Some(email), Some(password)) = (name, email, password) else {
        return page.render_form_values(REGISTER_PAGE, &form, &errors);
    };
    let db = &page.state().db;
    if let Err(refused) = throttling::take(&req, &page, Subject::email(email.as_str())).await? {
        return Refused::answer(page.render_form_values(REGISTER_PAGE, &form, &refused.errors));
    }
    accounts::register(
        db,
        &composer(&page),
        page.language,
        Registration {
            email,
            name,
            password,
        },
    )
    .await
    .map_err(|e| WebError::Internal(anyhow::Error::new(e)))?;
    Ok(see_other("/registrieren/gesendet"))
}

pub async fn register_sent(page: Page) -> Result<HttpResponse, WebError> {
    page.message(
        "register-sent-title",
        "register-sent-text",
        "/",
        "error-home-link",
    )
}

#[derive(Deserialize, Serialize)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
}

/// The answer to a used or expired link, with where to ask for a new one.
pub(super) fn invalid_link(
    page: &Page,
    retry_href: &str,
    retry_key: &str,
) -> Result<HttpResponse, WebError> {
    page.message(
        "token-invalid-title",
        "token-invalid-text",
        retry_href,
        retry_key,
    )
}

pub async fn confirm_form(
    page: Page,
    query: web::Query<TokenForm>,
) -> Result<HttpResponse, WebError> {
    if !accounts::token_is_valid(&page.state().db, &query.token, PURPOSE_VERIFY).await? {
        return invalid_link(&page, "/registrieren", "nav-register");
    }
    let mut ctx = page.form_context();
    ctx.insert("token", &query.token);
    page.render_form("auth/confirm.html", ctx, &FieldErrors::default())
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

/// Confirms the address with the password chosen at registration, and signs the person in.
pub async fn confirm(page: Page, form: web::Form<ConfirmForm>) -> Result<HttpResponse, WebError> {
    let refuse = |message: &'static str| {
        let mut ctx = page.form_context();
        ctx.insert("token", &form.token);
        page.render_form(
            "auth/confirm.html",
            ctx,
            &FieldErrors::single("password", message),
        )
    };
    if form.password.is_empty() {
        return refuse("error-password-missing");
    }
    match accounts::confirm_email(&page.state().db, &form.token, &form.password).await {
        Ok(verified) => {
            let user_id = verified.user_id;
            audit::record(
                &page.state().db,
                Some(user_id),
                "login.success",
                &format!("user:{user_id}"),
                "confirmed",
            )
            .await?;
            page.session().log_in(verified);
            Ok(see_other_done("/konto", Done::AccountConfirmed))
        }
        Err(AccountError::InvalidToken) => invalid_link(&page, "/registrieren", "nav-register"),
        Err(AccountError::InvalidCredentials) => refuse("error-confirm-password"),
        Err(e) => Err(WebError::Internal(anyhow::Error::new(e))),
    }
}

// ---------- forgotten password ----------

#[derive(Deserialize, Serialize, Default)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

const FORGOT_PAGE: &str = "auth/forgot.html";

pub async fn forgot_form(page: Page) -> Result<HttpResponse, WebError> {
    page.render_form_values(FORGOT_PAGE, &ForgotForm::default(), &FieldErrors::default())
}

pub async fn forgot(
    req: HttpRequest,
    page: Page,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, WebError> {
    let answer_not_before = tokio::time::Instant::now() + FORGOT_ANSWER_TIME;
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    let Some(email) = errors.check("email", Email::parse(&form.email)) else {
        return page.render_form_values(FORGOT_PAGE, &form, &errors);
    };
    let db = &page.state().db;
    let limited = throttling::take(&req, &page, Subject::email(email.as_str()))
        .await?
        .is_err();
    // A limited request gets the same answer: the page must not tell whether the address exists.
    if !limited {
        accounts::request_password_reset(db, &composer(&page), page.language, &email)
            .await
            .map_err(|e| WebError::Internal(anyhow::Error::new(e)))?;
    }
    tokio::time::sleep_until(answer_not_before).await;
    Ok(see_other("/passwort-vergessen/gesendet"))
}

/// Every answer to a reset request takes this long: a known address costs a link, a mail and an
/// audit entry, an unknown one nothing, and without the wait the difference would tell which
/// addresses have an account. Well above that work's few milliseconds, and short for a person.
const FORGOT_ANSWER_TIME: std::time::Duration = std::time::Duration::from_millis(250);

pub async fn forgot_sent(page: Page) -> Result<HttpResponse, WebError> {
    page.message(
        "forgot-sent-title",
        "forgot-sent-text",
        "/anmelden",
        "nav-login",
    )
}

#[derive(Deserialize, Serialize, Default)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default, skip_serializing)]
    password: String,
}

const RESET_PAGE: &str = "auth/reset.html";

pub async fn reset_form(
    page: Page,
    query: web::Query<TokenForm>,
) -> Result<HttpResponse, WebError> {
    if !accounts::token_is_valid(&page.state().db, &query.token, PURPOSE_RESET).await? {
        return invalid_link(&page, "/passwort-vergessen", "forgot-title");
    }
    let form = ResetForm {
        token: query.into_inner().token,
        ..ResetForm::default()
    };
    page.render_form_values(RESET_PAGE, &form, &FieldErrors::default())
}

pub async fn reset(page: Page, form: web::Form<ResetForm>) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    // The link's account address: the new password must not be it.
    let email = accounts::reset_email(&page.state().db, &form.token).await?;
    let Some(password) = errors.check(
        "password",
        NewPassword::parse(&form.password, email.as_deref()),
    ) else {
        return page.render_form_values(RESET_PAGE, &form, &errors);
    };
    match accounts::reset_password(&page.state().db, &form.token, password).await {
        Ok(_) => {
            page.session().log_out();
            Ok(see_other("/anmelden?hinweis=passwort"))
        }
        Err(AccountError::InvalidToken) => {
            invalid_link(&page, "/passwort-vergessen", "forgot-title")
        }
        Err(e) => Err(WebError::Internal(anyhow::Error::new(e))),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return;

    #[test]
    fn only_paths_on_this_site_are_followed() {
        for good in [
            "/konto",
            "/kurse/a-b?seite=2#liste",
            "/verwaltung/stunden?monat=2026-11",
        ] {
            assert_eq!(safe_return(good), good);
        }
        for bad in [
            "",
            "konto",
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/\0",
            "/\\evil.example",
            "\\\\evil.example",
            "/ /evil.example",
            "https://evil.example/",
            "/\u{2028}/evil.example",
            "/%09/x\t",
        ] {
            assert_eq!(safe_return(bad), "/konto", "{bad:?}");
        }
    }
}
