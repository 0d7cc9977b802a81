/* Moved out of index.html: no inline script under the Content-Security-Policy. */
(function () {
  var data = JSON.parse(document.getElementById("reports-chart-data").textContent);
  if (!window.echarts) return;
  var colors = {fulfilled: "#2e7d32", partly: "#f9a825", not_fulfilled: "#c62828", not_assessed: "#9e9e9e",
    excellent: "#1b5e20", competent: "#43a047", basically_competent: "#f9a825", incompetent: "#c62828", not_graded: "#9e9e9e"};
  var charts = [];
  var el = document.getElementById("reports-fulfilment-chart");
  if (el) {
    var links = document.querySelectorAll("#report-pledges tbody tr");
    charts.push(jiannuoStackedBars(el, data, colors, function (i) {
      var a = links[i] && links[i].querySelector("a[data-drill]");
      return a && a.getAttribute("href");
    }));
  }
  var el2 = document.getElementById("reports-grades-chart");
  if (el2) {
    var c2 = echarts.init(el2, null, {renderer: "svg"});
    c2.setOption({
      animation: false,
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      grid: {left: 8, right: 8, bottom: 8, top: 16, containLabel: true},
      xAxis: {type: "category", data: data.grades.map(function (g) { return g.name; })},
      yAxis: {type: "value", minInterval: 1},
      series: [{type: "bar", data: data.grades.map(function (g) {
        return {value: g.value, itemStyle: {color: colors[g.key]}};
      })}]
    });
    charts.push(c2);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
})();
