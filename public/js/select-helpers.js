// Checkbox helpers for the tables (select all / none / by group), confirm prompts, and the target-list action.
(function () {
  'use strict';
  function boxes(name) {
    return Array.prototype.slice.call(document.querySelectorAll('input[type=checkbox][name="' + name + '"]'));
  }
  document.querySelectorAll('[data-select]').forEach(function (button) {
    button.addEventListener('click', function () {
      var all = button.getAttribute('data-select') === 'all';
      boxes(button.getAttribute('data-for')).forEach(function (box) { box.checked = all; });
    });
  });
  document.querySelectorAll('[data-select-all]').forEach(function (master) {
    master.addEventListener('change', function () {
      boxes(master.getAttribute('data-select-all')).forEach(function (box) { box.checked = master.checked; });
    });
  });
  var byGroup = document.getElementById('select-by-group');
  if (byGroup) {
    byGroup.addEventListener('change', function () {
      var group = byGroup.value;
      boxes(byGroup.getAttribute('data-for')).forEach(function (box) {
        var row = box.closest('tr, figure');
        var groups = (row && row.getAttribute('data-groups') || '').split(' ');
        box.checked = group !== '' && groups.indexOf(group) !== -1;
      });
    });
  }
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
    });
  });
  // A preset ticks its pipeline and sets that pipeline's flag checkboxes and parameter inputs to the saved values.
  document.querySelectorAll('select.preset-select').forEach(function (select) {
    select.addEventListener('change', function () {
      var option = select.options[select.selectedIndex];
      var pipeline = select.getAttribute('data-pipeline');
      if (!option || !option.getAttribute('data-flags')) return;
      var flags = JSON.parse(option.getAttribute('data-flags'));
      var params = JSON.parse(option.getAttribute('data-params') || '{}');
      document.querySelectorAll('[name^="param:"][data-pipeline]').forEach(function (input) {
        if (input.getAttribute('data-pipeline') !== pipeline) return;
        var name = input.name.replace(/^param:[^:]*:/, '');
        if (name in params) input.value = params[name] === null ? '' : String(params[name]);
      });
      document.querySelectorAll('input[type=radio][name=pipeline]').forEach(function (radio) {
        if (radio.value === pipeline) radio.checked = true;
      });
      document.querySelectorAll('input[type=checkbox][data-pipeline]').forEach(function (box) {
        if (box.getAttribute('data-pipeline') !== pipeline) return;
        var name = box.name.replace(/^flag:[^:]*:/, '');
        if (name in flags) box.checked = Boolean(flags[name]);
      });
    });
  });
  var addToList = document.getElementById('add-to-list');
  if (addToList) {
    addToList.addEventListener('click', function () {
      var form = document.getElementById('targets-form');
      form.action = '/target-lists/' + encodeURIComponent(document.getElementById('list-select').value) + '/add';
    });
  }
})();
