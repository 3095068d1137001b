//! The back office for proposals: the moderation queue of a district, reports, official answers,
//! and proposals typed in by staff from paper cards or phone calls.
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::proposals::{category_options, district_options, form_errors};
use crate::{
    domain::{
        FieldErrors,
        proposal::{ModerationStep, ProposalEntry, ProposalForm, ProposalStatus},
    },
    policy::{
        self, ProposalRights, can_answer_proposals, can_enter_assisted_proposals, proposal_rights,
    },
    services::proposals::{self, Actor, Decision, ProposalError, Submitter},
    web::{
        errors::WebError,
        handlers::see_other,
        notice::{Done, see_other_done},
        page::Page,
    },
};

/// The signed-in person who answers proposals (their id), with what their roles let them do.
fn answerer(page: &Page) -> Result<(i32, ProposalRights), WebError> {
    let user = page.require(can_answer_proposals)?;
    Ok((user.id, proposal_rights(Some(&user))))
}

pub async fn index(page: Page) -> Result<HttpResponse, WebError> {
    let (_, rights) = answerer(&page)?;
    let desk = page.state().proposal_desk();
    let districts = page.state().districts().await?;
    let (waiting, reported) = if rights.moderates_any() {
        desk.moderation()
            .queue(&rights, &districts)
            .await
            .map_err(internal)?
    } else {
        (Vec::new(), Vec::new())
    };
    let to_answer = desk
        .answers()
        .to_answer(&rights, &districts)
        .await
        .map_err(internal)?;
    let mut ctx = page.form_context();
    ctx.insert("moderates", &rights.moderates_any());
    ctx.insert("waiting", &waiting);
    ctx.insert("reported", &reported);
    ctx.insert("to_answer", &to_answer);
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
    /// The stamp of the proposal the page was opened with (`ProposalFile::moderation_seen`).
    seen: String,
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct AnswerForm {
    status: String,
    antwort: String,
    /// The stamp of state and answer the form was filled from (`ProposalFile::answer_seen`).
    answer_seen: String,
}

/// A form sent from a page opened before the proposal changed. The page shows the stored state;
/// the form keeps the person's input and gets the new stamp, so sending it again is a decision
/// taken with the stored state in view.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stale {
    Answer,
    /// The decision is not kept: what it does depends on the state (publishing a hidden proposal
    /// restores it), so the moderator chooses again with the state in view.
    Moderation,
}

async fn render_detail(
    page: &Page,
    id: i64,
    moderation: Option<&ModerationForm>,
    answer: Option<&AnswerForm>,
    errors: &FieldErrors,
    stale: Option<Stale>,
) -> Result<HttpResponse, WebError> {
    let (_, rights) = answerer(page)?;
    let districts = page.state().districts().await?;
    let found = page
        .state()
        .proposal_desk()
        .moderation()
        .for_staff(id, &rights, &districts)
        .await
        .map_err(internal)?;
    let status = found.proposal.status;
    let mut ctx = page.form_context();
    ctx.insert("proposal", &found.proposal);
    ctx.insert("channel", &found.channel);
    ctx.insert("contact", &found.contact);
    ctx.insert("moderation_note", &found.moderation_note);
    ctx.insert("history", &found.history);
    let moderates = rights.moderates(&found.proposal.district_key);
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
    let mut moderation = moderation.cloned().unwrap_or_else(|| ModerationForm {
        seen: found.moderation_seen.clone(),
        ..ModerationForm::default()
    });
    let moderation_stale = stale == Some(Stale::Moderation);
    if moderation_stale {
        moderation.seen = found.moderation_seen.clone();
        moderation.aktion.clear();
    }
    ctx.insert("moderation", &moderation);
    ctx.insert("moderation_stale", &moderation_stale);
    let mut answer = answer.cloned().unwrap_or_else(|| AnswerForm {
        status: status.key().to_owned(),
        antwort: found.proposal.official_answer.clone().unwrap_or_default(),
        answer_seen: found.answer_seen.clone(),
    });
    let answer_stale = stale == Some(Stale::Answer);
    if answer_stale {
        answer.answer_seen = found.answer_seen.clone();
    }
    ctx.insert("answer", &answer);
    ctx.insert("answer_stale", &answer_stale);
    ctx.insert(
        "answer_statuses",
        &page.choices(
            "proposal-status",
            ProposalStatus::ANSWERS.iter().map(|s| s.key()),
        ),
    );
    page.render_form("proposal_admin/show.html", ctx, errors)
}

pub async fn show(page: Page, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    render_detail(&page, *id, None, None, &FieldErrors::default(), None).await
}

pub async fn moderate(
    page: Page,
    id: web::Path<i64>,
    form: web::Form<ModerationForm>,
) -> Result<HttpResponse, WebError> {
    let (user_id, rights) = answerer(&page)?;
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
                return render_detail(&page, id, Some(&form), None, &errors, None).await;
            }
        },
        _ => {
            let mut errors = FieldErrors::default();
            errors.add("aktion", "error-moderation-action-missing");
            return render_detail(&page, id, Some(&form), None, &errors, None).await;
        }
    };
    let actor = Actor {
        user_id,
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
        .moderation()
        .moderate(id, decision, &form.seen, actor)
        .await
    {
        Ok(()) => Ok(see_other_done("/verwaltung/vorschlaege", done)),
        Err(ProposalError::Changed) => {
            let errors = FieldErrors::single("aktion", "error-proposal-changed");
            render_detail(
                &page,
                id,
                Some(&form),
                None,
                &errors,
                Some(Stale::Moderation),
            )
            .await
        }
        Err(error) => {
            let errors = form_errors(error)?;
            render_detail(&page, id, Some(&form), None, &errors, None).await
        }
    }
}

pub async fn answer(
    page: Page,
    id: web::Path<i64>,
    form: web::Form<AnswerForm>,
) -> Result<HttpResponse, WebError> {
    let (user_id, rights) = answerer(&page)?;
    let id = *id;
    let form = form.into_inner();
    let Ok(next) = ProposalStatus::parse(&form.status) else {
        let mut errors = FieldErrors::default();
        errors.add("status", "error-status-invalid");
        return render_detail(&page, id, None, Some(&form), &errors, None).await;
    };
    let actor = Actor {
        user_id,
        rights: &rights,
    };
    match page
        .state()
        .proposal_desk()
        .answers()
        .answer(id, next, &form.antwort, &form.answer_seen, actor)
        .await
    {
        Ok(()) => Ok(see_other_done(
            &format!("/verwaltung/vorschlaege/{id}"),
            Done::AnswerSaved,
        )),
        Err(ProposalError::Changed) => {
            render_detail(
                &page,
                id,
                None,
                Some(&form),
                &FieldErrors::single("status", "error-answer-changed"),
                Some(Stale::Answer),
            )
            .await
        }
        Err(error) => {
            let errors = form_errors(error)?;
            render_detail(&page, id, None, Some(&form), &errors, None).await
        }
    }
}

pub async fn resolve_report(page: Page, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let (user_id, rights) = answerer(&page)?;
    page.state()
        .proposal_desk()
        .moderation()
        .resolve_report(
            *id,
            Actor {
                user_id,
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
    let scope = policy::managed_organisations(user);
    Ok(proposals::dialogue_events(&page.state().db, scope).await?)
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
    let draft = match form.parse(ProposalEntry::Staff) {
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
        .intake()
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
