## Seitenrahmen
service-name = Teilhabe Thüringen
service-tagline = Digital dabei: Kurse, Treffen und Ideen für Thüringen
skip-to-content = Zum Inhalt springen
nav-label = Hauptnavigation
nav-home = Startseite
nav-courses = Kurse
nav-places = Orte
nav-help = Hilfe
lang-switch-label = Sprache wählen
footer-label = Informationen und Rechtliches
footer-accessibility = Barrierefreiheit
footer-easy-language = Leichte Sprache
footer-sign-language = Gebärdensprache
footer-privacy = Datenschutz
footer-imprint = Impressum
footer-contact = Kontakt
footer-report-barrier = Barriere melden
footer-note = Ein Angebot der Thüringer Digitalstrategie für alle, die digital dabei sein wollen.
optional = (freiwillig)

## Startseite
home-title = Startseite
home-heading = Digital dabei in Thüringen
home-lead = Hier finden Sie Orte in Ihrer Nähe, an denen Sie den Umgang mit Smartphone, Computer und Internet lernen können: Probierläden, Volkshochschulen und Treffpunkte in Ihrer Gemeinde. Die Teilnahme ist meist kostenlos.
home-accessible-heading = Informationen in Leichter Sprache und Gebärdensprache
home-easy-language-text = Die wichtigsten Informationen über diese Website in Leichter Sprache.
home-sign-language-text = Die wichtigsten Informationen über diese Website in Deutscher Gebärdensprache.
home-places-heading = Orte in Ihrer Nähe
home-places-text = Wählen Sie Ihren Landkreis oder Ihre Stadt. Sie sehen dann Probierläden, Volkshochschulen und andere Orte mit Angaben zur Barrierefreiheit.
home-places-submit = Orte anzeigen
home-help-heading = Hilfe und Kontakt
home-help-text = Sie sind unsicher oder haben eine Frage? Auf der Hilfeseite erklären wir Schritt für Schritt, wie diese Website funktioniert. Sie können uns auch anrufen.
home-help-link = Zur Hilfe
home-contact-link = Kontakt aufnehmen

## Orte
places-title = Orte
places-intro = Probierläden, Volkshochschulen und andere Orte, an denen digitale Angebote stattfinden. Bei jedem Ort steht, ob er barrierefrei erreichbar ist.
places-filter-legend = Orte filtern
places-filter-district = Landkreis oder kreisfreie Stadt
places-filter-all = Alle Landkreise und Städte
places-filter-step-free = Nur Orte mit stufenlosem Zugang
places-filter-submit = Anzeigen
places-count = { $count ->
    [one] 1 Ort gefunden
   *[other] { $count } Orte gefunden
}
places-none = Für diese Auswahl haben wir keinen Ort gefunden. Wählen Sie einen anderen Landkreis oder „Alle Landkreise und Städte“.
places-unknown-district = Diesen Landkreis kennen wir nicht. Wir zeigen alle Orte.
place-address = Adresse
place-district = Landkreis oder Stadt
place-accessibility = Barrierefreiheit
place-directions = So kommen Sie hin
place-contact = Kontakt
place-organisation = Anbieter
place-phone = Telefon
place-email = E-Mail
place-website = Website
place-back = Zurück zu allen Orten
feature-step-free = Stufenloser Zugang
feature-accessible-toilet = Barrierefreie Toilette
feature-hearing-loop = Induktive Höranlage
feature-parking = Parkplätze in der Nähe
feature-yes = ja
feature-no = nein
org-kind-probierladen = Probierladen
org-kind-volkshochschule = Volkshochschule
org-kind-kommune = Gemeinde oder Stadt
org-kind-landesministerium = Landesministerium
org-kind-traeger = Träger

## Inhaltsseiten
sign-video-pending = Das Video in Deutscher Gebärdensprache wird gerade aufgenommen. Bis dahin finden Sie den Inhalt unten als Text.
content-fallback-note = Diese Seite gibt es noch nicht auf Englisch. Sie sehen die deutsche Fassung.

## Barriere melden
barrier-title = Barriere melden
barrier-intro = Ist Ihnen auf dieser Website etwas aufgefallen, das Sie nicht oder nur schwer nutzen können? Schreiben Sie uns. Wir antworten innerhalb eines Monats, wenn Sie uns eine Kontaktmöglichkeit nennen.
barrier-page-label = Auf welcher Seite ist das Problem?
barrier-page-hint = Die Adresse der Seite, von der Sie kamen, ist schon eingetragen. Sie können sie ändern.
barrier-description-label = Was ist das Problem?
barrier-description-hint = Beschreiben Sie bitte, was nicht funktioniert und welche Hilfsmittel Sie nutzen, zum Beispiel einen Bildschirmleser.
barrier-contact-legend = Wie können wir Sie erreichen?
barrier-contact-hint = Diese Angaben sind freiwillig. Ohne Kontakt können wir Ihnen nicht antworten.
barrier-name-label = Ihr Name
barrier-email-label = Ihre E-Mail-Adresse
barrier-submit = Meldung senden
barrier-privacy-note = Wir verwenden Ihre Angaben nur, um die Barriere zu beheben und Ihnen zu antworten. Mehr dazu in der Datenschutzerklärung.
barrier-thanks-title = Vielen Dank für Ihre Meldung
barrier-thanks-text = Wir haben Ihre Meldung erhalten und kümmern uns darum. Wenn Sie uns eine E-Mail-Adresse genannt haben, antworten wir Ihnen innerhalb eines Monats.
barrier-thanks-enforcement = Wenn Sie keine oder keine zufriedenstellende Antwort erhalten, können Sie sich an die Durchsetzungsstelle wenden. Mehr dazu in der Erklärung zur Barrierefreiheit.
barrier-thanks-home = Zur Startseite

## Formulare und Fehler
error-summary-title = Es gibt ein Problem
error-prefix = Fehler
error-email-missing = Geben Sie Ihre E-Mail-Adresse ein.
error-email-too-long = Die E-Mail-Adresse darf höchstens 254 Zeichen lang sein.
error-email-invalid = Geben Sie eine E-Mail-Adresse im richtigen Format ein, zum Beispiel name@beispiel.de.
error-slug-invalid = Verwenden Sie nur Kleinbuchstaben, Ziffern und Bindestriche.
error-district-invalid = Wählen Sie einen Landkreis oder eine kreisfreie Stadt aus der Liste.
error-organisation-kind-invalid = Wählen Sie eine Art der Einrichtung aus der Liste.
error-role-invalid = Wählen Sie eine Rolle aus der Liste.
error-page-invalid = Geben Sie die Adresse einer Seite dieser Website ein, zum Beispiel /orte.
error-description-missing = Beschreiben Sie das Problem.
error-description-too-short = Die Beschreibung muss mindestens 10 Zeichen lang sein.
error-description-too-long = Die Beschreibung darf höchstens 5.000 Zeichen lang sein.
error-text-too-long = Der Text darf höchstens 200 Zeichen lang sein.
error-text-invalid = Der Text enthält Steuerzeichen. Bitte tippen Sie ihn neu ein.

## Fehlerseiten
error-page-title = Fehler { $status }
error-400-title = Die Anfrage war fehlerhaft
error-400-text = Die Adresse oder die gesendeten Angaben sind unvollständig oder fehlerhaft. Gehen Sie bitte zurück und versuchen Sie es noch einmal.
error-403-title = Kein Zugriff
error-403-text = Sie dürfen diese Seite nicht aufrufen. Wenn Sie meinen, dass das ein Fehler ist, schreiben Sie uns.
error-404-title = Seite nicht gefunden
error-404-text = Diese Seite gibt es nicht. Vielleicht hat sich die Adresse geändert oder sie wurde falsch eingegeben.
error-405-title = Diese Aktion ist hier nicht möglich
error-405-text = Die Seite kann so nicht aufgerufen werden. Gehen Sie bitte zurück zur vorherigen Seite.
error-413-title = Die Eingabe ist zu lang
error-413-text = Sie haben mehr Text gesendet, als wir annehmen können. Kürzen Sie Ihre Eingabe bitte.
error-429-title = Zu viele Versuche
error-429-text = Sie haben es in kurzer Zeit zu oft versucht. Warten Sie bitte einige Minuten.
error-500-title = Es ist ein Fehler aufgetreten
error-500-text = Das ist unser Fehler, nicht Ihrer. Versuchen Sie es bitte später noch einmal. Ihre Eingaben wurden nicht gespeichert.
error-503-title = Wartungsarbeiten
error-503-text = Die Website ist gerade nicht erreichbar, weil wir daran arbeiten. Versuchen Sie es bitte in einigen Minuten noch einmal.
error-home-link = Zur Startseite
error-help-link = Hilfe

## Konto und Anmeldung
nav-account = Mein Konto
nav-back-office = Verwaltung
nav-logout = Abmelden
nav-login = Anmelden
nav-register = Konto anlegen
field-email = E-Mail-Adresse
field-email-hint = Wir schicken Ihnen einen Link, mit dem Sie die Adresse bestätigen.
field-password = Passwort
field-name = Name
field-name-hint = So sprechen wir Sie an. Ein Vorname genügt.
field-new-password = Neues Passwort
field-new-password-hint = Mindestens 8 Zeichen, besser 12 oder mehr. Ein Satz aus mehreren Wörtern ist gut zu merken und sicher.
field-honeypot = Bitte lassen Sie dieses Feld leer
login-title = Anmelden
login-intro = Melden Sie sich mit Ihrer E-Mail-Adresse und Ihrem Passwort an. Für die Suche nach Orten und Angeboten brauchen Sie kein Konto.
login-submit = Anmelden
login-notice-password-changed = Ihr Passwort wurde geändert. Bitte melden Sie sich mit dem neuen Passwort an.
login-notice-confirmed = Ihre E-Mail-Adresse ist bestätigt. Sie können sich jetzt anmelden.
register-title = Konto anlegen
register-intro = Mit einem Konto verwalten Sie Ihre Angaben an einem Ort. Bald sehen Sie dort auch Ihre Kursbuchungen. Orte finden und Barrieren melden können Sie auch ohne Konto.
register-privacy = Wir speichern Ihren Namen und Ihre E-Mail-Adresse, bis Sie Ihr Konto löschen.
register-submit = Konto anlegen
register-have-account = Sie haben schon ein Konto? Hier anmelden.
register-sent-title = Bitte bestätigen Sie Ihre E-Mail-Adresse
register-sent-text = Wir haben Ihnen eine E-Mail geschickt. Klicken Sie auf den Link in der E-Mail, um Ihr Konto zu aktivieren. Der Link gilt 48 Stunden. Schauen Sie auch im Spam-Ordner nach.
confirm-title = E-Mail-Adresse bestätigen
confirm-text = Klicken Sie auf den Knopf, um Ihre E-Mail-Adresse zu bestätigen und Ihr Konto zu aktivieren.
confirm-submit = Adresse bestätigen
forgot-title = Passwort vergessen?
forgot-intro = Geben Sie die E-Mail-Adresse Ihres Kontos ein. Wir schicken Ihnen einen Link, mit dem Sie ein neues Passwort festlegen.
forgot-submit = Link anfordern
forgot-sent-title = Bitte schauen Sie in Ihr Postfach
forgot-sent-text = Wenn es zu dieser Adresse ein Konto gibt, haben wir eine E-Mail mit einem Link geschickt. Der Link gilt eine Stunde.
reset-title = Neues Passwort festlegen
reset-submit = Passwort speichern
token-invalid-title = Dieser Link gilt nicht mehr
token-invalid-text = Der Link ist abgelaufen oder wurde schon benutzt. Fordern Sie bitte einen neuen Link an.
account-title = Mein Konto
account-data-heading = Ihre Angaben
account-roles = Rollen
account-privacy-heading = Ihre Daten
account-privacy-text = Sie können jederzeit alle Daten herunterladen, die wir über Sie speichern, oder Ihr Konto löschen.
account-download = Meine Daten herunterladen (JSON-Datei)
account-delete = Konto löschen
account-delete-text = Wenn Sie Ihr Konto löschen, entfernen wir Ihren Namen, Ihre E-Mail-Adresse und die E-Mails, die wir Ihnen geschickt haben. Barrieren-Meldungen bleiben ohne Ihren Namen erhalten. Das kann nicht rückgängig gemacht werden.
account-delete-submit = Konto endgültig löschen
account-delete-cancel = Nein, zurück zu Mein Konto
account-deleted-title = Ihr Konto ist gelöscht
account-deleted-text = Wir haben Ihr Konto und Ihre persönlichen Angaben gelöscht. Sie sind abgemeldet.
role-citizen = Bürgerin oder Bürger
role-volunteer = Freiwillige im FSJ Digital
role-provider_staff = Mitarbeit bei einem Anbieter
role-municipality_editor = Redaktion einer Gemeinde
role-moderator = Moderation
role-admin = Administration
admin-intro = Hier verwalten Sie Konten, Rollen und Meldungen.
admin-users = Konten und Rollen
admin-audit = Protokoll
admin-barriers = Gemeldete Barrieren
admin-more-soon = Weitere Aufgaben für Ihre Rolle finden Sie hier, sobald sie freigeschaltet sind.
admin-users-search = E-Mail-Adresse suchen
admin-confirmed = Bestätigt
admin-revoke = Entziehen
admin-grant = Rolle vergeben
admin-role = Rolle
admin-organisation = Einrichtung
admin-organisation-hint = Nötig für Mitarbeit bei einem Anbieter und für die Redaktion einer Gemeinde.
admin-district-hint = Nötig für die Moderation.
admin-grant-submit = Rolle vergeben
admin-audit-intro = Sicherheitsrelevante Vorgänge, neueste zuerst. Einträge können nicht geändert oder gelöscht werden.
admin-when = Zeitpunkt
admin-who = Konto-Nummer
admin-what = Vorgang
admin-target = Betrifft
admin-barriers-none = Es gibt keine Meldungen.
error-csrf-title = Das Formular ist abgelaufen
error-csrf-text = Aus Sicherheitsgründen konnten wir Ihre Eingabe nicht annehmen. Das passiert, wenn eine Seite lange offen war. Laden Sie die Seite bitte neu und versuchen Sie es noch einmal.
error-throttled = Zu viele Versuche. Bitte warten Sie einige Minuten.
throttled-wait = { $minutes ->
    [one] Bitte versuchen Sie es in 1 Minute noch einmal.
   *[other] Bitte versuchen Sie es in { $minutes } Minuten noch einmal.
}
error-login-failed = E-Mail-Adresse oder Passwort ist falsch.
error-login-unconfirmed = Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse mit dem Link aus unserer E-Mail.
error-password-missing = Geben Sie ein Passwort ein.
error-password-too-short = Das Passwort muss mindestens 8 Zeichen lang sein.
error-password-too-long = Das Passwort darf höchstens 256 Zeichen lang sein.
error-password-common = Dieses Passwort ist zu bekannt und leicht zu erraten. Wählen Sie bitte ein anderes.
error-name-missing = Geben Sie Ihren Namen ein.
error-name-too-long = Der Name darf höchstens 100 Zeichen lang sein.
error-form-too-fast = Das Formular wurde sehr schnell abgeschickt. Bitte prüfen Sie Ihre Angaben und senden Sie es noch einmal.
error-organisation-invalid = Wählen Sie eine Einrichtung aus der Liste.
error-role-held = Das Konto hat diese Rolle schon.

## E-Mails
mail-signature = Ihr Team von Teilhabe Thüringen
mail-verify-subject = Bitte bestätigen Sie Ihre E-Mail-Adresse
mail-verify-intro = Guten Tag, Sie haben ein Konto bei Teilhabe Thüringen angelegt.
mail-verify-action = Adresse bestätigen
mail-verify-outro = Der Link gilt 48 Stunden. Wenn Sie kein Konto angelegt haben, können Sie diese E-Mail löschen.
mail-exists-subject = Anmeldung bei Teilhabe Thüringen
mail-exists-intro = Guten Tag, jemand wollte mit Ihrer E-Mail-Adresse ein neues Konto anlegen. Sie haben aber schon ein Konto.
mail-exists-action = Passwort vergessen? Neues Passwort festlegen
mail-exists-outro = Wenn Sie das nicht waren, müssen Sie nichts tun.
mail-reset-subject = Neues Passwort für Teilhabe Thüringen
mail-reset-intro = Guten Tag, Sie haben ein neues Passwort angefordert.
mail-reset-action = Neues Passwort festlegen
mail-reset-outro = Der Link gilt eine Stunde und nur einmal. Wenn Sie kein neues Passwort angefordert haben, können Sie diese E-Mail löschen.
email-change-title = E-Mail-Adresse ändern
email-change-intro = Wir schicken einen Link an die neue Adresse. Die Adresse ändert sich erst, wenn Sie den Link öffnen. Ihre bisherige Adresse bekommt eine Nachricht darüber.
email-change-new = Neue E-Mail-Adresse
email-change-password = Ihr Passwort
email-change-password-hint = Zur Sicherheit: Nur wer das Passwort kennt, kann die Adresse ändern.
email-change-submit = Link schicken
email-change-sent-title = Bitte schauen Sie in das Postfach der neuen Adresse
email-change-sent-text = Wir haben einen Link an die neue Adresse geschickt. Er gilt 24 Stunden.
email-confirm-title = Neue E-Mail-Adresse bestätigen
email-confirm-text = Klicken Sie auf den Knopf, damit wir Ihnen künftig an diese Adresse schreiben.
email-changed-title = Ihre E-Mail-Adresse ist geändert
email-changed-text = Ab jetzt melden Sie sich mit der neuen Adresse an.
email-taken-title = Diese Adresse ist schon vergeben
error-email-taken = Zu dieser E-Mail-Adresse gibt es schon ein anderes Konto.
error-password-wrong = Das Passwort ist falsch.
mail-change-subject = Bitte bestätigen Sie Ihre neue E-Mail-Adresse
mail-change-intro = Guten Tag, Sie möchten Ihre E-Mail-Adresse bei Teilhabe Thüringen ändern.
mail-change-action = Neue Adresse bestätigen
mail-change-outro = Der Link gilt 24 Stunden. Wenn Sie das nicht waren, können Sie diese E-Mail löschen.
mail-change-notice-subject = Ihre E-Mail-Adresse soll geändert werden
mail-change-notice-intro = Guten Tag, für Ihr Konto bei Teilhabe Thüringen wurde eine neue E-Mail-Adresse angegeben.
mail-change-notice-action = Waren Sie das nicht? Dann legen Sie bitte sofort ein neues Passwort fest
mail-change-notice-outro = Wenn Sie die Änderung selbst veranlasst haben, müssen Sie nichts tun.
account-consents-heading = Einwilligungen
account-consents-none = Sie haben uns keine Einwilligung gegeben, die Sie widerrufen könnten. Wir speichern nur, was für Ihr Konto nötig ist. Freiwillige Benachrichtigungen, die Sie später bestellen, können Sie hier wieder abbestellen.

## Buchung
error-places-zero = Buchen Sie mindestens einen Platz.
error-places-too-many = Sie können höchstens 10 Plätze auf einmal buchen.
error-places-invalid = Geben Sie die Zahl der Plätze als Ziffer ein, zum Beispiel 2.
error-phone-invalid = Geben Sie eine Telefonnummer ein, zum Beispiel 0361 123456.
error-contact-missing = Geben Sie eine E-Mail-Adresse oder eine Telefonnummer an, damit wir Sie erreichen können.
error-booking-not-published = Dieses Angebot ist nicht veröffentlicht.
error-booking-cancelled = Dieser Termin wurde abgesagt.
error-booking-past = Dieser Termin liegt in der Vergangenheit.
error-booking-not-open = Für diesen Termin kann man noch nicht buchen.
error-booking-closed = Für diesen Termin kann man nicht mehr buchen.
error-places-over-limit = Für diesen Termin können Sie höchstens { $max } Plätze auf einmal buchen.
error-booking-duplicate = Mit dieser E-Mail-Adresse ist dieser Termin schon gebucht. Den Link zu Ihrer Buchung finden Sie in der Bestätigungs-E-Mail.
error-date-invalid = Geben Sie das Datum so ein: 24.12.2026.
error-date-range = Das Datum „bis“ muss nach dem Datum „von“ liegen.
error-search-too-long = Geben Sie höchstens 100 Zeichen ein.
error-topic-invalid = Wählen Sie ein Thema aus der Liste.
error-target-group-invalid = Wählen Sie eine Zielgruppe aus der Liste.
error-level-invalid = Wählen Sie eine Stufe aus der Liste.
error-kind-invalid = Wählen Sie eine Art des Angebots aus der Liste.

## Themen, Zielgruppen, Stufen
topic-smartphone-grundlagen = Smartphone-Grundlagen
topic-tablet-grundlagen = Tablet-Grundlagen
topic-videotelefonie = Videotelefonie
topic-sicher-online-bezahlen = Sicher online bezahlen
topic-sicher-im-netz = Sicher im Netz
topic-behoerdengaenge-online = Behördengänge online
topic-ki-im-alltag = KI im Alltag
topic-fotos-und-nachrichten = Fotos und Nachrichten
topic-beteiligung-vor-ort = Beteiligung vor Ort
target-group-alle = Für alle
target-group-senioren = Für Seniorinnen und Senioren
target-group-frauen = Für Frauen
target-group-jugendliche = Für Jugendliche
target-group-menschen-mit-behinderung = Für Menschen mit Behinderung
level-einsteiger = Für Einsteigerinnen und Einsteiger
level-fortgeschrittene = Für Fortgeschrittene

## Kurse
courses-title = Kurse und Termine
courses-intro = Hier finden Sie Kurse zu Smartphone, Computer und Internet in ganz Thüringen. Die meisten Kurse sind kostenlos. Sie können online buchen oder beim Anbieter anrufen.
courses-filter-legend = Kurse suchen
courses-filter-text = Suchbegriff
courses-filter-text-hint = Zum Beispiel: Smartphone, WhatsApp oder Erfurt
courses-filter-town = Ort
courses-filter-from = Von (Datum)
courses-filter-to = Bis (Datum)
courses-filter-date-hint = Zum Beispiel 24.12.2026
courses-filter-topic = Thema
courses-filter-any-topic = Alle Themen
courses-filter-target-group = Für wen
courses-filter-any-group = Für alle Zielgruppen
courses-filter-access-legend = Barrierefreiheit des Ortes
courses-filter-free = Nur Termine mit freien Plätzen
courses-filter-submit = Kurse anzeigen
courses-filter-reset = Alle Filter löschen
courses-count = { $count ->
    [0] Wir haben keinen Termin gefunden.
    [one] Wir haben 1 Termin gefunden.
   *[other] Wir haben { $count } Termine gefunden.
}
courses-none = Versuchen Sie es mit weniger Filtern oder einem anderen Suchbegriff. Sie können auch beim Probierladen in Ihrer Nähe anrufen.
courses-time = { $from } bis { $to } Uhr
courses-online = Online
courses-waiting-list = Ausgebucht – Warteliste möglich
courses-free-places = { $count ->
    [one] Noch 1 Platz frei
   *[other] Noch { $count } Plätze frei
}
courses-page = Seite { $page } von { $pages }
courses-pagination = Seiten
courses-previous = Vorherige Seite
courses-next = Nächste Seite
courses-more-heading = Mehr
courses-programme-link = Programm zum Ausdrucken (für eine Woche oder einen Monat)
courses-places-link = Alle Orte mit Angaben zur Barrierefreiheit

course-back = Zurück zu allen Kursen
course-topic = Thema
course-level = Stufe
course-target-group = Für wen
course-price = Preis
course-free-of-charge = Kostenlos
course-what-to-bring = Bitte mitbringen
course-provider = Anbieter
course-dates = Termine
course-no-dates = Für diesen Kurs gibt es zurzeit keine Termine.
course-date-cancelled = Dieser Termin ist abgesagt.
course-book = Platz buchen
course-join-waiting-list = Auf die Warteliste
course-add-to-calendar = In meinen Kalender eintragen
course-waiting-policy-heading = So funktioniert die Warteliste
course-waiting-policy = Wenn alle Plätze vergeben sind, können Sie sich auf die Warteliste setzen. Wer zuerst kommt, rückt zuerst nach. Sagt jemand ab, bekommen Sie den Platz automatisch und wir schreiben Ihnen. Brauchen Sie mehrere Plätze, aber es ist nur einer frei, bieten wir Ihnen diesen Platz an. Sie haben dann eine Weile Zeit, ihn anzunehmen. Erst wenn Sie ablehnen oder nicht antworten, kommen die nächsten auf der Liste dran.
course-place-heading = Ort
course-online-place = Dieser Kurs findet online statt. Den Link bekommen Sie mit der Bestätigung.
course-phone-booking = Sie möchten lieber telefonisch buchen? Rufen Sie den Anbieter an. Die Mitarbeitenden buchen dann für Sie.

## Buchen
booking-title = Platz buchen
booking-back = Zurück zum Kurs
booking-places-now = Plätze
booking-other-dates = Andere Termine ansehen
booking-waiting-list-note = Alle Plätze sind vergeben. Wenn Sie jetzt buchen, kommen Sie auf die Warteliste. Sobald ein Platz frei wird, bekommen Sie ihn automatisch und wir schreiben Ihnen.
booking-name = Ihr Name
booking-email = E-Mail-Adresse
booking-email-hint = An diese Adresse schicken wir die Bestätigung mit einem Link zum Absagen.
booking-phone = Telefonnummer
booking-phone-hint = Falls sich etwas ändert und wir Sie anrufen sollen.
booking-places = Wie viele Plätze?
booking-places-hint = Eine Begleitperson braucht auch einen Platz. Höchstens { $max } Plätze.
booking-privacy = Wir speichern Ihren Namen und Ihre Kontaktdaten nur für diesen Termin und löschen sie { $days } Tage danach.
booking-privacy-link = Mehr zum Datenschutz
booking-submit = Verbindlich buchen

manage-title = Ihre Buchung
manage-confirmed-heading = Ihr Platz ist gebucht
manage-waitlisted-heading = Sie stehen auf der Warteliste
manage-waiting-position = Sie sind auf Platz { $position } der Warteliste. Wir schreiben Ihnen, sobald ein Platz für Sie frei wird.
manage-cancelled-heading = Diese Buchung ist abgesagt
manage-offer-heading = Für Sie ist ein Platz frei geworden
manage-offer-text = Sie wollten { $wanted } Plätze. Frei sind jetzt { $places }. Wir halten diese Plätze für Sie bis { $day }, { $until } Uhr.
manage-offer-accept = { $places ->
    [one] 1 Platz annehmen
   *[other] { $places } Plätze annehmen
}
manage-offer-decline = Nein, weiter auf alle Plätze warten
manage-keep-link = Bewahren Sie den Link zu dieser Seite auf. Wir haben ihn Ihnen auch per E-Mail geschickt. Mit ihm können Sie Ihre Buchung jederzeit ansehen oder absagen.
manage-cancel-heading = Buchung absagen
manage-cancel-text = Sie können nicht kommen? Sagen Sie bitte ab. Dann bekommt jemand von der Warteliste Ihren Platz.
manage-cancel-submit = Buchung absagen

## Programm zum Ausdrucken
programme-title = Programm
programme-legend = Programm zusammenstellen
programme-hint = Wählen Sie einen Ort oder einen Landkreis und einen Zeitraum. Das Programm können Sie dann ausdrucken und aushängen.
programme-venue = Ort
programme-any-venue = Alle Orte
programme-period = Zeitraum
programme-week = Eine Woche
programme-month = Ein Monat
programme-from = Ab (Datum)
programme-submit = Programm anzeigen
programme-period-line = Termine vom { $from } bis zum { $to }
programme-none = In diesem Zeitraum gibt es hier keine Termine.
programme-col-when = Wann
programme-col-what = Was
programme-col-where = Wo
programme-col-places = Freie Plätze
programme-footer = Anmelden: online unter { $url } oder telefonisch beim Anbieter.

## Buchungs-E-Mails
mail-booking-what = Was
mail-booking-when = Wann
mail-booking-where = Wo
mail-booking-places = Plätze
mail-booking-name = Name
mail-booking-online = Online
mail-booking-action = Buchung ansehen oder absagen
mail-booking-outro = Im Anhang finden Sie den Termin für Ihren Kalender. Wenn Sie nicht kommen können, sagen Sie bitte über den Link ab.
mail-booking-confirmed-subject = Ihr Platz ist gebucht: { $title }
mail-booking-confirmed-intro = Guten Tag, Ihr Platz ist gebucht. Wir freuen uns auf Sie.
mail-booking-waitlisted-subject = Sie stehen auf der Warteliste: { $title }
mail-booking-waitlisted-intro = Guten Tag, alle Plätze sind vergeben. Sie stehen auf der Warteliste. Sobald ein Platz frei wird, bekommen Sie ihn automatisch und wir schreiben Ihnen.
mail-booking-promoted-subject = Ein Platz ist frei geworden: { $title }
mail-booking-promoted-intro = Guten Tag, gute Nachricht: Ein Platz ist frei geworden. Sie sind von der Warteliste nachgerückt und Ihr Platz ist jetzt gebucht.
mail-booking-offered-subject = Wir halten Plätze für Sie: { $title }
mail-booking-offered-intro = Guten Tag, es sind { $places } Plätze frei geworden, aber nicht so viele, wie Sie wollten. Wir halten diese Plätze eine Weile für Sie. Bitte sagen Sie uns über den Link, ob Sie sie nehmen.
mail-booking-cancelled-subject = Ihre Buchung ist abgesagt: { $title }
mail-booking-cancelled-intro = Guten Tag, Sie haben Ihre Buchung abgesagt. Danke, dass Sie Bescheid gesagt haben. Ihr Platz geht an die Warteliste.
mail-booking-cancelled-by-provider-subject = Ihre Buchung wurde storniert: { $title }
mail-booking-cancelled-by-provider-intro = Guten Tag, der Anbieter hat Ihre Buchung storniert. Bei Fragen rufen Sie ihn bitte an.
mail-booking-date-cancelled-subject = Termin abgesagt: { $title }
mail-booking-date-cancelled-intro = Guten Tag, leider muss dieser Termin ausfallen. Es tut uns leid. Sie müssen nichts weiter tun. Andere Termine finden Sie unter „Kurse“.
mail-booking-date-changed-subject = Termin geändert: { $title }
mail-booking-date-changed-intro = Guten Tag, dieser Termin hat sich geändert. Bitte prüfen Sie die neuen Angaben. Wenn Sie nicht kommen können, sagen Sie bitte ab.
mail-booking-reminder-subject = Erinnerung: { $title }
mail-booking-reminder-intro = Guten Tag, wir erinnern Sie an Ihren Termin.

## Verwaltung: Angebote
admin-offers = Kurse und Termine verwalten
oa-title = Kurse und Termine verwalten
oa-back-office = Zurück zur Verwaltung
oa-back = Zurück
oa-new = Neues Angebot anlegen
oa-tasks-link = { $count ->
    [0] Aufgaben (keine offen)
    [one] Aufgaben (1 offen)
   *[other] Aufgaben ({ $count } offen)
}
oa-none = Sie haben noch keine Angebote angelegt.
oa-col-title = Titel
oa-col-status = Stand
oa-col-next = Nächster Termin
oa-col-organisation = Anbieter
oa-col-booked = Belegung
oa-col-contact = Kontakt
oa-col-attendance = Anwesenheit
oa-col-actions = Aktionen
offer-status-draft = Entwurf (nicht öffentlich)
offer-status-published = Veröffentlicht
oa-date-count = { $count ->
    [one] 1 Termin
   *[other] { $count } Termine
}
oa-public-page = öffentliche Seite ansehen
oa-publish = Veröffentlichen
oa-unpublish = Zurückziehen (nicht mehr öffentlich)
oa-copy = Als neuen Entwurf kopieren
oa-add-date = Termin hinzufügen
oa-edit-date = Termin ändern
oa-no-dates = Noch keine Termine.
oa-booked-of = { $booked } von { $capacity } Plätzen gebucht
oa-waiting = { $count } auf der Warteliste
oa-below-minimum = unter der Mindestzahl von { $min }
oa-date-scheduled = Geplant
oa-edit-heading = Angaben ändern
oa-choose = Bitte wählen
oa-field-title = Titel
oa-field-description = Beschreibung
oa-field-description-hint = Schreiben Sie in einfachen, kurzen Sätzen, was die Teilnehmenden lernen.
oa-field-venue-hint = Wählen Sie einen Ihrer Orte. Für einen Online-Kurs lassen Sie „Nur online“ stehen und geben unten den Link an.
oa-online-only = Nur online
oa-field-online-url = Link zum Online-Kurs
oa-field-online-url-hint = Eine Adresse, die mit https:// beginnt.
oa-field-accessibility = Hinweise zur Barrierefreiheit
oa-field-price = Preis in Euro
oa-field-price-hint = 0 für kostenlos, sonst zum Beispiel 5,00
oa-save = Speichern
oa-create = Als Entwurf anlegen
oa-change-notice = Wenn Sie Tag oder Uhrzeit ändern, bekommen alle Gebuchten eine E-Mail mit den neuen Angaben. Wer keine E-Mail-Adresse hat, erscheint als Aufgabe zum Anrufen.
oa-field-day = Tag
oa-field-start = Beginn
oa-field-end = Ende
oa-field-time-hint = Zum Beispiel 14:30
oa-field-capacity = Plätze insgesamt
oa-field-max-places = Höchstens Plätze pro Buchung
oa-field-max-places-hint = Zum Beispiel 2 für eine Person mit Begleitung.
oa-field-min = Mindestzahl an Teilnehmenden
oa-field-min-hint = 0 für keine. Zwei Wochen vor dem Termin bekommen Sie eine Aufgabe, wenn weniger gebucht sind.
oa-field-walk-in = Plätze für spontane Gäste
oa-field-walk-in-hint = Diese Plätze vergeben Sie vor Ort. Einen Tag vor dem Termin werden sie für die Online-Buchung frei.
oa-walk-in-held = { $count } Plätze für spontane Gäste
oa-csv = Liste der Teilnehmenden herunterladen (CSV)
oa-participants = Teilnehmende
oa-no-participants = Noch niemand gebucht.
booking-status-confirmed = Gebucht
booking-status-waitlisted = Warteliste
booking-status-cancelled = Abgesagt
channel-online = online
channel-staff = durch Mitarbeitende
channel-kiosk = am Terminal
channel-api = über eine Partner-App
attendance-present = Da
attendance-absent = Nicht gekommen
oa-cancel-booking = Buchung stornieren
oa-receipt = Beleg drucken
oa-staff-booking = Für eine Person buchen
oa-staff-booking-hint = Für Menschen, die anrufen oder vorbeikommen. Eine Telefonnummer genügt. Danach können Sie einen Beleg drucken.
oa-staff-booking-submit = Buchen
oa-cancel-date-heading = Termin absagen
oa-cancel-date-text = Alle Gebuchten und alle auf der Warteliste bekommen eine E-Mail. Wer keine E-Mail-Adresse hat, erscheint als Aufgabe zum Anrufen.
oa-cancel-date = Termin absagen und alle informieren
receipt-title = Buchungsbeleg
receipt-number = Buchungsnummer
receipt-cancel = Sie können nicht kommen? Rufen Sie uns bitte an oder sagen Sie über diesen Link ab:
receipt-print-hint = Drucken Sie diese Seite aus und geben Sie sie der Person mit.
tasks-title = Aufgaben
tasks-none = Keine offenen Aufgaben.
tasks-done = Erledigt
task-decide-minimum = Zu wenige Anmeldungen: Termin bestätigen oder absagen
task-call-promoted = Anrufen: von der Warteliste nachgerückt
task-call-offered = Anrufen: Plätze werden angeboten
task-call-date-cancelled = Anrufen: Termin abgesagt
task-call-date-changed = Anrufen: Termin geändert
error-price-invalid = Geben Sie den Preis in Euro ein, zum Beispiel 5,00.
error-title-short = Geben Sie einen Titel mit mindestens 5 Zeichen ein.
error-title-long = Der Titel darf höchstens 120 Zeichen lang sein.
error-description-short = Beschreiben Sie das Angebot in mindestens 20 Zeichen.
error-description-long = Die Beschreibung darf höchstens 4000 Zeichen lang sein.
error-venue-invalid = Wählen Sie einen Ort aus der Liste.
error-online-url-invalid = Geben Sie eine Adresse ein, die mit https:// beginnt.
error-venue-or-online = Wählen Sie einen Ort oder geben Sie einen Link zum Online-Kurs an.
error-capacity-range = Geben Sie zwischen 1 und 500 Plätzen an.
error-number-invalid = Geben Sie eine Zahl ein, zum Beispiel 2.
error-time-invalid = Geben Sie die Uhrzeit so ein: 14:30.
error-date-past = Der Termin muss in der Zukunft liegen.
error-end-before-start = Das Ende muss nach dem Beginn liegen.
error-max-places-range = Pro Buchung muss mindestens 1 Platz und dürfen höchstens alle Plätze möglich sein.
error-walk-in-range = Es muss mindestens ein Platz online buchbar bleiben.
error-min-participants-range = Die Mindestzahl darf nicht größer sein als die Zahl der Plätze.
error-capacity-below-booked = Es sind schon mehr Plätze gebucht. Sagen Sie erst Buchungen ab oder wählen Sie mehr Plätze.
error-organisation-missing = Wählen Sie den Anbieter aus der Liste.
error-notes-too-long = Dieser Text ist zu lang: höchstens 500 Zeichen bei „Bitte mitbringen“, 1000 bei den Hinweisen.
error-date-not-changeable = Abgesagte oder vergangene Termine können Sie nicht mehr ändern.
error-booking-session = Dieser Termin gehört zu einem Kurs mit mehreren Terminen. Buchen Sie den ersten Termin, dann sind Sie für alle Termine angemeldet.
mail-booking-sessions = Weitere Termine dieses Kurses
course-series-heading = Alle Termine dieses Kurses
course-series-text = { $count ->
    [one] Zu diesem Kurs gehört 1 weiterer Termin. Mit der Buchung sind Sie für alle Termine angemeldet.
   *[other] Zu diesem Kurs gehören { $count } weitere Termine. Mit der Buchung sind Sie für alle Termine angemeldet.
}
course-session-note = Folgetermin: Sie buchen ihn mit dem ersten Termin des Kurses.
courses-series = Kurs mit { $count } Terminen
oa-add-session = Folgetermin hinzufügen (wird mit diesem Termin gebucht)
oa-sessions = Folgetermine
oa-session-of = Folgetermin von
error-session-before-lead = Ein Folgetermin muss nach dem ersten Termin liegen.
oa-first-date = ersten Termin des Kurses
offer-status-cancelled = Abgesagt
oa-cancel-offer-heading = Ganzes Angebot absagen
oa-cancel-offer-text = Alle kommenden Termine werden abgesagt. Alle Gebuchten und alle auf der Warteliste bekommen eine E-Mail; wer keine E-Mail-Adresse hat, erscheint als Aufgabe zum Anrufen. Das Angebot verschwindet aus dem Kursverzeichnis.
oa-cancel-offer = Angebot absagen und alle informieren
oa-reopen = Wieder als Entwurf bearbeiten
course-calendar-heading = Termine im eigenen Kalender
course-feed-venue = Alle Kurse an diesem Ort als Kalender abonnieren ({ $venue })
course-feed-topic = Alle Kurse zum Thema „{ $topic }“ als Kalender abonnieren
