//! The back office for proposals: the moderation queue of a district, reports, official answers,
//! and proposals typed in by staff from paper cards or phone calls.
use actix_web::{HttpResponse, web};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use super::proposals::{
    EventView, ProposalView, category_options, district_names, district_options, form_errors,
};
use crate::{
    db::entities::offer,
    domain::{
        FieldErrors,
        offer::OfferKind,
        proposal::{ModerationStep, ProposalForm, ProposalStatus},
    },
    policy::{self, can_answer_proposals, can_enter_assisted_proposals, proposal_rights},
    services::proposals::{Actor, Decision, ProposalError, Submitter},
    web::{
        errors::WebError,
        handlers::see_other,
        notice::{Done, see_other_done},
        page::Page,
    },
};

#[derive(Serialize)]
struct Row {
    id: i64,
    title: String,
    district_name: String,
    status: ProposalStatus,
    channel: String,
    supports: i32,
    answered: bool,
    created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize)]
struct ReportRow {
    id: i64,
    reason: String,
    created_at: chrono::DateTime<chrono::Utc>,
    proposal: Row,
}

pub async fn index(page: Page) -> Result<HttpResponse, WebError> {
    let user = page.require(can_answer_proposals)?;
    let rights = proposal_rights(Some(&user));
    let desk = page.state().proposal_desk();
    let names = district_names(&page).await?;
    let row = |m: &crate::db::entities::proposal::Model| Row {
        id: m.id,
        title: m.title.clone(),
        district_name: names.get(&m.district_key).cloned().unwrap_or_default(),
        status: m.status,
        channel: m.channel.clone(),
        supports: m.supports_count,
        answered: m.official_answer.is_some(),
        created_at: m.created_at,
    };
    let (waiting, reported) = if rights.moderates_any() {
        desk.queue(&rights).await.map_err(internal)?
    } else {
        (Vec::new(), Vec::new())
    };
    let to_answer = desk.to_answer(&rights).await.map_err(internal)?;
    let mut ctx = page.form_context();
    ctx.insert("moderates", &rights.moderates_any());
    ctx.insert("waiting", &waiting.iter().map(row).collect::<Vec<_>>());
    ctx.insert(
        "reported",
        &reported
            .iter()
            .map(|(r, p)| ReportRow {
                id: r.id,
                reason: r.reason.clone(),
                created_at: r.created_at,
                proposal: row(p),
            })
            .collect::<Vec<_>>(),
    );
    ctx.insert("to_answer", &to_answer.iter().map(row).collect::<Vec<_>>());
    page.render("proposal_admin/index.html", &ctx)
}

fn internal(e: ProposalError) -> WebError {
    match e {
        ProposalError::NotFound => WebError::NotFound,
        ProposalError::Db(e) => WebError::Database(e),
        other => WebError::Internal(other.into()),
    }
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct ModerationForm {
    aktion: String,
    begruendung: String,
    ziel: String,
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct AnswerForm {
    status: String,
    antwort: String,
}

async fn render_detail(
    page: &Page,
    id: i64,
    moderation: &ModerationForm,
    answer: Option<&AnswerForm>,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let user = page.require(can_answer_proposals)?;
    let rights = proposal_rights(Some(&user));
    let (model, history) = page
        .state()
        .proposal_desk()
        .for_staff(id, &rights)
        .await
        .map_err(internal)?;
    let names = district_names(page).await?;
    let status = model.status;
    let mut ctx = page.form_context();
    ctx.insert(
        "proposal",
        &ProposalView::new(
            &model,
            names.get(&model.district_key).cloned().unwrap_or_default(),
        ),
    );
    ctx.insert("channel", &model.channel);
    ctx.insert("contact", &model.contact);
    ctx.insert("moderation_note", &model.moderation_note);
    ctx.insert(
        "history",
        &history.iter().map(EventView::from).collect::<Vec<_>>(),
    );
    let moderates = rights.everywhere || rights.moderated_districts.contains(&model.district_key);
    let mut actions = Vec::new();
    if moderates {
        for (step, action) in [
            (ModerationStep::Publish, "veroeffentlichen"),
            (ModerationStep::RequestChanges, "aenderung"),
            (ModerationStep::Reject, "zurueckweisen"),
            (ModerationStep::Hide, "verbergen"),
            (ModerationStep::Merge, "zusammenfuehren"),
        ] {
            if status.moderate(step).is_some() {
                actions.push(action);
            }
        }
    }
    ctx.insert("actions", &actions);
    ctx.insert("is_public", &status.is_public());
    ctx.insert("moderation", moderation);
    let answer = answer.cloned().unwrap_or_else(|| AnswerForm {
        status: model.status.key().to_owned(),
        antwort: model.official_answer.clone().unwrap_or_default(),
    });
    ctx.insert("answer", &answer);
    ctx.insert(
        "answer_statuses",
        &ProposalStatus::ANSWERS
            .iter()
            .map(|s| (s.key(), page.t(&format!("proposal-status-{}", s.key()))))
            .collect::<Vec<_>>(),
    );
    page.render_form("proposal_admin/show.html", ctx, errors)
}

pub async fn show(page: Page, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    render_detail(
        &page,
        *id,
        &ModerationForm::default(),
        None,
        &FieldErrors::default(),
    )
    .await
}

pub async fn moderate(
    page: Page,
    id: web::Path<i64>,
    form: web::Form<ModerationForm>,
) -> Result<HttpResponse, WebError> {
    let user = page.require(can_answer_proposals)?;
    let rights = proposal_rights(Some(&user));
    let id = *id;
    let form = form.into_inner();
    let decision = match form.aktion.as_str() {
        "veroeffentlichen" => Decision::Publish,
        "aenderung" => Decision::RequestChanges(form.begruendung.clone()),
        "zurueckweisen" => Decision::Reject(form.begruendung.clone()),
        "verbergen" => Decision::Hide(form.begruendung.clone()),
        "zusammenfuehren" => match form.ziel.trim().trim_start_matches('#').parse::<i64>() {
            Ok(target) => Decision::Merge(target),
            Err(_) => {
                let mut errors = FieldErrors::default();
                errors.add("ziel", "error-merge-target-unknown");
                return render_detail(&page, id, &form, None, &errors).await;
            }
        },
        _ => {
            let mut errors = FieldErrors::default();
            errors.add("aktion", "error-moderation-action-missing");
            return render_detail(&page, id, &form, None, &errors).await;
        }
    };
    let actor = Actor {
        user_id: user.id,
        rights: &rights,
    };
    let done = match decision {
        Decision::Publish => Done::ProposalPublished,
        Decision::RequestChanges(_) => Done::ProposalChangesRequested,
        Decision::Reject(_) => Done::ProposalRejected,
        Decision::Hide(_) => Done::ProposalHidden,
        Decision::Merge(_) => Done::ProposalMerged,
    };
    match page
        .state()
        .proposal_desk()
        .moderate(id, decision, actor)
        .await
    {
        Ok(()) => Ok(see_other_done("/verwaltung/vorschlaege", done)),
        Err(error) => {
            let errors = form_errors(error)?;
            render_detail(&page, id, &form, None, &errors).await
        }
    }
}

pub async fn answer(
    page: Page,
    id: web::Path<i64>,
    form: web::Form<AnswerForm>,
) -> Result<HttpResponse, WebError> {
    let user = page.require(can_answer_proposals)?;
    let rights = proposal_rights(Some(&user));
    let id = *id;
    let form = form.into_inner();
    let Ok(next) = ProposalStatus::parse(&form.status) else {
        let mut errors = FieldErrors::default();
        errors.add("status", "error-status-invalid");
        return render_detail(&page, id, &ModerationForm::default(), Some(&form), &errors).await;
    };
    let actor = Actor {
        user_id: user.id,
        rights: &rights,
    };
    match page
        .state()
        .proposal_desk()
        .answer(id, next, &form.antwort, actor)
        .await
    {
        Ok(()) => Ok(see_other_done(
            &format!("/verwaltung/vorschlaege/{id}"),
            Done::AnswerSaved,
        )),
        Err(error) => {
            let errors = form_errors(error)?;
            render_detail(&page, id, &ModerationForm::default(), Some(&form), &errors).await
        }
    }
}

pub async fn resolve_report(page: Page, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let user = page.require(can_answer_proposals)?;
    let rights = proposal_rights(Some(&user));
    page.state()
        .proposal_desk()
        .resolve_report(
            *id,
            Actor {
                user_id: user.id,
                rights: &rights,
            },
        )
        .await
        .map_err(internal)?;
    Ok(see_other_done(
        "/verwaltung/vorschlaege",
        Done::ReportResolved,
    ))
}

/// Dialogue events of the organisations this person manages (all for admins), newest first.
async fn events_for(page: &Page) -> Result<Vec<(String, String)>, WebError> {
    let Some(user) = page.user() else {
        return Ok(Vec::new());
    };
    let mut query = offer::Entity::find()
        .filter(offer::Column::Kind.eq(OfferKind::Dialogue.key()))
        .order_by_desc(offer::Column::Id);
    if let Some(ids) = policy::managed_organisations(user) {
        query = query.filter(offer::Column::OrganisationId.is_in(ids));
    }
    Ok(query
        .limit(100)
        .all(&page.state().db)
        .await?
        .into_iter()
        .map(|o| (o.id.to_string(), o.title))
        .collect())
}

async fn render_assisted(
    page: &Page,
    form: &ProposalForm,
    errors: &FieldErrors,
    saved: bool,
) -> Result<HttpResponse, WebError> {
    let mut ctx = page.form_context();
    ctx.insert("form", form);
    ctx.insert("events", &events_for(page).await?);
    ctx.insert("saved", &saved);
    ctx.insert("districts", &district_options(page).await?);
    ctx.insert("categories", &category_options(page));
    page.render_form("proposal_admin/assisted.html", ctx, errors)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssistedQuery {
    erfasst: String,
}

pub async fn assisted_form(
    page: Page,
    query: web::Query<AssistedQuery>,
) -> Result<HttpResponse, WebError> {
    page.require(can_enter_assisted_proposals)?;
    render_assisted(
        &page,
        &ProposalForm::default(),
        &FieldErrors::default(),
        query.erfasst == "1",
    )
    .await
}

pub async fn assisted(page: Page, form: web::Form<ProposalForm>) -> Result<HttpResponse, WebError> {
    let user = page.require(can_enter_assisted_proposals)?;
    let form = form.into_inner();
    let draft = match form.parse(false) {
        Ok(draft) => draft,
        Err(errors) => return render_assisted(&page, &form, &errors, false).await,
    };
    if let Some(event) = draft.event
        && !events_for(&page)
            .await?
            .iter()
            .any(|(id, _)| *id == event.to_string())
    {
        let mut errors = FieldErrors::default();
        errors.add("veranstaltung", "error-event-invalid");
        return render_assisted(&page, &form, &errors, false).await;
    }
    match page
        .state()
        .proposal_desk()
        .submit(
            draft,
            Submitter::Assisted {
                staff_user_id: user.id,
            },
            page.language,
        )
        .await
    {
        Ok(_) => Ok(see_other("/verwaltung/vorschlaege/erfassen?erfasst=1")),
        Err(error) => {
            let errors = form_errors(error)?;
            render_assisted(&page, &form, &errors, false).await
        }
    }
}
