//! Mail refused for good shows where staff work: the booking in the participant list and the
//! admins' list; correcting the address sends the refused mail again to the new one.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr};
use teilhabe::{
    db::entities::{audit_log, booking, outbox},
    domain::Email,
    mail::{self, OutgoingMail},
};

use crate::{
    helpers::{DEMO_PASSWORD_ADMIN, select, text_of},
    on_both_backends,
};

on_both_backends!(
    undeliverable_mail_is_shown_and_the_address_corrected,
    |app| {
        let booked = booking::Entity::find()
            .filter(booking::Column::Email.is_not_null())
            .filter(booking::Column::Status.eq("confirmed"))
            .order_by_asc(booking::Column::Id)
            .one(&app.db)
            .await
            .unwrap()
            .expect("a demo booking with an address");
        let old = booked.email.clone().unwrap();
        // A booking mail that the server refused for good.
        mail::enqueue(
            &app.db,
            OutgoingMail {
                to: Email::parse(&old).unwrap(),
                subject: "Ihre Buchung".into(),
                text: "Bestätigung".into(),
                html: "<p>Bestätigung</p>".into(),
                attachment: None,
            },
        )
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
        assert!(text_of(&doc, "#teilnehmende + .table-wrap").contains("E-Mail nicht zustellbar"));
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
        let mails = app.mails().await;
        assert!(
            mails
                .iter()
                .any(|m| m.contains("To: richtig@example.de") && m.contains("Ihre Buchung")),
            "the refused mail went to the new address"
        );
        let dead = outbox::Entity::find()
            .filter(outbox::Column::FailedAt.is_not_null())
            .all(&app.db)
            .await
            .unwrap();
        assert!(dead.is_empty(), "{dead:?}");
        let (_, doc) = app.get_html(&date_page).await;
        assert!(!text_of(&doc, "#teilnehmende + .table-wrap").contains("E-Mail nicht zustellbar"));
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
