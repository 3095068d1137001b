# Leichte Sprache (easy German) for mails: short sentences, one idea per sentence, hard words explained.
# The portal's pages are German or English; people choose Leichte Sprache for their mails on the
# account page. Every message missing here falls back to plain German (content/locales/de).

mail-signature = Viele Grüße von Ihrem Team von Teilhabe Thüringen

## Buchungen

mail-booking-what = Was
mail-booking-when = Wann
mail-booking-where = Wo
mail-booking-places = Plätze
mail-booking-name = Ihr Name
mail-booking-online = Im Internet
mail-booking-online-link = Link zum Kurs im Internet
mail-booking-action = Hier sehen Sie Ihre Buchung. Hier können Sie auch absagen
mail-booking-outro = An dieser E-Mail hängt eine Kalender-Datei. Mit der Datei kommt der Termin in den Kalender auf Ihrem Handy oder Computer. Sie können nicht kommen? Dann sagen Sie bitte ab. Dafür ist der Link oben.
mail-booking-outro-no-calendar = Sie können nicht kommen? Dann sagen Sie bitte ab. Dafür ist der Link oben.
mail-booking-action-ended = Hier sehen Sie Ihre Buchung
mail-booking-outro-ended = An dieser E-Mail hängt eine Kalender-Datei. Mit der Datei verschwindet der Termin aus dem Kalender auf Ihrem Handy oder Computer.
mail-booking-outro-calendar = An dieser E-Mail hängt eine Kalender-Datei. Mit der Datei kommen die Termine in den Kalender auf Ihrem Handy oder Computer.
mail-booking-sessions = Ihr Kurs hat noch mehr Termine. Sie sind für alle Termine angemeldet
mail-booking-session-cancelled = fällt aus
mail-booking-confirmed-subject = Sie sind angemeldet: { $title }
mail-booking-confirmed-intro = Guten Tag. Sie haben einen Platz. Wir freuen uns auf Sie.
mail-booking-waitlisted-subject = Sie sind auf der Warte-Liste: { $title }
mail-booking-waitlisted-intro = Guten Tag. Im Moment sind alle Plätze voll. Darum sind Sie auf der Warte-Liste. Das heißt: Wenn jemand absagt, bekommen Sie den Platz. Dann schreiben wir Ihnen eine E-Mail.
mail-booking-promoted-subject = Sie haben jetzt einen Platz: { $title }
mail-booking-promoted-intro = Guten Tag. Wir haben eine gute Nachricht. Jemand hat abgesagt. Darum haben Sie jetzt einen Platz. Sie müssen nichts mehr tun.
mail-booking-offered-subject = Wir haben Plätze für Sie: { $title }
mail-booking-offered-intro = { $places ->
    [one] Guten Tag. Es ist 1 Platz frei. Sie wollten mehr Plätze. Wir halten den Platz für Sie frei. Aber nur kurze Zeit. Bitte sagen Sie uns: Wollen Sie den Platz? Dafür ist der Link unten.
   *[other] Guten Tag. Es sind { $places } Plätze frei. Sie wollten mehr Plätze. Wir halten diese Plätze für Sie frei. Aber nur kurze Zeit. Bitte sagen Sie uns: Wollen Sie die Plätze? Dafür ist der Link unten.
}
mail-booking-cancelled-subject = Sie haben abgesagt: { $title }
mail-booking-cancelled-intro = Guten Tag. Sie haben abgesagt. Danke für Ihre Nachricht. Ihr Platz geht jetzt an eine andere Person.
mail-booking-cancelled-by-provider-subject = Ihre Anmeldung gilt nicht mehr: { $title }
mail-booking-cancelled-by-provider-intro = Guten Tag. Der Anbieter hat Ihre Anmeldung gelöscht. Der Anbieter ist die Stelle, die den Kurs macht. Haben Sie Fragen? Dann rufen Sie bitte den Anbieter an.
mail-booking-date-cancelled-subject = Der Termin fällt aus: { $title }
mail-booking-date-cancelled-intro = Guten Tag. Der Termin fällt leider aus. Das tut uns leid. Sie müssen nichts tun. Andere Termine finden Sie auf unserer Internet-Seite unter „Kurse“.
mail-booking-date-changed-subject = Der Termin ist anders: { $title }
mail-booking-date-changed-intro = Guten Tag. Der Termin hat sich geändert. Bitte lesen Sie die neuen Angaben unten. Sie können nicht kommen? Dann sagen Sie bitte ab.
mail-booking-reminder-subject = Bald ist Ihr Termin: { $title }
mail-booking-reminder-intro = Guten Tag. Bald ist Ihr Termin. Wir möchten Sie daran erinnern.
mail-booking-session-reminder-subject = Bald ist der nächste Termin: { $title }
mail-booking-session-reminder-intro = Guten Tag. Ihr Kurs hat mehrere Termine. Bald ist der nächste Termin. Er ist am { $when }.
mail-booking-session-moved-subject = Ein Termin ist anders: { $title }
mail-booking-session-moved-intro = Guten Tag. Ihr Kurs hat mehrere Termine. Ein Termin ist jetzt an einem anderen Tag oder zu einer anderen Zeit. Der neue Termin ist am { $when }. Die anderen Termine bleiben gleich.
mail-booking-session-cancelled-subject = Ein Termin fällt aus: { $title }
mail-booking-session-cancelled-intro = Guten Tag. Ihr Kurs hat mehrere Termine. Ein Termin fällt leider aus. Das ist der Termin am { $when }. Die anderen Termine finden statt. Ihre Buchung bleibt.
mail-booking-course-stopped-subject = Ihr Kurs hört früher auf: { $title }
mail-booking-course-stopped-intro = Guten Tag. Ihr Kurs hat mehrere Termine. Die nächsten Termine fallen leider alle aus. Der erste davon wäre am { $when } gewesen. Das tut uns leid. Sie müssen nichts tun. Sie haben Fragen? Dann rufen Sie den Anbieter an.
mail-booking-link-again-subject = Ihre Anmeldung: { $title }
mail-booking-link-again-intro = Guten Tag. Jemand wollte diesen Termin noch einmal mit Ihrer E-Mail-Adresse buchen. Sie sind schon angemeldet. Darum gibt es keine zweite Anmeldung. Hier ist noch einmal der Link zu Ihrer Anmeldung. Dort sehen Sie: Haben Sie einen Platz? Dort können Sie auch absagen. Waren Sie das nicht? Dann müssen Sie nichts tun.

## Rückmeldung nach einem Termin

mail-feedback-invitation-subject = Wie war es bei „{ $title }“?
mail-feedback-invitation-intro = Danke. Sie waren bei „{ $title }“. Wie war es? Bitte sagen Sie es uns. Das dauert nur 2 Minuten. Niemand erfährt Ihren Namen.
mail-feedback-invitation-action = Hier sagen Sie uns Ihre Meinung
mail-feedback-invitation-outro = Der Link geht nur 1 Mal. Sie müssen nicht antworten.

## Freiwillige Helfer und Helferinnen

mail-shift-changed-subject = Ihr Einsatz ist anders: { $title }
mail-shift-changed-intro = Ein Einsatz ist die Zeit, in der Sie helfen. Ihr Einsatz „{ $title }“ hat sich geändert. Er fängt jetzt am { $when } an. Bitte schauen Sie: Stimmen Zeit und Ort für Sie?
mail-shift-changed-action = Hier sehen Sie den Einsatz
mail-shift-changed-outro = Sie können nicht mehr helfen? Dann melden Sie sich bitte früh ab.
mail-shift-cancelled-subject = Ihr Einsatz fällt aus: { $title }
mail-shift-cancelled-intro = Ein Einsatz ist die Zeit, in der Sie helfen. Ihr Einsatz „{ $title }“ am { $when } fällt aus. Sie müssen nichts tun.
mail-shift-cancelled-action = Hier sehen Sie Ihre Einsätze
mail-shift-cancelled-outro = Danke, dass Sie helfen wollten.
mail-shift-date-cancelled-subject = Der Kurs fällt aus: { $title }
mail-shift-date-cancelled-intro = Sie helfen gerade beim Kurs „{ $title }“ am { $when }. Der Kurs fällt aus. Es kommen keine Teilnehmer. Ihr Einsatz zählt trotzdem. Schreiben Sie Ihre Stunden auf wie immer.
mail-shift-date-cancelled-action = Hier sehen Sie Ihren Einsatz
mail-shift-date-cancelled-outro = Danke für Ihre Hilfe.
mail-shift-withdrawn-late-subject = Eine Person hilft nicht: { $title }
mail-shift-withdrawn-late-intro = { $name } hat sich abgemeldet. Die Person hilft nicht beim Einsatz „{ $title }“ am { $when }. Das ist sehr kurz vorher.
mail-shift-withdrawn-late-someone = Eine Person
mail-shift-withdrawn-late-action = Hier sehen Sie den Einsatz
mail-shift-withdrawn-late-outro = Bitte schauen Sie: Gibt es noch genug Helfer und Helferinnen?
mail-shift-gaps-subject = Es fehlen Helfer und Helferinnen
mail-shift-gaps-intro = { $count ->
    [one] In den nächsten 2 Wochen gibt es 1 Einsatz. Dort fehlen noch Helfer und Helferinnen:
   *[other] In den nächsten 2 Wochen gibt es { $count } Einsätze. Dort fehlen noch Helfer und Helferinnen:
}
mail-shift-gaps-action = Hier sehen Sie die Einsätze
mail-shift-gaps-outro = Diese E-Mail bekommen Sie höchstens 1 Mal am Tag für jeden Einsatz.

## Konto

mail-verify-subject = Bitte bestätigen Sie Ihre E-Mail-Adresse
mail-verify-intro = Guten Tag. Sie haben ein Konto bei Teilhabe Thüringen gemacht. Mit einem Konto können Sie sich anmelden. Bitte bestätigen Sie jetzt Ihre E-Mail-Adresse. Bestätigen heißt: Sie sagen uns, dass die Adresse Ihnen gehört.
mail-verify-action = Hier bestätigen Sie Ihre Adresse
mail-verify-outro = Der Link geht 2 Tage lang. Sie haben kein Konto gemacht? Dann löschen Sie diese E-Mail einfach.
mail-exists-subject = Sie haben schon ein Konto
mail-exists-intro = Guten Tag. Jemand wollte mit Ihrer E-Mail-Adresse ein neues Konto machen. Aber Sie haben schon ein Konto.
mail-exists-action = Sie wissen Ihr Passwort nicht mehr? Hier machen Sie ein neues Passwort
mail-exists-outro = Das waren nicht Sie? Dann müssen Sie nichts tun.
mail-reset-subject = Ihr neues Passwort
mail-reset-intro = Guten Tag. Sie möchten ein neues Passwort. Ein Passwort ist ein geheimes Wort. Damit melden Sie sich an.
mail-reset-action = Hier machen Sie ein neues Passwort
mail-reset-outro = Der Link geht 1 Stunde lang. Und nur 1 Mal. Sie wollten kein neues Passwort? Dann löschen Sie diese E-Mail einfach.
mail-change-subject = Bitte bestätigen Sie Ihre neue E-Mail-Adresse
mail-change-intro = Guten Tag. Sie möchten eine neue E-Mail-Adresse für Ihr Konto. Bitte bestätigen Sie die neue Adresse. Bestätigen heißt: Sie sagen uns, dass die Adresse Ihnen gehört.
mail-change-action = Hier bestätigen Sie die neue Adresse
mail-change-outro = Der Link geht 1 Tag lang. Das waren nicht Sie? Dann löschen Sie diese E-Mail einfach.
mail-change-notice-subject = Ihre E-Mail-Adresse soll anders werden
mail-change-notice-intro = Guten Tag. Jemand hat für Ihr Konto eine neue E-Mail-Adresse eingegeben.
mail-change-notice-action = Das waren nicht Sie? Dann machen Sie bitte sofort ein neues Passwort
mail-change-notice-outro = Das waren Sie selbst? Dann müssen Sie nichts tun.
mail-change-exists-subject = Ihre E-Mail-Adresse bei Teilhabe Thüringen
mail-change-exists-intro = Guten Tag. Jemand wollte Ihre E-Mail-Adresse bei einem anderen Konto eintragen. Aber Sie haben mit der Adresse schon ein Konto. Darum haben wir nichts geändert.
mail-change-exists-action = Sie wissen Ihr Passwort nicht mehr? Hier machen Sie ein neues Passwort
mail-change-exists-outro = Das waren Sie selbst? Dann melden Sie sich einfach mit dieser Adresse an.
mail-login-blocked-subject = Wir haben Anmeldungen bei Ihrem Konto gestoppt
mail-login-blocked-intro = Guten Tag. Jemand hat sich bei Ihrem Konto anmelden wollen. Dabei war das Passwort oft falsch. Darum nehmen wir von diesem Gerät 15 Minuten lang keine Anmeldung an. Mit Ihren eigenen Geräten können Sie sich weiter anmelden.
mail-login-blocked-action = Das waren nicht Sie? Dann machen Sie am besten ein neues Passwort
mail-login-blocked-outro = Sie hatten selbst Ihr Passwort vergessen? Dann müssen Sie nichts tun.

## Vorschläge

mail-unsubscribe = Sie möchten keine Nachrichten mehr zu diesem Vorschlag? Dann klicken Sie hier
mail-proposal-confirm-subject = Bitte bestätigen Sie Ihren Vorschlag
mail-proposal-confirm-intro = Danke für Ihren Vorschlag „{ $title }“. Bitte bestätigen Sie Ihre E-Mail-Adresse. Bestätigen heißt: Sie sagen uns, dass die Adresse Ihnen gehört. Danach prüfen wir Ihren Vorschlag.
mail-proposal-confirm-action = Hier bestätigen Sie Ihren Vorschlag
mail-proposal-confirm-outro = Mit diesem Link sehen Sie später auch, was aus Ihrem Vorschlag geworden ist. Sie haben keinen Vorschlag geschickt? Dann löschen Sie diese E-Mail einfach.
mail-proposal-received-subject = Wir haben Ihren Vorschlag bekommen
mail-proposal-received-intro = Danke für Ihren Vorschlag „{ $title }“. Wir prüfen ihn jetzt.
mail-proposal-received-action = Hier sehen Sie, was aus Ihrem Vorschlag wird
mail-proposal-received-outro = Wir schreiben Ihnen wieder. Zum Beispiel: Wenn alle Ihren Vorschlag lesen können. Oder wenn die Verwaltung antwortet.
mail-proposal-published-subject = Alle können Ihren Vorschlag jetzt lesen
mail-proposal-published-intro = Ihr Vorschlag „{ $title }“ ist jetzt im Internet. Alle können ihn lesen. Andere Menschen können ihn unterstützen. Unterstützen heißt: Sie finden den Vorschlag auch gut.
mail-proposal-published-action = Hier sehen Sie Ihren Vorschlag
mail-proposal-published-outro = Wir schreiben Ihnen, wenn die Verwaltung antwortet.
mail-proposal-changes-subject = Bitte ändern Sie Ihren Vorschlag
mail-proposal-changes-intro = Wir haben Ihren Vorschlag „{ $title }“ gelesen. Bitte ändern Sie etwas daran. Das sollen Sie ändern:
mail-proposal-changes-action = Hier ändern Sie Ihren Vorschlag
mail-proposal-changes-outro = Danach lesen wir Ihren Vorschlag noch einmal.
mail-proposal-rejected-subject = Ihr Vorschlag kommt nicht ins Internet
mail-proposal-rejected-intro = Wir haben Ihren Vorschlag „{ $title }“ gelesen. Er kommt nicht ins Internet. Das ist der Grund:
mail-proposal-rejected-action = Hier sehen Sie andere Vorschläge
mail-proposal-rejected-outro = Sie können gern einen neuen Vorschlag schicken.
mail-proposal-update-subject = Neues zu „{ $title }“
mail-proposal-update-intro = Es gibt Neues zum Vorschlag „{ $title }“. So ist der Stand jetzt: { $status }.
mail-proposal-update-action = Hier sehen Sie den Vorschlag
mail-proposal-update-outro = Sie bekommen diese Nachricht, weil Sie Nachrichten zu diesem Vorschlag wollten.
mail-proposal-support-confirm-subject = Bitte bestätigen Sie: Sie finden den Vorschlag gut
mail-proposal-support-confirm-intro = Sie möchten den Vorschlag „{ $title }“ unterstützen. Unterstützen heißt: Sie finden den Vorschlag auch gut.
mail-proposal-support-confirm-action = Hier bestätigen Sie das
mail-proposal-support-confirm-outro = Das waren nicht Sie? Dann löschen Sie diese E-Mail einfach.
mail-proposal-support-already-subject = Sie finden den Vorschlag schon gut
mail-proposal-support-already-intro = Sie unterstützen den Vorschlag „{ $title }“ schon. Das zählt schon. Sie müssen nichts mehr machen.
mail-proposal-support-already-action = Hier sehen Sie den Vorschlag
mail-proposal-support-already-outro = Das waren nicht Sie? Dann löschen Sie diese E-Mail einfach.
mail-proposal-follow-already-subject = Sie bekommen schon Nachrichten zu diesem Vorschlag
mail-proposal-follow-already-intro = Sie bekommen schon Nachrichten zum Vorschlag „{ $title }“. Sie müssen nichts mehr machen.
mail-proposal-follow-already-action = Hier sehen Sie den Vorschlag
mail-proposal-follow-already-outro = Das waren nicht Sie? Dann löschen Sie diese E-Mail einfach.
mail-proposal-follow-confirm-subject = Bitte bestätigen Sie: Sie möchten Nachrichten zu einem Vorschlag
mail-proposal-follow-confirm-intro = Sie möchten Nachrichten zum Vorschlag „{ $title }“ bekommen.
mail-proposal-follow-confirm-action = Hier bestätigen Sie das
mail-proposal-follow-confirm-outro = Das waren nicht Sie? Dann löschen Sie diese E-Mail einfach.

## Benachrichtigung bei neuen Kursen
mail-course-alert-confirm-subject = Bitte bestätigen Sie: E-Mail bei neuen Kursen
mail-course-alert-confirm-intro = Sie möchten eine E-Mail bekommen. Immer wenn es neue Termine gibt. Zu dieser Suche:
mail-course-alert-confirm-action = Ja, ich möchte die E-Mails
mail-course-alert-confirm-outro = Der Link geht { $days } Tage lang. Sie waren das nicht? Dann löschen Sie diese E-Mail. Dann schreiben wir Ihnen nicht.
mail-course-alert-exists-subject = Sie bekommen schon E-Mails bei neuen Kursen
mail-course-alert-exists-intro = Zu dieser Suche bekommen Sie schon E-Mails:
mail-course-alert-exists-action = Keine E-Mails mehr
mail-course-alert-exists-outro = Sie möchten die E-Mails weiter bekommen? Dann müssen Sie nichts tun.
mail-course-alert-subject = { $count ->
    [one] Es gibt einen neuen Termin für Sie
   *[other] Es gibt { $count } neue Termine für Sie
}
mail-course-alert-intro = { $count ->
    [one] Es gibt einen neuen Termin. Er passt zu Ihrer Suche.
   *[other] Es gibt { $count } neue Termine. Sie passen zu Ihrer Suche.
}
mail-course-alert-filter = Ihre Suche
mail-course-alert-open = Ansehen und anmelden
mail-course-alert-more = { $count ->
    [one] Es gibt noch einen Termin. Er steht auf unserer Internet-Seite.
   *[other] Es gibt noch { $count } Termine. Sie stehen auf unserer Internet-Seite.
}
mail-course-alert-catalogue = Alle passenden Termine ansehen
mail-course-alert-outro = Wir schreiben Ihnen höchstens 1 Mal in der Woche. Und nur, wenn es etwas Neues gibt.
mail-course-alert-unsubscribe = Keine E-Mails mehr zu dieser Suche
