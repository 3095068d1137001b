//! The mail of an alert listing the dates new to it.
use std::{borrow::Cow, collections::HashMap};

use fluent_templates::fluent_bundle::FluentValue;
use serde::Serialize;

use super::{AlertDesk, describe::catalogue_href};
use crate::{
    db::entities::course_alert,
    domain::{Email, Language},
    i18n::{DateStyle, format_instant},
    mail::{OutgoingMail, compose::place_line},
    services::{catalogue, reference::District},
};

/// Dates listed in one mail; the rest are behind the link to the catalogue.
const LISTED: usize = 30;

impl AlertDesk {
    pub(super) fn alert_mail(
        &self,
        alert: &course_alert::Model,
        to: &Email,
        new: &[&catalogue::Entry],
        unsubscribe: &str,
        districts: &[District],
    ) -> anyhow::Result<OutgoingMail> {
        let lang = Language::from_code(&alert.language).unwrap_or(Language::De);
        let tr = &self.composer.translations;
        let base = self.base();
        let kind = alert.kind;
        let mut args: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        args.insert("count".into(), new.len().into());
        let online = tr.text(lang, "mail-booking-online");
        #[derive(Serialize)]
        struct Listed {
            title: String,
            when: String,
            place: String,
            link: String,
            /// Said when every place is taken: the date is listed, but not as a free place.
            full: Option<String>,
        }
        let listed: Vec<Listed> = new
            .iter()
            .take(LISTED)
            .map(|e| Listed {
                title: e.date.title.clone(),
                when: format!(
                    "{}, {}–{}",
                    format_instant(e.date.starts_at, lang, DateStyle::Date),
                    format_instant(e.date.starts_at, lang, DateStyle::Time),
                    format_instant(e.date.ends_at, lang, DateStyle::Time)
                ),
                place: place_line(&e.date, &online),
                link: format!("{base}{}", e.offer_path),
                full: e
                    .waiting_list
                    .then(|| tr.text(lang, "courses-waiting-list")),
            })
            .collect();
        let more = new.len().saturating_sub(LISTED);
        let mut more_args: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        more_args.insert("count".into(), more.into());
        let mut ctx = tera::Context::new();
        ctx.insert("lang", lang.code());
        ctx.insert(
            "intro",
            &tr.text_with(lang, "mail-course-alert-intro", &args),
        );
        ctx.insert("filter_label", &tr.text(lang, "mail-course-alert-filter"));
        ctx.insert(
            "filter",
            &self.describe_model(alert, lang, districts).join(", "),
        );
        ctx.insert("dates", &listed);
        ctx.insert(
            "more",
            &(more > 0).then(|| tr.text_with(lang, "mail-course-alert-more", &more_args)),
        );
        ctx.insert("open_label", &tr.text(lang, "mail-course-alert-open"));
        ctx.insert(
            "catalogue_label",
            &tr.text(lang, "mail-course-alert-catalogue"),
        );
        ctx.insert(
            "catalogue_link",
            &format!("{base}{}", catalogue_href(kind, &alert.filter_query)),
        );
        ctx.insert("outro", &tr.text(lang, "mail-course-alert-outro"));
        ctx.insert(
            "unsubscribe_text",
            &tr.text(lang, "mail-course-alert-unsubscribe"),
        );
        ctx.insert("unsubscribe_link", unsubscribe);
        ctx.insert("signature", &tr.text(lang, "mail-signature"));
        Ok(OutgoingMail {
            to: to.clone(),
            subject: tr.text_with(lang, "mail-course-alert-subject", &args),
            text: self
                .composer
                .templates
                .render("mail/course_alert.txt", &ctx)?,
            html: self
                .composer
                .templates
                .render("mail/course_alert.html", &ctx)?,
            attachment: None,
        })
    }
}
