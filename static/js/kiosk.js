// Kiosk terminals: the inactivity timer with an accessible warning (WCAG 2.2.1), "read aloud" with the
// browser's speech synthesis, and the print button. Progressive enhancement: without JavaScript a
// <meta http-equiv="refresh"> (in <noscript>) returns to the start page, and the buttons stay hidden.
(function () {
  "use strict";
  var body = document.body;

  // A page the browser restores from its back/forward cache would show what the previous person
  // saw (a receipt, a form) without asking the server: load it from the server again instead.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { window.location.reload(); }
  });

  // Inactivity: warn before going back to the start page, where the kiosk session is wiped.
  var idle = parseInt(body.getAttribute("data-idle-seconds") || "", 10);
  var dialog = document.getElementById("kiosk-idle");
  if (idle > 0 && dialog) {
    var count = dialog.querySelector("[data-idle-count]");
    var proceed = dialog.querySelector("[data-idle-continue]");
    // The warning shows at least 20 seconds before the reset (30 with the default 120 seconds).
    var warnSeconds = Math.max(20, Math.min(30, Math.floor(idle / 2)));
    var lastFocus = null;
    var deadline = Date.now() + idle * 1000;
    var warning = false;

    var showWarning = function () {
      warning = true;
      lastFocus = document.activeElement;
      dialog.hidden = false;
      if (proceed) { proceed.focus(); }
    };
    var reset = function () {
      deadline = Date.now() + idle * 1000;
      if (warning) {
        warning = false;
        dialog.hidden = true;
        if (lastFocus && lastFocus.focus) { lastFocus.focus(); }
      }
    };
    var tick = function () {
      // Counted from the clock, not from the ticks, which browsers may delay.
      var remaining = Math.ceil((deadline - Date.now()) / 1000);
      if (remaining <= 0) {
        window.location.href = "/kiosk";
        return;
      }
      if (remaining <= warnSeconds) {
        if (count) { count.textContent = String(remaining); }
        if (!warning) { showWarning(); }
      }
    };
    window.setInterval(tick, 1000);
    if (proceed) { proceed.addEventListener("click", reset); }
    ["pointerdown", "keydown", "input", "touchstart", "wheel"].forEach(function (type) {
      document.addEventListener(type, function (event) {
        // While the warning shows, only its button continues (so a stray touch is not enough to miss it).
        if (!warning) { deadline = Date.now() + idle * 1000; }
      }, { passive: true, capture: true });
    });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { reset(); }
      if (event.key === "Tab" && proceed) { event.preventDefault(); proceed.focus(); }
    });
  }

  // Read aloud: only with a voice of this device. A network voice (Chrome's "Google Deutsch", say)
  // would send the screen, a receipt with the person's name on it, to the voice's provider.
  var reader = document.querySelector("[data-read-aloud]");
  if (reader && "speechSynthesis" in window && "SpeechSynthesisUtterance" in window) {
    var speaking = false;
    var voice = null;
    var language = document.documentElement.lang === "en" ? "en" : "de";
    var labelStart = reader.getAttribute("data-label-start") || reader.textContent;
    var labelStop = reader.getAttribute("data-label-stop") || labelStart;
    var stop = function () {
      window.speechSynthesis.cancel();
      speaking = false;
      reader.textContent = labelStart;
    };
    var offer = function () {
      voice = window.speechSynthesis.getVoices().filter(function (candidate) {
        return candidate.localService && (candidate.lang || "").toLowerCase().indexOf(language) === 0;
      })[0] || null;
      if (!voice && speaking) { stop(); }
      reader.hidden = !voice;
    };
    // Voices may arrive after the page loaded. Older engines have only the property.
    offer();
    if (typeof window.speechSynthesis.addEventListener === "function") {
      window.speechSynthesis.addEventListener("voiceschanged", offer);
    } else {
      window.speechSynthesis.onvoiceschanged = offer;
    }
    reader.addEventListener("click", function () {
      if (speaking) { stop(); return; }
      if (!voice) { return; }
      var main = document.getElementById("main");
      var text = main ? main.innerText : "";
      var utterance = new window.SpeechSynthesisUtterance(text);
      utterance.voice = voice;
      utterance.lang = voice.lang;
      utterance.rate = 0.9;
      utterance.onend = stop;
      utterance.onerror = stop;
      speaking = true;
      reader.textContent = labelStop;
      window.speechSynthesis.speak(utterance);
    });
    window.addEventListener("pagehide", function () { window.speechSynthesis.cancel(); });
  }

  // Print buttons (the receipt).
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    if (typeof window.print !== "function") { return; }
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
}());
