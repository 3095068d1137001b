//! Account mails (address confirmation, password reset): short, plain text and HTML, in the person's language.
use std::{borrow::Cow, collections::HashMap, sync::Arc};

use fluent_templates::fluent_bundle::FluentValue;

use super::OutgoingMail;
use crate::{
    domain::{Email, Language},
    i18n::Translations,
};

#[derive(Clone)]
pub struct Composer {
    pub templates: Arc<tera::Tera>,
    pub translations: Translations,
    pub base_url: String,
}

impl Composer {
    /// `kind` selects the texts `mail-<kind>-subject`, `-intro`, `-action`, `-outro`; `path` is the link target.
    pub fn account_link(
        &self,
        lang: Language,
        to: &Email,
        kind: &str,
        path: &str,
    ) -> anyhow::Result<OutgoingMail> {
        let link = format!("{}{path}", self.base_url.trim_end_matches('/'));
        let args: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        let text = |part: &str| {
            self.translations
                .text_with(lang, &format!("mail-{kind}-{part}"), &args)
        };
        let mut ctx = tera::Context::new();
        ctx.insert("lang", lang.code());
        ctx.insert("intro", &text("intro"));
        ctx.insert("action", &text("action"));
        ctx.insert("outro", &text("outro"));
        ctx.insert("link", &link);
        ctx.insert("signature", &self.translations.text(lang, "mail-signature"));
        Ok(OutgoingMail {
            to: to.clone(),
            subject: text("subject"),
            text: self.templates.render("mail/account_link.txt", &ctx)?,
            html: self.templates.render("mail/account_link.html", &ctx)?,
        })
    }
}
