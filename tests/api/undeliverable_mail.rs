//! Mail refused for good shows where staff work: the booking in the participant list and the
//! admins' list; correcting the address sends that booking's refused mail again to the new one, and
//! nobody else's. Refused and delivered mail is removed after 30 days.
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, sea_query::Expr};
use teilhabe::{
    db::entities::{audit_log, booking, outbox},
    domain::Email,
    mail::{self, OutgoingMail},
    services::undeliverable_mail::{self, CorrectionError},
};

use crate::{
    helpers::{
        DEMO_PASSWORD_ADMIN, TestApp, select, text_of, until_someone_waits_for_a_lock, user_id,
    },
    on_both_backends,
};

/// The first confirmed demo booking with an e-mail address.
async fn demo_booking_with_address(app: &TestApp) -> booking::Model {
    booking::Entity::find()
        .filter(booking::Column::Email.is_not_null())
        .filter(booking::Column::Status.eq("confirmed"))
        .order_by_asc(booking::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("a demo booking with an address")
}

on_both_backends!(
    undeliverable_mail_is_shown_and_the_address_corrected,
    |app| {
        let booked = demo_booking_with_address(&app).await;
        let old = booked.email.clone().unwrap();
        let old_link = format!("/buchung/{}", app.link_secret(&booked).unwrap());
        let refused_mail = |subject: &str| OutgoingMail {
            to: Email::parse(&old).unwrap(),
            subject: subject.into(),
            text: format!("Bestätigung: http://teilhabe.test{old_link}"),
            html: format!("<p><a href=\"http://teilhabe.test{old_link}\">Bestätigung</a></p>"),
            attachment: None,
        };
        assert_eq!(app.get(&old_link).await.status(), 200);
        // A booking mail that the server refused for good, and at the same address another
        // person's mail (a placeholder address typed for two walk-ins, say): a correction of this
        // booking must not send that one to the new address.
        mail::enqueue_about_booking(&app.db, refused_mail("Ihre Buchung"), booked.id)
            .await
            .unwrap();
        mail::enqueue_about_booking(&app.db, refused_mail("Jemand anderes"), booked.id + 1_000)
            .await
            .unwrap();
        outbox::Entity::update_many()
            .col_expr(outbox::Column::FailedAt, Expr::value(chrono::Utc::now()))
            .col_expr(
                outbox::Column::Attempts,
                Expr::value(mail::PERMANENT_REFUSALS),
            )
            .col_expr(
                outbox::Column::LastError,
                Expr::value("refused: 550 5.1.1 <x…@example.de>: User unknown"),
            )
            .filter(outbox::Column::Recipient.eq(old.as_str()))
            .filter(outbox::Column::SentAt.is_null())
            .exec(&app.db)
            .await
            .unwrap();

        let (admin, password) = DEMO_PASSWORD_ADMIN;
        assert_eq!(app.login(admin, password).await.status(), 303);
        let date_page = format!("/verwaltung/termine/{}", booked.date_id);
        let address_page = format!("/verwaltung/buchungen/{}/adresse", booked.id);

        // The participant list marks the booking and leads to the correction.
        let (_, doc) = app.get_html(&date_page).await;
        assert!(text_of(&doc, "#teilnehmende + .table-wrap").contains("E-Mail nicht zugestellt"));
        assert_eq!(
            select(&doc, &format!("a[href=\"{address_page}\"]")).len(),
            1
        );
        // So does the admins' list, with the server's reply.
        let (status, doc) = app.get_html("/verwaltung/unzustellbar").await;
        assert_eq!(status, 200);
        let table = text_of(&doc, "table");
        assert!(
            table.contains(&old) && table.contains("550 5.1.1"),
            "{table}"
        );
        assert_eq!(
            select(&doc, &format!("table a[href=\"{address_page}\"]")).len(),
            1
        );

        // The correction page says what happened and offers the printed confirmation.
        let (status, doc) = app.get_html(&address_page).await;
        assert_eq!(status, 200);
        assert!(text_of(&doc, "main .notice").contains(&old));
        assert_eq!(
            select(
                &doc,
                &format!("a[href=\"/verwaltung/buchungen/{}/beleg\"]", booked.id)
            )
            .len(),
            1
        );

        // A wrong address: the message next to the field, the input kept, nothing changed.
        let res = app
            .submit(
                &address_page,
                &address_page,
                &[("email", "neu-at-example.de")],
            )
            .await;
        assert_eq!(res.status(), 422);
        let doc = scraper::Html::parse_document(&res.text().await.unwrap());
        assert_eq!(
            select(&doc, ".error-summary a")[0].value().attr("href"),
            Some("#email")
        );
        assert!(!text_of(&doc, "#email-error").is_empty());
        assert_eq!(
            select(&doc, "#email")[0].value().attr("value"),
            Some("neu-at-example.de")
        );
        let unchanged = booking::Entity::find_by_id(booked.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(unchanged.email.as_deref(), Some(old.as_str()));

        // The right address: stored, the refused mail goes out again to it.
        let res = app
            .submit(
                &address_page,
                &address_page,
                &[("email", "richtig@example.de")],
            )
            .await;
        assert_eq!(res.status(), 303);
        assert!(
            res.headers()["location"]
                .to_str()
                .unwrap()
                .contains("erledigt=adresse-korrigiert")
        );
        let corrected = booking::Entity::find_by_id(booked.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(corrected.email.as_deref(), Some("richtig@example.de"));
        // The old address may be a stranger's that took the mail with the booking's link: that link
        // no longer opens the booking, and the mail sent again carries the new one.
        assert_eq!(app.get(&old_link).await.status(), 404);
        let new_link = format!("/buchung/{}", app.link_secret(&corrected).unwrap());
        assert_ne!(new_link, old_link);
        let (status, page) = app.get_html(&new_link).await;
        assert_eq!(status, 200);
        assert!(text_of(&page, "main").contains("richtig@example.de"));
        let mails = app.mails().await;
        assert!(
            mails.iter().any(|m| m.contains("To: richtig@example.de")
                && m.contains("Ihre Buchung")
                && m.contains(&new_link)
                && !m.contains(&old_link)),
            "the refused mail went to the new address with the new link"
        );
        assert!(
            !mails
                .iter()
                .any(|m| m.contains("To: richtig@example.de") && m.contains("Jemand anderes")),
            "another booking's mail went to the corrected address"
        );
        let dead = outbox::Entity::find()
            .filter(outbox::Column::FailedAt.is_not_null())
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(dead.len(), 1, "{dead:?}");
        assert_eq!(
            (dead[0].subject.as_str(), dead[0].recipient.as_str()),
            ("Jemand anderes", old.as_str())
        );
        let (_, doc) = app.get_html(&date_page).await;
        assert!(!text_of(&doc, "#teilnehmende + .table-wrap").contains("E-Mail nicht zugestellt"));
        let audited = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("booking.address_corrected"))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(audited.len(), 1);
        assert!(
            audited[0].details.contains("1 undeliverable"),
            "{:?}",
            audited[0]
        );
    }
);

// Mail refused for good goes out again to the same address when an admin says so: one message
// (the recipient mended a full or switched-off mailbox) or all of them (the operator mended what
// made the server refuse the portal's mail). Mail still being tried is left to the sender.
on_both_backends!(refused_mail_is_sent_again_when_an_admin_says_so, |app| {
    let plain = |to: &str, subject: &str| OutgoingMail {
        to: Email::parse(to).unwrap(),
        subject: subject.into(),
        text: format!("{subject}."),
        html: format!("<p>{subject}.</p>"),
        attachment: None,
    };
    for (to, subject) in [
        ("voll@example.de", "Erste Nachricht"),
        ("gesperrt@example.de", "Zweite Nachricht"),
        ("spaeter@example.de", "Dritte Nachricht"),
    ] {
        mail::enqueue(&app.db, plain(to, subject)).await.unwrap();
    }
    // The first two were given up; the third is still being tried.
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Attempts,
            Expr::value(mail::PERMANENT_REFUSALS),
        )
        .col_expr(
            outbox::Column::LastError,
            Expr::value("refused: 552 5.2.2 mailbox full"),
        )
        .col_expr(
            outbox::Column::NextAttemptAt,
            Expr::value(chrono::Utc::now() + chrono::Duration::hours(1)),
        )
        .filter(outbox::Column::SentAt.is_null())
        .exec(&app.db)
        .await
        .unwrap();
    outbox::Entity::update_many()
        .col_expr(outbox::Column::FailedAt, Expr::value(chrono::Utc::now()))
        .filter(outbox::Column::Subject.is_in(["Erste Nachricht", "Zweite Nachricht"]))
        .exec(&app.db)
        .await
        .unwrap();
    let row = |subject: &'static str| {
        let db = app.db.clone();
        async move {
            outbox::Entity::find()
                .filter(outbox::Column::Subject.eq(subject))
                .one(&db)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let first = row("Erste Nachricht").await;

    let (admin, password) = DEMO_PASSWORD_ADMIN;
    assert_eq!(app.login(admin, password).await.status(), 303);
    let list = "/verwaltung/unzustellbar";
    let (_, doc) = app.get_html(list).await;
    let one = format!("/verwaltung/unzustellbar/{}/erneut", first.id);
    assert_eq!(
        select(&doc, &format!("form[action=\"{one}\"] button")).len(),
        1
    );
    assert!(
        text_of(&doc, "table").contains("Dritte Nachricht"),
        "refused as often, but still tried: listed"
    );
    let forms = select(&doc, "form[action$=\"/erneut\"]").len();
    assert_eq!(
        forms, 3,
        "one per refused mail and one for all; none for mail still tried"
    );

    let res = app.submit(list, &one, &[]).await;
    assert_eq!(res.status(), 303);
    let back = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.contains("erledigt=erneut-gesendet"), "{back}");
    let (_, doc) = app.get_html(&back).await;
    assert!(
        text_of(&doc, ".notification-banner__heading").contains("erneut gesendet"),
        "the page says what was done"
    );
    let again = row("Erste Nachricht").await;
    assert_eq!(
        (again.failed_at, again.attempts, again.last_error),
        (None, 0, None)
    );
    assert!(again.next_attempt_at <= chrono::Utc::now());
    assert!(
        row("Zweite Nachricht").await.failed_at.is_some(),
        "only the one asked for"
    );
    let mails = app.mails().await;
    assert!(mails.iter().any(|m| m.contains("To: voll@example.de")));
    assert!(!mails.iter().any(|m| m.contains("To: gesperrt@example.de")));
    // Delivered meanwhile: nothing left to send again, and the list says so.
    let res = app.submit(list, &one, &[]).await;
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .contains("erledigt=nichts-erneut-zu-senden")
    );

    let res = app
        .submit(list, "/verwaltung/unzustellbar/erneut", &[])
        .await;
    assert_eq!(res.status(), 303);
    assert!(row("Zweite Nachricht").await.failed_at.is_none());
    let still_tried = row("Dritte Nachricht").await;
    assert_eq!(
        still_tried.attempts,
        mail::PERMANENT_REFUSALS,
        "mail still being tried is the sender's"
    );
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("mail.sent_again"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(audited, 2);
    // Given up more than a week ago: only on its own, not with all the others.
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::FailedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::days(8)),
        )
        .col_expr(
            outbox::Column::SentAt,
            Expr::value(None::<chrono::DateTime<chrono::Utc>>),
        )
        .filter(outbox::Column::Subject.eq("Dritte Nachricht"))
        .exec(&app.db)
        .await
        .unwrap();
    let res = app
        .submit(list, "/verwaltung/unzustellbar/erneut", &[])
        .await;
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .contains("erledigt=nichts-erneut-zu-senden")
    );
    assert!(row("Dritte Nachricht").await.failed_at.is_some());
});

// The server answers "try later" for a day (a full mailbox, a receiving server that is down): the
// sender goes on trying, and staff see the mail where they see refused mail, so they can call.
on_both_backends!(
    mail_failing_for_more_than_a_day_is_shown_while_it_is_retried,
    |app| {
        let booked = demo_booking_with_address(&app).await;
        let address = booked.email.clone().unwrap();
        let now = chrono::Utc::now();
        for (subject, queued) in [
            ("Seit gestern", now - chrono::Duration::hours(30)),
            ("Seit vorhin", now - chrono::Duration::hours(2)),
        ] {
            mail::enqueue_about_booking(
                &app.db,
                OutgoingMail {
                    to: Email::parse(&address).unwrap(),
                    subject: subject.into(),
                    text: "Bestätigung".into(),
                    html: "<p>Bestätigung</p>".into(),
                    attachment: None,
                },
                booked.id,
            )
            .await
            .unwrap();
            outbox::Entity::update_many()
                .col_expr(outbox::Column::CreatedAt, Expr::value(queued))
                .col_expr(outbox::Column::Attempts, Expr::value(6))
                .col_expr(
                    outbox::Column::LastError,
                    Expr::value("452 4.2.2 Mailbox full"),
                )
                .col_expr(
                    outbox::Column::NextAttemptAt,
                    Expr::value(now + chrono::Duration::hours(1)),
                )
                .filter(outbox::Column::Subject.eq(subject))
                .exec(&app.db)
                .await
                .unwrap();
        }

        let (admin, password) = DEMO_PASSWORD_ADMIN;
        assert_eq!(app.login(admin, password).await.status(), 303);
        let (status, doc) = app.get_html("/verwaltung/unzustellbar").await;
        assert_eq!(status, 200);
        let table = text_of(&doc, "table");
        assert!(
            table.contains("Seit gestern") && table.contains("Mailbox full"),
            "{table}"
        );
        assert!(table.contains("nächster Versuch"), "{table}");
        assert!(
            !table.contains("Seit vorhin"),
            "a few hours are normal: {table}"
        );
        let (_, doc) = app
            .get_html(&format!("/verwaltung/termine/{}", booked.date_id))
            .await;
        assert!(text_of(&doc, "#teilnehmende + .table-wrap").contains("E-Mail nicht zugestellt"));

        // Correcting the address sends it to the new one at once.
        let address_page = format!("/verwaltung/buchungen/{}/adresse", booked.id);
        let res = app
            .submit(
                &address_page,
                &address_page,
                &[("email", "richtig@example.de")],
            )
            .await;
        assert_eq!(res.status(), 303);
        let mails = app.mails().await;
        assert!(
            mails
                .iter()
                .any(|m| m.contains("To: richtig@example.de") && m.contains("Seit gestern")),
            "the waiting mail went to the new address"
        );
    }
);

on_both_backends!(mail_is_removed_after_thirty_days_delivered_or_not, |app| {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let now = chrono::Utc::now();
    let long_ago = now - chrono::Duration::days(31);
    let lately = now - chrono::Duration::days(2);
    outbox::Entity::delete_many().exec(&app.db).await.unwrap();
    // (subject, queued, delivered, refused for good)
    let cases = [
        ("delivered long ago", long_ago, Some(long_ago), None),
        ("delivered lately", lately, Some(lately), None),
        ("refused long ago", long_ago, None, Some(long_ago)),
        ("refused lately", lately, None, Some(lately)),
        ("failing for a month", long_ago, None, None),
        ("waiting", lately, None, None),
    ];
    for (subject, queued, sent, failed) in cases {
        mail::enqueue(
            &app.db,
            OutgoingMail {
                to: Email::parse("alt@example.de").unwrap(),
                subject: subject.into(),
                text: "Text".into(),
                html: "<p>Text</p>".into(),
                attachment: None,
            },
        )
        .await
        .unwrap();
        let row = outbox::Entity::find()
            .filter(outbox::Column::Subject.eq(subject))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let mut row = row.into_active_model();
        row.created_at = Set(queued);
        row.sent_at = Set(sent);
        row.failed_at = Set(failed);
        row.update(&app.db).await.unwrap();
    }

    let removed = mail::delete_older_than(&app.db, mail::kept_for(chrono::Duration::days(90)))
        .await
        .unwrap();
    assert_eq!(removed, 3);
    let mut left: Vec<String> = outbox::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.subject)
        .collect();
    left.sort();
    assert_eq!(left, ["delivered lately", "refused lately", "waiting"]);
    // A shorter retention of booking data shortens it for mail too.
    assert_eq!(
        mail::kept_for(chrono::Duration::days(14)),
        chrono::Duration::days(14)
    );
});

on_both_backends!(delivered_mail_keeps_no_text, |app| {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    outbox::Entity::delete_many().exec(&app.db).await.unwrap();
    let link = "http://teilhabe.test/buchung/geheim";
    let mail_to = |to: &str, subject: &str| OutgoingMail {
        to: Email::parse(to).unwrap(),
        subject: subject.into(),
        text: format!("Ihre Buchung: {link}"),
        html: format!("<p><a href=\"{link}\">Ihre Buchung</a></p>"),
        attachment: Some(mail::Attachment {
            file_name: "termin.ics".into(),
            content_type: "text/calendar".into(),
            body: format!("URL:{link}"),
        }),
    };
    mail::enqueue(&app.db, mail_to("eins@example.de", "Zugestellt"))
        .await
        .unwrap();
    // A course alert's one-click unsubscribe address works as a link does.
    let unsubscribe = "<http://teilhabe.test/benachrichtigung/abmelden/geheim>";
    outbox::Entity::update_many()
        .col_expr(outbox::Column::ListUnsubscribe, Expr::value(unsubscribe))
        .exec(&app.db)
        .await
        .unwrap();
    let delivered = app.mails().await;
    assert!(
        delivered.iter().any(|m| m.contains(link)),
        "the mail itself has the link"
    );
    let row = outbox::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert!(row.sent_at.is_some());
    assert_eq!(
        (
            row.body_text.as_str(),
            row.body_html.as_str(),
            &row.attachment_body
        ),
        ("", "", &None),
        "a delivered mail's text is not kept"
    );
    assert_eq!(row.list_unsubscribe, None, "nor its unsubscribe link");
    assert_eq!(
        (row.recipient.as_str(), row.subject.as_str()),
        ("eins@example.de", "Zugestellt"),
        "the record that it went out stays"
    );

    // An older version delivered a mail and kept its text; a mail still waiting keeps its own.
    let mut older = row.into_active_model();
    older.body_text = Set(format!("Ihre Buchung: {link}"));
    older.body_html = Set(format!("<a href=\"{link}\">"));
    older.attachment_body = Set(Some(format!("URL:{link}")));
    older.list_unsubscribe = Set(Some(unsubscribe.into()));
    older.update(&app.db).await.unwrap();
    mail::enqueue(&app.db, mail_to("zwei@example.de", "Wartet"))
        .await
        .unwrap();
    assert_eq!(mail::forget_delivered_texts(&app.db).await.unwrap(), 1);
    assert_eq!(mail::forget_delivered_texts(&app.db).await.unwrap(), 0);
    let rows: Vec<(String, String, String, Option<String>)> = outbox::Entity::find()
        .order_by_asc(outbox::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.subject, m.body_text, m.body_html, m.attachment_body))
        .collect();
    assert_eq!(
        rows,
        [
            ("Zugestellt".into(), "".into(), "".into(), None),
            (
                "Wartet".into(),
                format!("Ihre Buchung: {link}"),
                format!("<p><a href=\"{link}\">Ihre Buchung</a></p>"),
                Some(format!("URL:{link}"))
            ),
        ]
    );
    let links_kept = outbox::Entity::find()
        .filter(outbox::Column::ListUnsubscribe.is_not_null())
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(
        links_kept, 0,
        "an older version's unsubscribe link goes too"
    );
});

// The booking is anonymised (its date long past, or the account deleted) while staff's correction
// is on its way, after the correction looked at it: no address goes back into the anonymised
// booking, and staff are told so plainly.
on_both_backends!(
    a_booking_anonymised_while_its_address_is_corrected_stays_without_one,
    |app| {
        let booked = demo_booking_with_address(&app).await;
        let admin = user_id(&app, DEMO_PASSWORD_ADMIN.0).await;
        let anonymising = teilhabe::db::begin_write(&app.db).await.unwrap();
        booking::Entity::update_many()
            .col_expr(booking::Column::Email, Expr::value(None::<String>))
            .col_expr(
                booking::Column::AnonymisedAt,
                Expr::value(chrono::Utc::now()),
            )
            .filter(booking::Column::Id.eq(booked.id))
            .exec(&*anonymising)
            .await
            .unwrap();
        let correction = tokio::spawn({
            let db = app.db.clone();
            let sealer = app.sealer();
            async move {
                let address = Email::parse("richtig@example.de").unwrap();
                undeliverable_mail::correct_booking_address(
                    &db, &sealer, &None, admin, booked.id, &address,
                )
                .await
            }
        });
        until_someone_waits_for_a_lock(&app.db).await;
        anonymising.commit().await.unwrap();
        let corrected = correction.await.unwrap();
        assert!(
            matches!(corrected, Err(CorrectionError::Anonymised)),
            "{corrected:?}"
        );
        let stored = booking::Entity::find_by_id(booked.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.email, None);
        assert!(stored.anonymised_at.is_some());
        let audited = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("booking.address_corrected"))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(audited, 0);

        // A correction sent later, from a form opened before, is told the same.
        let address = Email::parse("richtig@example.de").unwrap();
        let later = undeliverable_mail::correct_booking_address(
            &app.db,
            &app.sealer(),
            &None,
            admin,
            booked.id,
            &address,
        )
        .await;
        assert!(
            matches!(later, Err(CorrectionError::Anonymised)),
            "{later:?}"
        );
    }
);

// With a retention period of a day, delivered mail goes after a day, but mail that never reached
// anyone (the mail server down over a weekend) stays as long as the sender retries and staff see
// it as undeliverable: 30 days.
on_both_backends!(mail_never_delivered_outlasts_a_short_retention, |app| {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let now = chrono::Utc::now();
    let weekend = now - chrono::Duration::days(3);
    let long_ago = now - chrono::Duration::days(31);
    outbox::Entity::delete_many().exec(&app.db).await.unwrap();
    // (subject, queued, delivered, refused for good)
    let cases = [
        ("delivered after the weekend", weekend, Some(weekend), None),
        ("still failing since the weekend", weekend, None, None),
        ("refused at the weekend", weekend, None, Some(weekend)),
        ("failing for a month", long_ago, None, None),
    ];
    for (subject, queued, sent, failed) in cases {
        mail::enqueue(
            &app.db,
            OutgoingMail {
                to: Email::parse("kurz@example.de").unwrap(),
                subject: subject.into(),
                text: "Text".into(),
                html: "<p>Text</p>".into(),
                attachment: None,
            },
        )
        .await
        .unwrap();
        let mut row = outbox::Entity::find()
            .filter(outbox::Column::Subject.eq(subject))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .into_active_model();
        row.created_at = Set(queued);
        row.sent_at = Set(sent);
        row.failed_at = Set(failed);
        row.update(&app.db).await.unwrap();
    }

    let removed = mail::delete_older_than(&app.db, mail::kept_for(chrono::Duration::days(1)))
        .await
        .unwrap();
    assert_eq!(removed, 2);
    let mut left: Vec<String> = outbox::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.subject)
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["refused at the weekend", "still failing since the weekend"]
    );
});
