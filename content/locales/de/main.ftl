## Seitenrahmen
service-name = Teilhabe Thüringen
service-tagline = Digital dabei: Kurse, Treffen und Ideen für Thüringen
skip-to-content = Zum Inhalt springen
nav-label = Hauptnavigation
nav-home = Startseite
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
