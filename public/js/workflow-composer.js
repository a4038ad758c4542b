// The workflow composer: choosing a step's pipeline presses that step's "Update" button (the form comes back with
// the pipeline's flags and parameters, the page scrolled to the step). Without this script the button does it.
(function () {
  'use strict';
  var form = document.getElementById('workflow-composer');
  if (!form) return;
  var base = (form.getAttribute('action') || '').split('#')[0];
  form.querySelectorAll('select[data-step]').forEach(function (select) {
    var step = select.getAttribute('data-step');
    var update = form.querySelector('button[data-update-step="' + step + '"]');
    if (!update) return;
    update.hidden = true;
    select.addEventListener('change', function () {
      form.setAttribute('action', base + '#step-' + step);
      // A click sends the button's action=preview with the form, as pressing it would.
      update.click();
    });
  });
})();
