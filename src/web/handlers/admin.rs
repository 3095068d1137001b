//! The back-office ("Verwaltung"): start page, users and roles, audit log, barrier reports.
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::{
    domain::{DistrictKey, FieldErrors, Role},
    policy,
    services::{admin, audit, undeliverable_mail},
    web::{
        errors::WebError,
        notice::{Done, see_other_done},
        page::Page,
    },
};

pub async fn index(page: Page) -> Result<HttpResponse, WebError> {
    page.require(policy::can_open_back_office)?;
    page.render("admin/index.html", &page.context())
}

#[derive(Deserialize)]
pub struct UserSearch {
    #[serde(default)]
    suche: String,
}

pub async fn users(page: Page, query: web::Query<UserSearch>) -> Result<HttpResponse, WebError> {
    page.require(policy::can_manage_users)?;
    let list = admin::users(&page.state().db, &query.suche).await?;
    let mut ctx = page.context();
    ctx.insert("users", &list);
    ctx.insert("search", &query.suche);
    page.render("admin/users.html", &ctx)
}

/// The user's page; after a refused grant, with the admin's choices kept (a role list back at its
/// first entry would grant the wrong role when only the organisation is corrected).
async fn user_page(
    page: &Page,
    id: i32,
    chosen: &GrantForm,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let shown = admin::user(db, id).await?.ok_or(WebError::NotFound)?;
    let choices = admin::scope_choices(db).await?;
    let mut ctx = page.form_context();
    ctx.insert("shown", &shown);
    ctx.insert(
        "roles",
        &Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
    );
    ctx.insert("organisations", &choices.organisations);
    ctx.insert("districts", &choices.districts);
    ctx.insert("chosen_role", &chosen.role);
    ctx.insert(
        "chosen_organisation",
        &chosen.organisation.trim().parse::<i32>().ok(),
    );
    ctx.insert("chosen_district", chosen.district.trim());
    page.render_form("admin/user.html", ctx, errors)
}

pub async fn user(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    page.require(policy::can_manage_users)?;
    user_page(
        &page,
        id.into_inner(),
        &GrantForm::default(),
        &FieldErrors::default(),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct GrantForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    district: String,
}

pub async fn grant(
    page: Page,
    id: web::Path<i32>,
    form: web::Form<GrantForm>,
) -> Result<HttpResponse, WebError> {
    let actor = page.require(policy::can_manage_users)?;
    let id = id.into_inner();
    let mut errors = FieldErrors::default();
    let role = errors.check("role", Role::parse(&form.role));
    let organisation = match form.organisation.trim() {
        "" => None,
        raw => errors.check(
            "organisation",
            raw.parse::<i32>().map_err(|_| "error-organisation-invalid"),
        ),
    };
    let district = match form.district.trim() {
        "" => None,
        raw => errors
            .check("district", DistrictKey::parse(raw))
            .map(|k| k.as_str().to_owned()),
    };
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        return user_page(&page, id, &form, &errors).await;
    };
    match admin::grant(&page.state().db, actor.id, id, role, organisation, district).await {
        Ok(()) => Ok(see_other_done(
            &format!("/verwaltung/nutzer/{id}"),
            Done::RoleGranted,
        )),
        Err(admin::GrantError::Scope) => {
            let field = if role == Role::Moderator {
                "district"
            } else {
                "organisation"
            };
            errors.add(
                field,
                if role == Role::Moderator {
                    "error-district-invalid"
                } else {
                    "error-organisation-invalid"
                },
            );
            user_page(&page, id, &form, &errors).await
        }
        Err(admin::GrantError::AlreadyHeld) => {
            errors.add("role", "error-role-held");
            user_page(&page, id, &form, &errors).await
        }
        Err(admin::GrantError::Db(e)) => Err(e.into()),
    }
}

pub async fn revoke(page: Page, path: web::Path<(i32, i32)>) -> Result<HttpResponse, WebError> {
    let actor = page.require(policy::can_manage_users)?;
    let (id, role_id) = path.into_inner();
    let sign_ups = page.state().volunteer_sign_up();
    match admin::revoke(&page.state().db, &sign_ups, actor.id, id, role_id).await? {
        admin::Revoked::Done => Ok(see_other_done(
            &format!("/verwaltung/nutzer/{id}"),
            Done::RoleRevoked,
        )),
        admin::Revoked::NotFound => Err(WebError::NotFound),
        admin::Revoked::LastAdministrator => {
            let errors = FieldErrors::single("roles", "error-last-administrator");
            let mut answer = user_page(&page, id, &GrantForm::default(), &errors).await?;
            // The request is fine; the portal's state does not allow it (as for the deletion).
            *answer.status_mut() = actix_web::http::StatusCode::CONFLICT;
            Ok(answer)
        }
    }
}

/// Mail that servers refused for good, with the bookings it concerns.
pub async fn undeliverable_mail(page: Page) -> Result<HttpResponse, WebError> {
    page.require(policy::can_view_audit_log)?;
    let mails = undeliverable_mail::list(&page.state().db, 200).await?;
    let mut ctx = page.context();
    ctx.insert(
        "refused_count",
        &undeliverable_mail::count_to_send_again(&page.state().db).await?,
    );
    ctx.insert("mails", &mails);
    page.render("admin/undeliverable.html", &ctx)
}

/// Sends one refused mail again, or every one refused within the last week.
async fn send_again(
    page: Page,
    which: undeliverable_mail::SendAgain,
) -> Result<HttpResponse, WebError> {
    let actor = page.require(policy::can_resend_mail)?;
    let resent = undeliverable_mail::send_again(&page.state().db, actor.id, which).await?;
    // Sent again by someone else a moment ago, or delivered meanwhile: the list says how things
    // stand now.
    let done = if resent == 0 {
        Done::NothingToSendAgain
    } else {
        Done::MailSentAgain
    };
    Ok(see_other_done("/verwaltung/unzustellbar", done))
}

pub async fn send_mail_again(page: Page, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    send_again(page, undeliverable_mail::SendAgain::One(id.into_inner())).await
}

pub async fn send_all_mail_again(page: Page) -> Result<HttpResponse, WebError> {
    send_again(page, undeliverable_mail::SendAgain::All).await
}

pub async fn audit_log(page: Page) -> Result<HttpResponse, WebError> {
    page.require(policy::can_view_audit_log)?;
    let entries = audit::latest(&page.state().db, 500).await?;
    let mut ctx = page.context();
    ctx.insert("entries", &entries);
    page.render("admin/audit.html", &ctx)
}

/// Removes the name and address of a barrier report, as its sender asked.
pub async fn forget_barrier_contact(
    page: Page,
    id: web::Path<i32>,
) -> Result<HttpResponse, WebError> {
    let actor = page.require(policy::can_view_barrier_reports)?;
    admin::forget_barrier_contact(&page.state().db, actor.id, id.into_inner()).await?;
    // Removed by someone else a moment ago: the list shows the report without them either way.
    Ok(see_other_done(
        "/verwaltung/barrieren",
        Done::BarrierContactErased,
    ))
}

pub async fn barrier_reports(page: Page) -> Result<HttpResponse, WebError> {
    page.require(policy::can_view_barrier_reports)?;
    let reports = admin::barrier_reports(&page.state().db).await?;
    let mut ctx = page.context();
    ctx.insert("reports", &reports);
    page.render("admin/barrier_reports.html", &ctx)
}
