## Page frame
service-name = Teilhabe Thüringen
service-tagline = Going digital together: courses, meetings and ideas for Thuringia
skip-to-content = Skip to main content
nav-label = Main navigation
nav-home = Home
nav-courses = Courses
nav-places = Places
nav-help = Help
lang-switch-label = Choose language
footer-label = Information and legal
footer-accessibility = Accessibility
footer-easy-language = Easy-to-read
footer-sign-language = Sign language
footer-privacy = Privacy
footer-imprint = Legal notice
footer-contact = Contact
footer-report-barrier = Report a barrier
footer-note = Part of Thuringia's digital strategy, for everyone who wants to take part in the digital world.
optional = (optional)

## Home page
home-title = Home
home-heading = Going digital in Thuringia
home-lead = Find places near you where you can learn to use smartphones, computers and the internet: walk-in digital shops (Probierläden), adult education centres and meeting points in your municipality. Taking part is usually free.
home-accessible-heading = Information in easy-to-read language and sign language
home-easy-language-text = The most important information about this website in easy-to-read language.
home-sign-language-text = The most important information about this website in German Sign Language.
home-places-heading = Places near you
home-places-text = Choose your district or town. You will see digital shops, adult education centres and other places, with information on accessibility.
home-places-submit = Show places
home-help-heading = Help and contact
home-help-text = Not sure what to do, or have a question? Our help page explains step by step how this website works. You can also call us.
home-help-link = Go to help
home-contact-link = Contact us

## Places
places-title = Places
places-intro = Digital shops, adult education centres and other places where digital offers take place. Each place says whether it is accessible.
places-filter-legend = Filter places
places-filter-district = District or independent town
places-filter-all = All districts and towns
places-filter-step-free = Only places with step-free access
places-filter-submit = Show
places-count = { $count ->
    [one] 1 place found
   *[other] { $count } places found
}
places-none = We found no place for this choice. Choose another district or “All districts and towns”.
places-unknown-district = We do not know this district. We show all places.
place-address = Address
place-district = District or town
place-accessibility = Accessibility
place-directions = How to get there
place-contact = Contact
place-organisation = Provider
place-phone = Phone
place-email = Email
place-website = Website
place-back = Back to all places
feature-step-free = Step-free access
feature-accessible-toilet = Accessible toilet
feature-hearing-loop = Hearing loop
feature-parking = Parking nearby
feature-yes = yes
feature-no = no
org-kind-probierladen = Digital shop (Probierladen)
org-kind-volkshochschule = Adult education centre (VHS)
org-kind-kommune = Municipality
org-kind-landesministerium = State ministry
org-kind-traeger = Provider organisation

## Content pages
sign-video-pending = The video in German Sign Language is being recorded. Until then, you can read its content below.
content-fallback-note = This page is not yet available in English. You are seeing the German version.

## Report a barrier
barrier-title = Report a barrier
barrier-intro = Have you found something on this website that you cannot use, or only with difficulty? Please tell us. We reply within one month if you give us a way to contact you.
barrier-page-label = On which page is the problem?
barrier-page-hint = The address of the page you came from is already filled in. You can change it.
barrier-description-label = What is the problem?
barrier-description-hint = Please describe what does not work and which assistive technology you use, for example a screen reader.
barrier-contact-legend = How can we reach you?
barrier-contact-hint = These details are optional. Without them we cannot reply to you.
barrier-name-label = Your name
barrier-email-label = Your email address
barrier-submit = Send report
barrier-privacy-note = We use your details only to remove the barrier and to reply to you. See the privacy notice for more.
barrier-thanks-title = Thank you for your report
barrier-thanks-text = We have received your report and will deal with it. If you gave us an email address, we will reply within one month.
barrier-thanks-enforcement = If you receive no answer or no satisfactory answer, you can turn to the enforcement body. See the accessibility statement for more.
barrier-thanks-home = Go to the home page

## Forms and errors
error-summary-title = There is a problem
error-prefix = Error
error-email-missing = Enter your email address.
error-email-too-long = The email address must be 254 characters or fewer.
error-email-invalid = Enter an email address in the correct format, like name@example.com.
error-slug-invalid = Use only lower-case letters, digits and hyphens.
error-district-invalid = Choose a district or independent town from the list.
error-organisation-kind-invalid = Choose a kind of organisation from the list.
error-role-invalid = Choose a role from the list.
error-page-invalid = Enter the address of a page on this website, like /orte.
error-description-missing = Describe the problem.
error-description-too-short = The description must be at least 10 characters long.
error-description-too-long = The description must be 5,000 characters or fewer.
error-text-too-long = The text must be 200 characters or fewer.
error-text-invalid = The text contains control characters. Please type it again.

## Error pages
error-page-title = Error { $status }
error-400-title = The request was not valid
error-400-text = The address or the details sent are incomplete or wrong. Please go back and try again.
error-403-title = Access denied
error-403-text = You may not open this page. If you think this is a mistake, please write to us.
error-404-title = Page not found
error-404-text = This page does not exist. The address may have changed or may have been typed incorrectly.
error-405-title = This action is not possible here
error-405-text = The page cannot be opened this way. Please go back to the previous page.
error-413-title = The input is too long
error-413-text = You sent more text than we can accept. Please shorten your input.
error-429-title = Too many attempts
error-429-text = You tried too often in a short time. Please wait a few minutes.
error-500-title = Something went wrong
error-500-text = This is our fault, not yours. Please try again later. Your input has not been saved.
error-503-title = Maintenance
error-503-text = The website is not available right now because we are working on it. Please try again in a few minutes.
error-home-link = Go to the home page
error-help-link = Help

## Account and sign-in
nav-account = My account
nav-back-office = Back office
nav-logout = Sign out
nav-login = Sign in
nav-register = Create an account
field-email = Email address
field-email-hint = We will send you a link to confirm the address.
field-password = Password
field-name = Name
field-name-hint = How we address you. A first name is enough.
field-new-password = New password
field-new-password-hint = At least 8 characters, better 12 or more. A sentence of several words is easy to remember and safe.
field-honeypot = Please leave this field empty
login-title = Sign in
login-intro = Sign in with your email address and password. You do not need an account to search for places and offers.
login-submit = Sign in
login-notice-password-changed = Your password has been changed. Please sign in with the new password.
login-notice-confirmed = Your email address is confirmed. You can sign in now.
register-title = Create an account
register-intro = With an account you manage your details in one place. Soon you will also see your course bookings there. You can find places and report barriers without an account.
register-privacy = We store your name and email address until you delete your account.
register-submit = Create account
register-have-account = Already have an account? Sign in here.
register-sent-title = Please confirm your email address
register-sent-text = We have sent you an email. Click the link in the email to activate your account. The link is valid for 48 hours. Please also check your spam folder.
confirm-title = Confirm your email address
confirm-text = Press the button to confirm your email address and activate your account.
confirm-submit = Confirm address
forgot-title = Forgotten your password?
forgot-intro = Enter the email address of your account. We will send you a link to set a new password.
forgot-submit = Request link
forgot-sent-title = Please check your inbox
forgot-sent-text = If there is an account for this address, we have sent an email with a link. The link is valid for one hour.
reset-title = Set a new password
reset-submit = Save password
token-invalid-title = This link is no longer valid
token-invalid-text = The link has expired or has already been used. Please request a new link.
account-title = My account
account-data-heading = Your details
account-roles = Roles
account-privacy-heading = Your data
account-privacy-text = You can download all data we store about you, or delete your account, at any time.
account-download = Download my data (JSON file)
account-delete = Delete account
account-delete-text = If you delete your account, we remove your name, your email address and the emails we sent you. Barrier reports remain without your name. This cannot be undone.
account-delete-submit = Delete account for good
account-delete-cancel = No, back to my account
account-deleted-title = Your account has been deleted
account-deleted-text = We have deleted your account and your personal details. You are signed out.
role-citizen = Citizen
role-volunteer = FSJ Digital volunteer
role-provider_staff = Provider staff
role-municipality_editor = Municipality editor
role-moderator = Moderator
role-admin = Administrator
admin-intro = Manage accounts, roles and reports here.
admin-users = Accounts and roles
admin-audit = Audit log
admin-barriers = Reported barriers
admin-more-soon = Further tasks for your role appear here once they are available.
admin-users-search = Search email address
admin-confirmed = Confirmed
admin-revoke = Revoke
admin-grant = Grant a role
admin-role = Role
admin-organisation = Organisation
admin-organisation-hint = Needed for provider staff and municipality editors.
admin-district-hint = Needed for moderators.
admin-grant-submit = Grant role
admin-audit-intro = Security-relevant events, newest first. Entries cannot be changed or deleted.
admin-when = Time
admin-who = Account number
admin-what = Event
admin-target = Concerns
admin-barriers-none = There are no reports.
error-csrf-title = The form has expired
error-csrf-text = For security reasons we could not accept your input. This happens when a page has been open for a long time. Please reload the page and try again.
error-throttled = Too many attempts. Please wait a few minutes.
throttled-wait = { $minutes ->
    [one] Please try again in 1 minute.
   *[other] Please try again in { $minutes } minutes.
}
error-login-failed = The email address or password is wrong.
error-login-unconfirmed = Please first confirm your email address with the link in our email.
error-password-missing = Enter a password.
error-password-too-short = The password must be at least 8 characters long.
error-password-too-long = The password must be 256 characters or fewer.
error-password-common = This password is too well known and easy to guess. Please choose another one.
error-name-missing = Enter your name.
error-name-too-long = The name must be 100 characters or fewer.
error-form-too-fast = The form was sent very quickly. Please check your details and send it again.
error-organisation-invalid = Choose an organisation from the list.
error-role-held = The account already has this role.

## Emails
mail-signature = Your Teilhabe Thüringen team
mail-verify-subject = Please confirm your email address
mail-verify-intro = Hello, you have created an account at Teilhabe Thüringen.
mail-verify-action = Confirm address
mail-verify-outro = The link is valid for 48 hours. If you did not create an account, you can delete this email.
mail-exists-subject = Sign-up at Teilhabe Thüringen
mail-exists-intro = Hello, someone tried to create a new account with your email address. You already have an account.
mail-exists-action = Forgotten your password? Set a new one
mail-exists-outro = If this was not you, you do not need to do anything.
mail-reset-subject = New password for Teilhabe Thüringen
mail-reset-intro = Hello, you have asked for a new password.
mail-reset-action = Set a new password
mail-reset-outro = The link is valid for one hour and only once. If you did not ask for a new password, you can delete this email.
email-change-title = Change email address
email-change-intro = We will send a link to the new address. The address only changes when you open the link. Your current address gets a message about it.
email-change-new = New email address
email-change-password = Your password
email-change-password-hint = For your safety: only someone who knows the password can change the address.
email-change-submit = Send link
email-change-sent-title = Please check the inbox of the new address
email-change-sent-text = We have sent a link to the new address. It is valid for 24 hours.
email-confirm-title = Confirm new email address
email-confirm-text = Press the button so that we write to this address from now on.
email-changed-title = Your email address has been changed
email-changed-text = From now on, sign in with the new address.
email-taken-title = This address is already in use
error-email-taken = There is already another account with this email address.
error-password-wrong = The password is wrong.
mail-change-subject = Please confirm your new email address
mail-change-intro = Hello, you want to change your email address at Teilhabe Thüringen.
mail-change-action = Confirm new address
mail-change-outro = The link is valid for 24 hours. If this was not you, you can delete this email.
mail-change-notice-subject = Your email address is about to change
mail-change-notice-intro = Hello, a new email address was entered for your account at Teilhabe Thüringen.
mail-change-notice-action = Was this not you? Then please set a new password right away
mail-change-notice-outro = If you asked for the change yourself, you do not need to do anything.
account-consents-heading = Consents
account-consents-none = You have not given us any consent that you could withdraw. We only store what your account needs. Optional notifications that you order later can be cancelled here.

## Booking
error-places-zero = Book at least one place.
error-places-too-many = You can book at most 10 places at once.
error-places-invalid = Enter the number of places in digits, like 2.
error-phone-invalid = Enter a phone number, like 0361 123456.
error-contact-missing = Enter an email address or a phone number so that we can reach you.
error-booking-not-published = This offer is not published.
error-booking-cancelled = This date has been cancelled.
error-booking-past = This date is in the past.
error-booking-not-open = Booking for this date has not opened yet.
error-booking-closed = Booking for this date has closed.
error-places-over-limit = For this date you can book at most { $max } places at once.
error-booking-duplicate = This date is already booked with this e-mail address. The link to your booking is in the confirmation e-mail.
error-date-invalid = Enter the date like this: 24.12.2026.
error-date-range = The "to" date must be after the "from" date.
error-search-too-long = Enter at most 100 characters.
error-topic-invalid = Choose a topic from the list.
error-target-group-invalid = Choose a group from the list.
error-level-invalid = Choose a level from the list.
error-kind-invalid = Choose a kind of offer from the list.

## Topics, target groups, levels
topic-smartphone-grundlagen = Smartphone basics
topic-tablet-grundlagen = Tablet basics
topic-videotelefonie = Video calls
topic-sicher-online-bezahlen = Paying safely online
topic-sicher-im-netz = Staying safe online
topic-behoerdengaenge-online = Public services online
topic-ki-im-alltag = AI in everyday life
topic-fotos-und-nachrichten = Photos and messages
topic-beteiligung-vor-ort = Local participation
target-group-alle = For everyone
target-group-senioren = For older people
target-group-frauen = For women
target-group-jugendliche = For young people
target-group-menschen-mit-behinderung = For people with disabilities
level-einsteiger = For beginners
level-fortgeschrittene = For advanced learners

## Courses
courses-title = Courses and dates
courses-intro = Courses on smartphones, computers and the internet all over Thuringia. Most courses are free. You can book online or call the provider.
courses-filter-legend = Find a course
courses-filter-text = Search term
courses-filter-text-hint = For example: smartphone, WhatsApp or Erfurt
courses-filter-town = Town
courses-filter-from = From (date)
courses-filter-to = To (date)
courses-filter-date-hint = For example 24.12.2026
courses-filter-topic = Topic
courses-filter-any-topic = All topics
courses-filter-target-group = For whom
courses-filter-any-group = For all groups
courses-filter-access-legend = Accessibility of the place
courses-filter-free = Only dates with free places
courses-filter-submit = Show courses
courses-filter-reset = Clear all filters
courses-count = { $count ->
    [0] We found no dates.
    [one] We found 1 date.
   *[other] We found { $count } dates.
}
courses-none = Try fewer filters or another search term. You can also call the Probierladen near you.
courses-time = { $from } to { $to }
courses-online = Online
courses-waiting-list = Fully booked – waiting list open
courses-free-places = { $count ->
    [one] 1 place left
   *[other] { $count } places left
}
courses-page = Page { $page } of { $pages }
courses-pagination = Pages
courses-previous = Previous page
courses-next = Next page
courses-more-heading = More
courses-programme-link = Programme to print (for a week or a month)
courses-places-link = All places with accessibility information

course-back = Back to all courses
course-topic = Topic
course-level = Level
course-target-group = For whom
course-price = Price
course-free-of-charge = Free of charge
course-what-to-bring = Please bring
course-provider = Provider
course-dates = Dates
course-no-dates = There are no dates for this course at the moment.
course-date-cancelled = This date is cancelled.
course-book = Book a place
course-join-waiting-list = Join the waiting list
course-add-to-calendar = Add to my calendar
course-waiting-policy-heading = How the waiting list works
course-waiting-policy = When all places are taken, you can join the waiting list. First come, first served. When someone cancels, you get the place automatically and we write to you. If you need several places but only one is free, we offer you that place. You then have some time to accept it. Only if you decline or do not answer does the next person on the list get a turn.
course-place-heading = Place
course-online-place = This course takes place online. You get the link with the confirmation.
course-phone-booking = Would you rather book by phone? Call the provider. Their staff will book for you.

## Booking
booking-title = Book a place
booking-back = Back to the course
booking-places-now = Places
booking-other-dates = See other dates
booking-waiting-list-note = All places are taken. If you book now, you join the waiting list. As soon as a place becomes free, you get it automatically and we write to you.
booking-name = Your name
booking-email = E-mail address
booking-email-hint = We send the confirmation with a link for cancelling to this address.
booking-phone = Phone number
booking-phone-hint = In case something changes and we should call you.
booking-places = How many places?
booking-places-hint = A companion needs a place too. At most { $max } places.
booking-privacy = We keep your name and contact details only for this date and delete them { $days } days afterwards.
booking-privacy-link = More about data protection
booking-submit = Book now

manage-title = Your booking
manage-confirmed-heading = Your place is booked
manage-waitlisted-heading = You are on the waiting list
manage-waiting-position = You are number { $position } on the waiting list. We will write to you as soon as a place becomes free for you.
manage-cancelled-heading = This booking is cancelled
manage-offer-heading = A place has become free for you
manage-offer-text = You wanted { $wanted } places. { $places } are free now. We hold them for you until { $day }, { $until }.
manage-offer-accept = { $places ->
    [one] Accept 1 place
   *[other] Accept { $places } places
}
manage-offer-decline = No, keep waiting for all places
manage-keep-link = Keep the link to this page. We have also sent it to you by e-mail. With it you can see or cancel your booking at any time.
manage-cancel-heading = Cancel booking
manage-cancel-text = You cannot come? Please cancel. Then someone from the waiting list gets your place.
manage-cancel-submit = Cancel booking

## Printable programme
programme-title = Programme
programme-legend = Put together a programme
programme-hint = Choose a place or a district and a period. You can then print the programme and put it up.
programme-venue = Place
programme-any-venue = All places
programme-period = Period
programme-week = One week
programme-month = One month
programme-from = From (date)
programme-submit = Show programme
programme-period-line = Dates from { $from } to { $to }
programme-none = There are no dates here in this period.
programme-col-when = When
programme-col-what = What
programme-col-where = Where
programme-col-places = Free places
programme-footer = Book online at { $url } or by phone with the provider.

## Booking e-mails
mail-booking-what = What
mail-booking-when = When
mail-booking-where = Where
mail-booking-places = Places
mail-booking-name = Name
mail-booking-online = Online
mail-booking-action = See or cancel your booking
mail-booking-outro = The attachment holds the date for your calendar. If you cannot come, please cancel using the link.
mail-booking-confirmed-subject = Your place is booked: { $title }
mail-booking-confirmed-intro = Hello, your place is booked. We look forward to seeing you.
mail-booking-waitlisted-subject = You are on the waiting list: { $title }
mail-booking-waitlisted-intro = Hello, all places are taken. You are on the waiting list. As soon as a place becomes free, you get it automatically and we write to you.
mail-booking-promoted-subject = A place has become free: { $title }
mail-booking-promoted-intro = Hello, good news: a place has become free. You have moved up from the waiting list and your place is now booked.
mail-booking-offered-subject = We are holding places for you: { $title }
mail-booking-offered-intro = Hello, { $places } places have become free, but not as many as you wanted. We hold these places for you for a while. Please tell us through the link whether you take them.
mail-booking-cancelled-subject = Your booking is cancelled: { $title }
mail-booking-cancelled-intro = Hello, you have cancelled your booking. Thank you for letting us know. Your place goes to the waiting list.
mail-booking-cancelled-by-provider-subject = Your booking was cancelled: { $title }
mail-booking-cancelled-by-provider-intro = Hello, the provider has cancelled your booking. If you have questions, please call them.
mail-booking-date-cancelled-subject = Date cancelled: { $title }
mail-booking-date-cancelled-intro = Hello, unfortunately this date cannot take place. We are sorry. You do not need to do anything. You can find other dates under "Courses".
mail-booking-date-changed-subject = Date changed: { $title }
mail-booking-date-changed-intro = Hello, this date has changed. Please check the new details. If you cannot come, please cancel.
mail-booking-reminder-subject = Reminder: { $title }
mail-booking-reminder-intro = Hello, this is a reminder of your date.

## Back office: offers
admin-offers = Manage courses and dates
oa-title = Manage courses and dates
oa-back-office = Back to the back office
oa-back = Back
oa-new = Create a new offer
oa-tasks-link = { $count ->
    [0] Tasks (none open)
    [one] Tasks (1 open)
   *[other] Tasks ({ $count } open)
}
oa-none = You have not created any offers yet.
oa-col-title = Title
oa-col-status = State
oa-col-next = Next date
oa-col-organisation = Provider
oa-col-booked = Bookings
oa-col-contact = Contact
oa-col-attendance = Attendance
oa-col-actions = Actions
offer-status-draft = Draft (not public)
offer-status-published = Published
oa-date-count = { $count ->
    [one] 1 date
   *[other] { $count } dates
}
oa-public-page = see the public page
oa-publish = Publish
oa-unpublish = Withdraw (no longer public)
oa-copy = Copy as a new draft
oa-add-date = Add a date
oa-edit-date = Change date
oa-no-dates = No dates yet.
oa-booked-of = { $booked } of { $capacity } places booked
oa-waiting = { $count } on the waiting list
oa-below-minimum = below the minimum of { $min }
oa-date-scheduled = Scheduled
oa-edit-heading = Change details
oa-choose = Please choose
oa-field-title = Title
oa-field-description = Description
oa-field-description-hint = Use simple, short sentences to say what participants learn.
oa-field-venue-hint = Choose one of your places. For an online course leave "Online only" and enter the link below.
oa-online-only = Online only
oa-field-online-url = Link to the online course
oa-field-online-url-hint = An address starting with https://.
oa-field-accessibility = Accessibility notes
oa-field-price = Price in euros
oa-field-price-hint = 0 for free, otherwise for example 5.00
oa-save = Save
oa-create = Create as draft
oa-change-notice = If you change the day or time, everyone booked gets an e-mail with the new details. People without an e-mail address appear as a task to call.
oa-field-day = Day
oa-field-start = Start
oa-field-end = End
oa-field-time-hint = For example 14:30
oa-field-capacity = Places in total
oa-field-max-places = Most places per booking
oa-field-max-places-hint = For example 2 for a person with a companion.
oa-field-min = Minimum number of participants
oa-field-min-hint = 0 for none. Two weeks before the date you get a task if fewer have booked.
oa-field-walk-in = Places for walk-in guests
oa-field-walk-in-hint = You give these places away on site. One day before the date they become bookable online.
oa-walk-in-held = { $count } places for walk-in guests
oa-csv = Download the participant list (CSV)
oa-participants = Participants
oa-no-participants = Nobody has booked yet.
booking-status-confirmed = Booked
booking-status-waitlisted = Waiting list
booking-status-cancelled = Cancelled
channel-online = online
channel-staff = by staff
channel-kiosk = at a terminal
channel-api = through a partner app
attendance-present = Present
attendance-absent = Did not come
oa-cancel-booking = Cancel booking
oa-receipt = Print receipt
oa-staff-booking = Book for a person
oa-staff-booking-hint = For people who call or come by. A phone number is enough. Afterwards you can print a receipt.
oa-staff-booking-submit = Book
oa-cancel-date-heading = Cancel date
oa-cancel-date-text = Everyone booked and everyone on the waiting list gets an e-mail. People without an e-mail address appear as a task to call.
oa-cancel-date = Cancel the date and inform everyone
receipt-title = Booking receipt
receipt-number = Booking number
receipt-cancel = You cannot come? Please call us or cancel using this link:
receipt-print-hint = Print this page and give it to the person.
tasks-title = Tasks
tasks-none = No open tasks.
tasks-done = Done
task-decide-minimum = Too few bookings: confirm or cancel the date
task-call-promoted = Call: moved up from the waiting list
task-call-offered = Call: places are being offered
task-call-date-cancelled = Call: date cancelled
task-call-date-changed = Call: date changed
error-price-invalid = Enter the price in euros, for example 5.00.
error-title-short = Enter a title of at least 5 characters.
error-title-long = The title can be at most 120 characters long.
error-description-short = Describe the offer in at least 20 characters.
error-description-long = The description can be at most 4000 characters long.
error-venue-invalid = Choose a place from the list.
error-online-url-invalid = Enter an address starting with https://.
error-venue-or-online = Choose a place or enter a link to the online course.
error-capacity-range = Enter between 1 and 500 places.
error-number-invalid = Enter a number, for example 2.
error-time-invalid = Enter the time like this: 14:30.
error-date-past = The date must be in the future.
error-end-before-start = The end must be after the start.
error-max-places-range = A booking must allow at least 1 place and at most all places.
error-walk-in-range = At least one place must stay bookable online.
error-min-participants-range = The minimum cannot be larger than the number of places.
error-capacity-below-booked = More places are already booked. Cancel bookings first or choose more places.
error-organisation-missing = Choose the provider from the list.
error-notes-too-long = This text is too long: at most 500 characters for "Please bring", 1000 for the notes.
error-date-not-changeable = Cancelled or past dates cannot be changed any more.
error-booking-session = This date belongs to a course with several dates. Book the first date; you are then signed up for all of them.
mail-booking-sessions = Further dates of this course
course-series-heading = All dates of this course
course-series-text = { $count ->
    [one] This course has 1 further date. Booking signs you up for all dates.
   *[other] This course has { $count } further dates. Booking signs you up for all dates.
}
course-session-note = Follow-up date: you book it with the course's first date.
courses-series = Course with { $count } dates
oa-add-session = Add a follow-up date (booked together with this date)
oa-sessions = Follow-up dates
oa-session-of = Follow-up date of
error-session-before-lead = A follow-up date must come after the first date.
oa-first-date = the course's first date
offer-status-cancelled = Cancelled
oa-cancel-offer-heading = Cancel the whole offer
oa-cancel-offer-text = All coming dates are cancelled. Everyone booked and everyone on the waiting list gets an e-mail; people without an e-mail address appear as a task to call. The offer leaves the course list.
oa-cancel-offer = Cancel the offer and inform everyone
oa-reopen = Edit again as a draft
course-calendar-heading = Dates in your own calendar
course-feed-venue = Subscribe to all courses at this place as a calendar ({ $venue })
course-feed-topic = Subscribe to all courses on "{ $topic }" as a calendar
