## Page frame
service-name = Teilhabe Thüringen
service-tagline = Going digital together: courses, meetings and ideas for Thuringia
skip-to-content = Skip to main content
nav-label = Main navigation
nav-home = Home
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
