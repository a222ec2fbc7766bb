// The villages page's small maps: each proposal's point (red) beside the villages it may duplicate (blue); tiles
// need the internet. A name reaches Leaflet as an element whose text is the name, never as markup: Leaflet writes a
// string tooltip into the page as HTML.
"use strict";
(function () {
  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }

  document.querySelectorAll(".small-map").forEach(function (box) {
    var points = JSON.parse(box.dataset.points);
    var map = L.map(box, {attributionControl: false, zoomControl: false});
    L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {maxZoom: 19}).addTo(map);
    var bounds = [];
    points.forEach(function (p) {
      L.circleMarker([p.lat, p.lon], {radius: 6, color: p.proposal ? "#d73027" : "#2166ac", fillOpacity: 0.8})
        .bindTooltip(text(p.name)).addTo(map);
      bounds.push([p.lat, p.lon]);
    });
    map.fitBounds(bounds, {maxZoom: 16, padding: [20, 20]});
  });
})();
