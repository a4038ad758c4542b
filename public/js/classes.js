// Class pages: the Print button of the login cards (inline handlers are not allowed by the pages' CSP), and forms
// that must be sent once: a second click on "Import" would answer with a page without the new passwords.
(function () {
  'use strict';
  document.querySelectorAll('[data-print]').forEach(function (button) {
    button.addEventListener('click', function () { window.print(); });
  });
  document.querySelectorAll('form[data-submit-once]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (form.getAttribute('data-sent')) {
        event.preventDefault();
        return;
      }
      form.setAttribute('data-sent', 'true');
      form.querySelectorAll('button[type=submit]').forEach(function (button) { button.setAttribute('aria-disabled', 'true'); });
    });
  });
})();
