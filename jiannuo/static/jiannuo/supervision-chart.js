/* Moved out of _chart.html: no inline script under the Content-Security-Policy. */
(function () {
  var data = JSON.parse(document.getElementById("supervision-chart-data").textContent);
  var el = document.getElementById("supervision-chart");
  if (!window.echarts || !el) return;
  var colors = {done: "#2e7d32", ok: "#66bb6a", watch: "#f9a825", at_risk: "#ef6c00", overdue: "#c62828"};
  var links = document.querySelectorAll("[data-drill]");
  jiannuoStackedBars(el, data, colors, function (i) { return links[i] && links[i].getAttribute("href"); });
})();
