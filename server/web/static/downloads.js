// The report form asks for /reports/<report>.<format>: the address names the file to download.
"use strict";
(function () {
  var form = document.getElementById("report-form");
  if (!form) {
    return;
  }
  form.addEventListener("submit", function () {
    var fields = form.elements;
    form.action = "/reports/" + encodeURIComponent(fields.namedItem("report").value) + "."
      + encodeURIComponent(fields.namedItem("format").value);
  });
})();
